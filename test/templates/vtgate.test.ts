import { describe, expect, test } from 'bun:test';
import { allObjects, container, find, flagValue, renderTree } from './seed-tree.ts';

const objects = allObjects(renderTree());

describe('vtgate (seed zone1)', () => {
  const vtgate = () => container(find(objects, 'Deployment', 'vitess-zone1-vtgate'), 'vtgate');

  test('flags: cell, cells to watch, ports, service map, dashed topo flags', () => {
    const c = vtgate();
    expect(c.command?.[0]).toBe('/vt/bin/vtgate');
    expect(flagValue(c, 'cell')).toBe('zone1');
    expect(flagValue(c, 'cells-to-watch')).toBe('zone1');
    expect(flagValue(c, 'tablet-types-to-wait')).toBe('PRIMARY,REPLICA');
    expect(flagValue(c, 'service-map')).toBe('grpc-vtgateservice');
    expect(flagValue(c, 'mysql-server-port')).toBe('3306');
    expect(flagValue(c, 'topo-global-server-address')).toBe('vitess-global-etcd-client:2379');
  });

  test('probes (docs/vitess.md): readiness GET /debug/health, lenient liveness GET /debug/status', () => {
    const c = vtgate();
    expect(c.readinessProbe?.httpGet?.path).toBe('/debug/health');
    expect(c.livenessProbe?.httpGet?.path).toBe('/debug/status');
    expect(c.livenessProbe).toMatchObject({ initialDelaySeconds: 300, failureThreshold: 30 });
    expect(c.ports?.map((p) => p.containerPort).sort((a, b) => a - b)).toEqual([3306, 15000, 15999]);
  });

  test('Service exposes web, grpc and mysql by name', () => {
    const service = find(objects, 'Service', 'vitess-zone1-vtgate') as any;
    expect(service.spec.ports.map((p: { name: string; port: number; targetPort: string }) => [p.name, p.port, p.targetPort])).toEqual([
      ['web', 15000, 'web'],
      ['grpc', 15999, 'grpc'],
      ['mysql', 3306, 'mysql'],
    ]);
    expect(service.spec.type).toBe('ClusterIP');
  });
});
