import { describe, expect, test } from 'bun:test';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { clusterLayer } from '../../lib/sync/cluster.ts';
import { DEFAULT_IMAGES } from '../../lib/vitess/images.ts';
import { NOW, seedCluster } from '../templates/seed-tree.ts';

function syncCluster(parent: KubeObject): Record<string, unknown> {
  return clusterLayer.sync(parseSyncRequest({ controller: {}, parent, children: {} }, 'VitessCluster'), { now: NOW }).status as Record<string, unknown>;
}

describe('sync-cluster status: Vitess images replaced because too old', () => {
  test("the seed's vitess/lite:v2.1.1 is reported at each field that asks for it, and the cluster is not InvalidSpec", () => {
    const status = syncCluster(seedCluster());
    expect((status.imageOverrides as { path: string; used: string }[]).map((o) => [o.path, o.used])).toEqual([
      ['spec.cells[0].vtctld.image', DEFAULT_IMAGES.vitess],
      ['spec.cells[1].vtgate.image', DEFAULT_IMAGES.vitess],
      ['spec.keyspaces[0].tablets.defaults.image', DEFAULT_IMAGES.vitess],
    ]);
    expect(JSON.stringify(status.conditions)).not.toContain('InvalidSpec');
  });

  test('no override, no field', () => {
    const seed = seedCluster() as KubeObject & { spec: Record<string, unknown> };
    const modern = JSON.parse(JSON.stringify(seed).replaceAll('vitess/lite:v2.1.1', 'vitess/lite:v24.0.4')) as KubeObject;
    expect(syncCluster(modern).imageOverrides).toBeUndefined();
  });
});

describe('vtadmin problems', () => {
  const sync = (vtadmin: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const seed = seedCluster();
    const parent = { ...seed, spec: { ...(seed.spec as object), vtadmin, ...extra } };
    return clusterLayer.sync(parseSyncRequest({ controller: {}, parent, children: {} }, 'VitessCluster'), { now: NOW }).status.problems as string[] | undefined;
  };
  const addresses = { apiAddress: 'http://a', webAddress: 'http://b' };

  test('neither rbac nor allowAll: invalid (vtadmin would refuse to start; allowing everyone is never a default)', () => {
    expect(sync(addresses)).toEqual(["spec.vtadmin: set rbac (a Secret with vtadmin's RBAC config) or allowAll: true"]);
  });

  test('both, or with gRPC TLS (vtadmin\'s clients get no certificate): invalid; rbac alone or allowAll alone: fine', () => {
    expect(sync({ ...addresses, rbac: { secretName: 'r' }, allowAll: true })).toEqual(['spec.vtadmin: set rbac or allowAll, not both']);
    expect(sync({ ...addresses, allowAll: true }, { tls: { grpc: { secretName: 'g', serverName: 'n' } } })?.join()).toContain('spec.tls.grpc');
    expect(sync({ ...addresses, rbac: { secretName: 'r' } })).toBeUndefined();
    expect(sync({ ...addresses, allowAll: true })).toBeUndefined();
  });
});

describe('etcd-operator placement problems', () => {
  const sync = (etcd: Record<string, unknown>) => {
    const seed = seedCluster() as KubeObject & { spec: { cells: Record<string, unknown>[] } };
    const cells = seed.spec.cells.map((cell, i) => (i === 0 ? { ...cell, etcd: { ...(cell.etcd as object), ...etcd } } : cell));
    const parent = { ...seed, spec: { ...seed.spec, cells } };
    return clusterLayer.sync(parseSyncRequest({ controller: {}, parent, children: {} }, 'VitessCluster'), { now: NOW }).status.problems as string[] | undefined;
  };
  const spread = [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }];

  test('topologySpreadConstraints and priorityClassName: invalid with etcd-operator, each named by its path and value', () => {
    expect(sync({ provider: 'etcd-operator', topologySpreadConstraints: spread, priorityClassName: 'critical' })).toEqual([
      "spec.cells[0].etcd.topologySpreadConstraints: (1 constraint) not supported with provider etcd-operator: an EtcdCluster's pod policy has no topology spread; use affinity (podAntiAffinity on the label etcd_cluster) or provider builtin",
      "spec.cells[0].etcd.priorityClassName: ('critical') not supported with provider etcd-operator: an EtcdCluster's pod policy has no priority class; remove it or use provider builtin",
    ]);
  });

  test('fine: what a PodPolicy carries, an empty spread list, and every placement field with the builtin provider', () => {
    expect(sync({ provider: 'etcd-operator', nodeSelector: { a: 'b' }, tolerations: [{ operator: 'Exists' }], affinity: {}, topologySpreadConstraints: [] })).toBeUndefined();
    expect(sync({ provider: 'builtin', topologySpreadConstraints: spread, priorityClassName: 'critical' })).toBeUndefined();
    expect(sync({ topologySpreadConstraints: spread, priorityClassName: 'critical' })).toBeUndefined();
  });
});
