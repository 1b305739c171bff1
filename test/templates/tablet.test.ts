import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../lib/kube/object.ts';
import { DEFAULT_IMAGES } from '../../lib/vitess/images.ts';
import { allObjects, container, containersOf, find, flagValue, podSpecOf, renderTree } from './seed-tree.ts';

const objects = allObjects(renderTree());
const pods = objects.filter((o) => o.kind === 'Pod');
const claims = objects.filter((o) => o.kind === 'PersistentVolumeClaim');

function seedUid(shard: string, type: string, index: number): number {
  return parseInt(createHash('md5').update(`zone1/main/${shard}/${type}`).digest('hex').slice(0, 6), 16) * 100 + index;
}
const EXPECTED = ['-80', '80-'].flatMap((shard) => [
  { shard, type: 'rdonly', uid: seedUid(shard, 'rdonly', 0) },
  { shard, type: 'replica', uid: seedUid(shard, 'replica', 0) },
  { shard, type: 'replica', uid: seedUid(shard, 'replica', 1) },
]);
const nameOf = (uid: number) => `vitess-vttablet-zone1-${String(uid).padStart(10, '0')}`;

describe('tablet Pods and PVCs of the seed', () => {
  test('6 tablets: a Pod and a PVC of the same name each, named by the independently computed UID', () => {
    const expectedNames = EXPECTED.map((t) => nameOf(t.uid)).sort();
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(expectedNames);
    expect(claims.map((p) => p.metadata.name).sort()).toEqual(expectedNames);
    // Pinned by hand: md5("zone1/main/-80/replica") starts 20c497.
    expect(expectedNames).toContain('vitess-vttablet-zone1-0214747900');
    expect(expectedNames).toContain('vitess-vttablet-zone1-0214747901');
  });

  for (const t of EXPECTED) {
    describe(`${t.shard} ${t.type} ${t.uid}`, () => {
      const pod = () => find(pods, 'Pod', nameOf(t.uid));

      test('labels: component vttablet, tablet UID and type, shard in object-name form', () => {
        expect(pod().metadata.labels).toMatchObject({
          app: 'vitess',
          'vitess.io/component': 'vttablet',
          'vitess.io/tablet-uid': String(t.uid),
          'vitess.io/tablet-type': t.type,
          'vitess.io/cell': 'zone1',
          'vitess.io/keyspace': 'main',
          'vitess.io/shard': t.shard === '-80' ? 'x-80' : '80-x',
        });
      });

      test('init container copies mysqlctld from the Vitess image into a shared emptyDir', () => {
        const init = (podSpecOf(pod())!.initContainers ?? [])[0]!;
        expect(init.image).toBe(DEFAULT_IMAGES.vitess);
        expect(init.command?.join(' ')).toContain('cp /vt/bin/mysqlctld');
        const shared = init.volumeMounts?.find((m) => m.name === 'vt');
        expect(shared).toBeDefined();
        expect(podSpecOf(pod())!.volumes).toContainEqual({ name: 'vt', emptyDir: {} });
      });

      test('mysqld runs mysqlctld in the MySQL image with --tablet-uid, mounting the copied binary at /vt', () => {
        const mysqld = container(pod(), 'mysqld');
        expect(mysqld.image).toBe('mysql:8.4.6');
        expect(mysqld.command?.[0]).toBe('/vt/bin/mysqlctld');
        expect(flagValue(mysqld, 'tablet-uid')).toBe(String(t.uid));
        expect(mysqld.volumeMounts).toContainEqual({ name: 'vt', mountPath: '/vt' });
        // docs/vitess.md: mysqld readiness is TCP 3306 every 2s, no liveness.
        const port = mysqld.ports?.find((p) => p.containerPort === 3306);
        expect(port).toBeDefined();
        const probePort = mysqld.readinessProbe?.tcpSocket?.port;
        expect(probePort === 3306 || probePort === port?.name).toBe(true);
        expect(mysqld.readinessProbe?.periodSeconds).toBe(2);
        expect(mysqld.livenessProbe).toBeUndefined();
      });

      test('vttablet: tablet path zone1-<10 digits>, init keyspace/shard/type, dashed topo flags', () => {
        const vttablet = container(pod(), 'vttablet');
        expect(flagValue(vttablet, 'tablet-path')).toMatch(/^zone1-\d{10}$/);
        expect(flagValue(vttablet, 'tablet-path')).toBe(`zone1-${String(t.uid).padStart(10, '0')}`);
        expect(flagValue(vttablet, 'init-keyspace')).toBe('main');
        expect(flagValue(vttablet, 'init-shard')).toBe(t.shard);
        expect(flagValue(vttablet, 'init-tablet-type')).toBe(t.type);
        expect(flagValue(vttablet, 'topo-implementation')).toBe('etcd2');
        expect(flagValue(vttablet, 'topo-global-server-address')).toBe('vitess-global-etcd-client:2379');
        expect(flagValue(vttablet, 'topo-global-root')).toBe('/vitess/global');
        expect(flagValue(vttablet, 'port')).toBe('15000');
        expect(flagValue(vttablet, 'grpc-port')).toBe('15999');
      });

      test('vttablet probes (docs/vitess.md): readiness GET /healthz on web, lenient liveness GET /debug/status', () => {
        const vttablet = container(pod(), 'vttablet');
        const web = vttablet.ports?.find((p) => p.containerPort === 15000);
        expect(web).toBeDefined();
        expect(vttablet.readinessProbe?.httpGet?.path).toBe('/healthz');
        expect([15000, web?.name]).toContain(vttablet.readinessProbe?.httpGet?.port);
        expect(vttablet.livenessProbe?.httpGet?.path).toBe('/debug/status');
        expect(vttablet.livenessProbe).toMatchObject({ initialDelaySeconds: 300, failureThreshold: 30 });
      });

      test('the data volume is the PVC of the same name, from the seed volumeClaim', () => {
        expect(podSpecOf(pod())!.volumes).toContainEqual({ name: 'vtdataroot', persistentVolumeClaim: { claimName: nameOf(t.uid) } });
        const claim = find(claims, 'PersistentVolumeClaim', nameOf(t.uid)) as KubeObject & { spec: any };
        expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
        expect(claim.spec.resources.requests.storage).toBe('4Gi');
      });
    });
  }

  test('every tablet container shares VTDATAROOT and runs as the Vitess user', () => {
    for (const pod of pods) {
      const spec = podSpecOf(pod) as any;
      expect(spec.securityContext).toMatchObject({ runAsUser: 999, fsGroup: 999 });
      for (const c of containersOf(pod).filter((c) => c.name !== 'vt-init')) {
        expect(c.env).toContainEqual({ name: 'VTDATAROOT', value: '/vt/vtdataroot' });
      }
    }
  });
});
