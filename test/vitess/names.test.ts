import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { isDnsLabel } from '../../lib/kube/names.ts';
import { cellComponentName, cellObjectName, etcdClientAddress, etcdClientServiceName, etcdName, GLOBAL_TOPOLOGY_ROOT, keyspaceObjectName, reparentJobName, shardObjectName, tabletName, tabletServiceName, topologyRoot } from '../../lib/vitess/names.ts';
import { dnsLabel, runs } from '../arbitraries/index.ts';

describe('Vitess object names (docs/vitess.md)', () => {
  test('the seed tree of names', () => {
    const cell = cellObjectName('vitess', 'zone1');
    expect(cell).toBe('vitess-zone1');
    expect(cellObjectName('vitess', 'global')).toBe('vitess-global');
    expect(keyspaceObjectName(cell, 'main')).toBe('vitess-zone1-main');
    expect(shardObjectName('vitess-zone1-main', '-80')).toBe('vitess-zone1-main-x-80');
    expect(shardObjectName('vitess-zone1-main', '80-')).toBe('vitess-zone1-main-80-x');
    expect(shardObjectName('vitess-zone1-main', '0')).toBe('vitess-zone1-main-0');
    expect(cellComponentName('vitess-global', 'vtctld')).toBe('vitess-global-vtctld');
    expect(cellComponentName(cell, 'vtgate')).toBe('vitess-zone1-vtgate');
    expect(cellComponentName(cell, 'cell-info')).toBe('vitess-zone1-cell-info');
    expect(etcdName('vitess-global')).toBe('vitess-global-etcd');
    expect(etcdClientServiceName('vitess-global')).toBe('vitess-global-etcd-client');
    expect(etcdClientAddress('vitess-global')).toBe('vitess-global-etcd-client:2379');
    expect(topologyRoot('zone1')).toBe('/vitess/zone1');
    expect(GLOBAL_TOPOLOGY_ROOT).toBe('/vitess/global');
    expect(tabletServiceName('vitess', 'zone1')).toBe('vitess-vttablet-zone1');
    expect(tabletName('vitess', 'zone1', 214747900)).toBe('vitess-vttablet-zone1-0214747900');
    expect(reparentJobName('vitess-vttablet-zone1-0214747900')).toBe('vitess-vttablet-zone1-0214747900-reparent');
  });

  test('names: every name is a DNS label, etcd names fit a StatefulSet (52)', () => {
    fc.assert(
      fc.property(dnsLabel(63), dnsLabel(63), dnsLabel(63), fc.constantFrom('-80', '80-', '0', '40-80'), fc.nat(1677721599), (cluster, cell, keyspace, shard, uid) => {
        const c = cellObjectName(cluster, cell);
        const k = keyspaceObjectName(c, keyspace);
        return [c, k, shardObjectName(k, shard), cellComponentName(c, 'vtctld'), tabletServiceName(cluster, cell), tabletName(cluster, cell, uid)].every((n) => isDnsLabel(n)) && isDnsLabel(etcdName(c), 52);
      }),
      runs(),
    );
  });
});
