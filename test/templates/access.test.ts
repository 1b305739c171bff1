import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../lib/kube/object.ts';
import { TLS_ROTATION_ANNOTATION } from '../../lib/templates/access.ts';
import { MYSQLD_EXPORTER_PORT } from '../../lib/templates/tablet.ts';
import { allObjects, container, type ContainerLike, containersOf, find, flagValue, podSpecOf, renderTree, seedCluster } from './seed-tree.ts';
import { runContainer } from './run-container.ts';

/** The seed with access settings added to its spec. */
function seedWith(extra: Record<string, unknown>): KubeObject[] {
  const seed = seedCluster();
  return allObjects(renderTree({ ...seed, spec: { ...(seed.spec as object), ...extra } }));
}

const GRPC = { secretName: 'vitess-grpc', serverName: 'vitess-grpc.internal' };
const plain = allObjects(renderTree());
const workloads = (objects: readonly KubeObject[]) => objects.filter((o) => ['Deployment', 'Pod', 'Job', 'StatefulSet'].includes(o.kind));
const podAnnotations = (o: KubeObject): Record<string, string> =>
  (o.kind === 'Pod' ? o.metadata.annotations : (o.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations) ?? {};
const VTTABLET_POD = 'vitess-vttablet-zone1-0214747900';

/** Every flag or env value naming a file under /vt/tls or /vt/secrets lies under one of the container's mounts. */
function unmountedPaths(c: ContainerLike): string[] {
  const texts = [...(c.command ?? []), ...(c.env ?? []).map((e) => e.value ?? ''), ...((c.readinessProbe?.exec?.command as string[] | undefined) ?? [])];
  const paths = texts.flatMap((text) => [...text.matchAll(/=(\/vt\/(?:tls|secrets)\/[^\s]+)/g)].map((m) => m[1]!));
  return paths.filter((path) => !(c.volumeMounts ?? []).some((mount) => path.startsWith(`${mount.mountPath}/`)));
}

describe('access settings absent (the default)', () => {
  test('no Pod mounts a Secret, no rotation annotation, no exporter: rendered objects are as before', () => {
    for (const o of workloads(plain)) {
      expect((podSpecOf(o)?.volumes ?? []).filter((volume) => volume.secret !== undefined)).toEqual([]);
      expect(podAnnotations(o)[TLS_ROTATION_ANNOTATION]).toBeUndefined();
      expect(containersOf(o).map((c) => c.name)).not.toContain('mysqld-exporter');
    }
  });
});

describe('mysqlUsers: vtgate static auth from a Secret', () => {
  const objects = seedWith({ mysqlUsers: { secretName: 'app-users' } });
  const deployment = find(objects, 'Deployment', 'vitess-zone1-vtgate');
  const vtgate = container(deployment, 'vtgate');

  test('static auth over the mounted file, reloaded every 10s by default; no `none` left', () => {
    expect(flagValue(vtgate, 'mysql-auth-server-impl')).toBe('static');
    expect(flagValue(vtgate, 'mysql-auth-server-static-file')).toBe('/vt/secrets/mysql-users/users.json');
    expect(flagValue(vtgate, 'mysql-auth-static-reload-interval')).toBe('10s');
    expect(vtgate.command?.filter((arg) => arg.startsWith('--mysql-auth-server-impl='))).toEqual(['--mysql-auth-server-impl=static']);
    expect(unmountedPaths(vtgate)).toEqual([]);
  });

  test('only the named key is mounted (a Secret without it keeps the new Pod from starting), read-only, not world-readable', () => {
    const volume = podSpecOf(deployment)?.volumes?.find((v) => v.name === 'mysql-users');
    expect(volume.secret).toEqual({ secretName: 'app-users', defaultMode: 0o440, items: [{ key: 'users.json', path: 'users.json' }] });
    expect(vtgate.volumeMounts?.find((m) => m.name === 'mysql-users')).toMatchObject({ readOnly: true });
  });

  test('a users file edit needs no restart: the Pod template does not depend on the Secret, only on its name', () => {
    expect(JSON.stringify(deployment)).not.toContain(TLS_ROTATION_ANNOTATION);
  });
});

describe('tls.mysql: TLS on vtgate\'s MySQL port', () => {
  const vtgateOf = (mysql: Record<string, unknown>) => container(find(seedWith({ tls: { mysql } }), 'Deployment', 'vitess-zone1-vtgate'), 'vtgate');

  test('cert and key from the Secret; plain connections refused by default; client certificates not asked for', () => {
    const vtgate = vtgateOf({ secretName: 'vtgate-tls' });
    expect(flagValue(vtgate, 'mysql-server-ssl-cert')).toBe('/vt/tls/mysql/tls.crt');
    expect(flagValue(vtgate, 'mysql-server-ssl-key')).toBe('/vt/tls/mysql/tls.key');
    expect(flagValue(vtgate, 'mysql-server-require-secure-transport')).toBe('true');
    expect(flagValue(vtgate, 'mysql-server-ssl-ca')).toBeUndefined();
    expect(unmountedPaths(vtgate)).toEqual([]);
  });

  test('verifyClients asks for client certificates signed by ca.crt; requireSecureTransport false lets plain connections in', () => {
    const vtgate = vtgateOf({ secretName: 'vtgate-tls', verifyClients: true, requireSecureTransport: false });
    expect(flagValue(vtgate, 'mysql-server-ssl-ca')).toBe('/vt/tls/mysql/ca.crt');
    expect(flagValue(vtgate, 'mysql-server-require-secure-transport')).toBeUndefined();
  });
});

describe('tls.grpc: mutual TLS between every Vitess process', () => {
  const objects = seedWith({ tls: { grpc: GRPC } });

  test('servers (vtctld, vtgate, vttablet) present the certificate and verify client certificates', () => {
    for (const c of [
      container(find(objects, 'Deployment', 'vitess-global-vtctld'), 'vtctld'),
      container(find(objects, 'Deployment', 'vitess-zone1-vtgate'), 'vtgate'),
      container(find(objects, 'Pod', VTTABLET_POD), 'vttablet'),
    ]) {
      expect([flagValue(c, 'grpc-cert'), flagValue(c, 'grpc-key'), flagValue(c, 'grpc-ca')]).toEqual(['/vt/tls/grpc/tls.crt', '/vt/tls/grpc/tls.key', '/vt/tls/grpc/ca.crt']);
    }
  });

  test('each binary\'s clients present the certificate and check servers against serverName (tablets are dialled by IP)', () => {
    const clients: [ContainerLike, string[]][] = [
      [container(find(objects, 'Deployment', 'vitess-zone1-vtgate'), 'vtgate'), ['tablet']],
      [container(find(objects, 'Deployment', 'vitess-global-vtctld'), 'vtctld'), ['tablet', 'tablet-manager']],
      [container(find(objects, 'Pod', VTTABLET_POD), 'vttablet'), ['tablet', 'tablet-manager', 'binlog-player']],
      [container(find(objects, 'Deployment', 'vitess-zone1-vtorc'), 'vtorc'), ['tablet-manager']],
    ];
    for (const [c, prefixes] of clients) {
      for (const prefix of prefixes) {
        expect(flagValue(c, `${prefix}-grpc-cert`)).toBe('/vt/tls/grpc/tls.crt');
        expect(flagValue(c, `${prefix}-grpc-server-name`)).toBe(GRPC.serverName);
      }
    }
    // vtorc serves no gRPC.
    expect(flagValue(container(find(objects, 'Deployment', 'vitess-zone1-vtorc'), 'vtorc'), 'grpc-cert')).toBeUndefined();
  });

  test('vtctldclient, in every Job and in vtctld\'s readiness probe, talks to vtctld over mutual TLS', () => {
    const jobs = objects.filter((o) => o.kind === 'Job');
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) {
      // Run with a stand-in vtctldclient: the flags it is called with, whether the Job runs it directly or from a script.
      const args = runContainer(container(job, 'vtctldclient'), { vtctldclient: '' }).calls[0]?.args ?? [];
      expect(args).toContain('--vtctld-grpc-cert=/vt/tls/grpc/tls.crt');
      expect(args).toContain(`--vtctld-grpc-server-name=${GRPC.serverName}`);
    }
    const probe = container(find(objects, 'Deployment', 'vitess-global-vtctld'), 'vtctld').readinessProbe?.exec?.command as string[];
    expect(probe).toContain('--vtctld-grpc-ca=/vt/tls/grpc/ca.crt');
    expect(probe.at(-1)).toBe('GetKeyspaces');
  });

  test('every certificate path a container names is mounted in that container', () => {
    const offenders = workloads(objects).flatMap((o) => containersOf(o).flatMap((c) => unmountedPaths(c).map((path) => `${o.kind}/${o.metadata.name}/${c.name}: ${path}`)));
    expect(offenders).toEqual([]);
  });
});

