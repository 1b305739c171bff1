import { describe, expect, test } from 'bun:test';
import { shortHash } from '../../lib/kube/hash.ts';
import { allObjects, container, find, flagValue, renderTree } from './seed-tree.ts';

const objects = allObjects(renderTree());

describe('vtctld (seed global cell)', () => {
  const deployment = () => find(objects, 'Deployment', 'vitess-global-vtctld') as any;
  const vtctld = () => container(deployment(), 'vtctld');

  test('flags: cell global, service map, ports, topo', () => {
    const c = vtctld();
    expect(c.image).toBe('vitess/lite:v2.1.1');
    expect(flagValue(c, 'cell')).toBe('global');
    expect(flagValue(c, 'service-map')).toBe('grpc-vtctl,grpc-vtctld');
    expect(flagValue(c, 'grpc-port')).toBe('15999');
    expect(flagValue(c, 'topo-global-root')).toBe('/vitess/global');
  });

  test('probes (docs/vitess.md): readiness GET /debug/health, lenient liveness GET /debug/status', () => {
    const c = vtctld();
    expect(c.readinessProbe?.httpGet?.path).toBe('/debug/health');
    expect(c.livenessProbe?.httpGet?.path).toBe('/debug/status');
    expect(c.livenessProbe).toMatchObject({ initialDelaySeconds: 300, failureThreshold: 30 });
  });

  test('ConfigMap carries the topology; its hash is on the Pod template, so a change rolls vtctld', () => {
    const config = find(objects, 'ConfigMap', 'vitess-global-vtctld') as any;
    expect(config.data).toEqual({
      TOPO_IMPLEMENTATION: 'etcd2',
      TOPO_GLOBAL_SERVER_ADDRESS: 'vitess-global-etcd-client:2379',
      TOPO_GLOBAL_ROOT: '/vitess/global',
      VTCTLD_ADDRESS: 'vitess-global-vtctld:15999',
    });
    expect(deployment().spec.template.metadata.annotations['vitess.io/config-hash']).toBe(shortHash(config.data));
  });

  test('Service: web and grpc', () => {
    const service = find(objects, 'Service', 'vitess-global-vtctld') as any;
    expect(service.spec.ports.map((p: { port: number }) => p.port)).toEqual([15000, 15999]);
  });
});
