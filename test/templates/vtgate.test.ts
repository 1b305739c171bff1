import { describe, expect, test } from 'bun:test';
import { allObjects, container, find, flagValue, renderTree } from './seed-tree.ts';

const objects = allObjects(renderTree());

describe('vtgate (seed zone1)', () => {
  const vtgate = () => container(find(objects, 'Deployment', 'vitess-zone1-vtgate'), 'vtgate');

  test('flags: cell, cells to watch (the tablet cells), ports, service map, auth none, dashed topo flags', () => {
    const c = vtgate();
    expect(c.command?.[0]).toBe('/vt/bin/vtgate');
    expect(flagValue(c, 'cell')).toBe('zone1');
    expect(flagValue(c, 'cells-to-watch')).toBe('zone1');
    expect(flagValue(c, 'tablet-types-to-wait')).toBe('PRIMARY,REPLICA');
    expect(flagValue(c, 'service-map')).toBe('grpc-vtgateservice');
    expect(flagValue(c, 'mysql-server-port')).toBe('3306');
    // Without it vtgate looks for the static auth server and exits: "no AuthServer name static registered".
    expect(flagValue(c, 'mysql-auth-server-impl')).toBe('none');
    expect(c.command?.some((arg) => arg.startsWith('--logtostderr'))).toBe(false);
    expect(flagValue(c, 'topo-global-server-address')).toBe('vitess-global-etcd-client:2379');
  });

  test("--mysql-server-version: the cluster's MySQL (the default mysql:8.4.6), as vttablet says it too", () => {
    expect(flagValue(vtgate(), 'mysql-server-version')).toBe('8.4.6-Vitess');
    const tablet = objects.find((o) => o.kind === 'Pod')!;
    expect(flagValue(container(tablet, 'vttablet'), 'mysql-server-version')).toBe('8.4.6-Vitess');
  });

  test('probes: readiness on the MySQL port (/debug/health answers 200 even unhealthy), lenient liveness GET /debug/status', () => {
    const c = vtgate();
    expect(c.readinessProbe?.httpGet).toBeUndefined();
    expect(c.readinessProbe?.tcpSocket?.port).toBe('mysql');
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