describe('tls.rotation: restarts the Pods that loaded a certificate', () => {
  const rotated = (rotation: string) => seedWith({ tls: { grpc: GRPC, rotation } });
  const a = rotated('2026-12-01');
  const b = rotated('2027-02-01');

  test('long-running Pods carry it (so a new value gives them a new revision); Jobs do not (each run reads the files afresh)', () => {
    for (const [kind, name] of [['Deployment', 'vitess-global-vtctld'], ['Deployment', 'vitess-zone1-vtgate'], ['Deployment', 'vitess-zone1-vtorc'], ['Pod', VTTABLET_POD]] as const) {
      expect(podAnnotations(find(a, kind, name))[TLS_ROTATION_ANNOTATION]).toBe('2026-12-01');
      expect(podAnnotations(find(b, kind, name))[TLS_ROTATION_ANNOTATION]).toBe('2027-02-01');
    }
    for (const job of a.filter((o) => o.kind === 'Job')) expect(JSON.stringify(job)).not.toContain(TLS_ROTATION_ANNOTATION);
  });

  test('without a certificate to load, a rotation value changes no workload (only the layers\' specs carry it)', () => {
    const objects = seedWith({ tls: { rotation: 'x' } });
    expect(JSON.stringify(workloads(objects))).toBe(JSON.stringify(workloads(plain)));
  });
});

describe('monitoring.mysqldExporter: the tablets\' metrics sidecar', () => {
  const pod = find(seedWith({ monitoring: { mysqldExporter: {} } }), 'Pod', VTTABLET_POD);
  const exporter = container(pod, 'mysqld-exporter');

  test('pinned default image, named port, no probes (it must never make a tablet unready or restart it)', () => {
    expect(exporter.image).toBe('prom/mysqld-exporter:v0.17.2');
    expect(exporter.ports).toEqual([{ name: MYSQLD_EXPORTER_PORT, containerPort: 9104, protocol: 'TCP' } as never]);
    expect(exporter.readinessProbe).toBeUndefined();
    expect(exporter.livenessProbe).toBeUndefined();
  });

  test('connects as vt_monitoring over the socket mysqlctld gives mysqld; its config written by the init container; read-only mounts', () => {
    const socket = flagValue(container(pod, 'mysqld'), 'mysql-socket');
    const init = container(pod, 'vt-init').command?.at(-1) ?? '';
    const cnf = flagValue(exporter, 'config.my-cnf') ?? '';
    expect(init).toContain(`printf '[client]\\nuser=vt_monitoring\\nsocket=${socket}\\n' > ${cnf}`);
    expect(exporter.volumeMounts).toEqual([
      { name: 'vt', mountPath: cnf.slice(0, cnf.lastIndexOf('/')), readOnly: true },
      { name: 'vtdataroot', mountPath: socket?.slice(0, socket.lastIndexOf('/')) ?? '', readOnly: true },
    ] as never);
  });

  test('the image is overridable', () => {
    const custom = find(seedWith({ monitoring: { mysqldExporter: { image: 'registry.local/mysqld-exporter:v0.17.2' } } }), 'Pod', VTTABLET_POD);
    expect(container(custom, 'mysqld-exporter').image).toBe('registry.local/mysqld-exporter:v0.17.2');
  });
});

describe('metacontroller/components/prometheus: the PodMonitors match what the templates render', () => {
  const monitors = parseAllDocuments(readFileSync(new URL('../../metacontroller/components/prometheus/podmonitors.yaml', import.meta.url), 'utf8')).map(
    (d) => d.toJSON() as { metadata: { name: string }; spec: { selector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; values: string[] }[] }; podMetricsEndpoints: { port: string; path: string }[] } },
  );
  const objects = seedWith({ monitoring: { mysqldExporter: {} } });
  const componentOf = (o: KubeObject) => (o.kind === 'Pod' ? o.metadata.labels : (o.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels)?.['vitess.io/component'];
  const selects = (monitor: (typeof monitors)[number], component: string | undefined) =>
    component !== undefined && (monitor.spec.selector.matchLabels?.['vitess.io/component'] === component || (monitor.spec.selector.matchExpressions ?? []).some((e) => e.key === 'vitess.io/component' && e.values.includes(component)));

  test('every Pod with a metrics port is selected by a PodMonitor that scrapes that port by name', () => {
    const scraped = new Set(monitors.flatMap((m) => m.spec.podMetricsEndpoints.map((e) => e.port)));
    for (const o of workloads(objects).filter((o) => o.kind !== 'Job')) {
      const ports = containersOf(o).flatMap((c) => (c.ports ?? []).map((p) => p.name ?? ''));
      const metricsPorts = ports.filter((port) => ['web', MYSQLD_EXPORTER_PORT, 'client'].includes(port));
      expect({ object: `${o.kind}/${o.metadata.name}`, hasMetrics: metricsPorts.length > 0 }).toEqual({ object: `${o.kind}/${o.metadata.name}`, hasMetrics: true });
      const monitor = monitors.find((m) => selects(m, componentOf(o)));
      expect({ object: `${o.kind}/${o.metadata.name}`, monitor: monitor?.metadata.name !== undefined }).toEqual({ object: `${o.kind}/${o.metadata.name}`, monitor: true });
      for (const port of metricsPorts) expect(scraped.has(port)).toBe(true);
    }
  });

  test('every endpoint scrapes /metrics (where Vitess, etcd and mysqld-exporter serve Prometheus metrics)', () => {
    expect(monitors.flatMap((m) => m.spec.podMetricsEndpoints.map((e) => e.path))).toEqual(['/metrics', '/metrics', '/metrics']);
  });
});
