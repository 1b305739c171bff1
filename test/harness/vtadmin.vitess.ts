/**
 * examples/vtadmin.yaml run for real: examples/minimal.yaml's cell and keyspace plus vtadmin-api (the
 * vtadmin binary) and vtadmin-web (nginx serving the built web app), the vitess/vtadmin image laid out by
 * vtadmin-web.sh (runner/substitutions.ts, 1., 6., 7.). The example runs as written: it is small enough
 * for the harness (1 etcd, 1 vtctld, 1 vtgate, vtorc, 2 tablets), so there is no `scaled()`. What the
 * user adds beside it is the RBAC Secret its comment asks for (`mini-vtadmin-rbac`, key `rbac.yaml`),
 * here read-only and without vtctlds, so that a test can tell vtadmin reads that file. Each test checks,
 * against the live processes, that the rendered discovery file, flags and web config work: the clusters,
 * keyspaces (through vtctld) and tablets (through vtgate) vtadmin-api serves, and what vtadmin-web serves.
 * Run by test/harness/run.sh (npm run test:vitess), as root.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { errors, everyPodReady, READY_WAIT_MS, ROOT, runRoot, secret, tools, until } from './runner/checks.ts';
import { Driver, type Driven } from './runner/driver.ts';
import { PodRunner, type RunPod } from './runner/runner.ts';

const RUN_ROOT = runRoot('vtadmin');

const example = parseClusterYaml(readFileSync(join(ROOT, 'examples/vtadmin.yaml'), 'utf8')) as KubeObject & { spec: any };
const API_ADDRESS: string = example.spec.vtadmin.apiAddress;
const WEB_ADDRESS: string = example.spec.vtadmin.webAddress;
/**
 * The user's RBAC config (vtadmin's go/vt/vtadmin/rbac: rules of resource, actions, subjects, clusters):
 * anyone may read clusters, keyspaces, tablets and vtgates; nothing else, vtctlds included.
 */
const RBAC = ['Cluster', 'Keyspace', 'Tablet', 'VTGate']
  .map((resource) => `  - resource: ${resource}\n    actions: ["get"]\n    subjects: ["*"]\n    clusters: ["*"]\n`)
  .join('');
const rbacSecret = secret(example.spec.vtadmin.rbac.secretName, { 'rbac.yaml': `rules:\n${RBAC}` });

let runner: PodRunner;
let driver: Driver;
let startup: Driven;
let startupMs = 0;

const vtctld = (...args: string[]) => runner.node([join(tools.vitessDir, 'bin', 'vtctldclient'), '--server=mini-zone1-vtctld:15999', ...args]);
const byComponent = (component: string): RunPod[] => runner.pods.filter((p) => p.labels['vitess.io/component'] === component);
/** An HTTP GET from the node (the bridge namespace, where the Services' names resolve): status line, headers, body. */
function get(url: string, headers: string[] = []): { status: number; headers: string; body: string } {
  const r = runner.node(['curl', '-s', '-m', '10', '-D', '-', ...headers.flatMap((h) => ['-H', h]), url]);
  const text = r.stdout;
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  return { status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1] ?? 0), headers: head, body: split < 0 ? '' : text.slice(split + 4) };
}
const API = 'http://mini-zone1-vtadmin-api:14200';
const WEB = 'http://mini-zone1-vtadmin-web:14201';
/** vtadmin's JSON envelope (go/vt/vtadmin/http/response.go): {"result": ..., "ok": true}. */
function api(path: string): any {
  const r = get(`${API}${path}`);
  try {
    const parsed = JSON.parse(r.body);
    return parsed.ok === true ? parsed.result : undefined;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  const t0 = Date.now();
  runner = new PodRunner(tools, RUN_ROOT, 'va');
  await runner.start();
  driver = new Driver(runner, [rbacSecret, example]);
  startup = await driver.converge(READY_WAIT_MS);
  startupMs = Date.now() - t0;
  console.log(`vtadmin start-up: ${(startupMs / 1000).toFixed(0)} s, ${startup.rounds} rounds, converged ${startup.converged}; pods: ${runner.pods.map((p) => `${p.name}=${runner.isReady(p) ? 'Ready' : 'NotReady'}(restarts ${p.restarts})`).join(', ')}`);
});

afterAll(async () => {
  await runner?.stop();
});

describe('examples/vtadmin.yaml on real Vitess, driven by the simulator', () => {
  test('the hooks converge over real processes, vtadmin-api and vtadmin-web Ready by their own probes', () => {
    everyPodReady(runner, startup, startupMs);
    expect(byComponent('vtadmin-api').length).toBe(1);
    expect(byComponent('vtadmin-web').length).toBe(1);
    expect(byComponent('vttablet').length).toBe(2);
  });

  test('vtadmin-api lists the cluster of its --cluster flag', () => {
    const clusters = api('/api/clusters');
    expect(clusters?.clusters, JSON.stringify(clusters)).toEqual([{ id: 'mini', name: 'mini' }]);
  });

  test('vtadmin-api lists the keyspace and its shard, read from vtctld (the discovery file\'s vtctld)', async () => {
    const got = await until(() => {
      const r = api('/api/keyspaces');
      return r?.keyspaces?.length > 0 ? r.keyspaces : undefined;
    }, 60000);
    const vtadminApi = byComponent('vtadmin-api')[0] as RunPod;
    expect(got, `${get(`${API}/api/keyspaces`).body}\n${errors(vtadminApi)}`).toBeDefined();
    expect(got.map((k: any) => `${k.cluster?.id}/${k.keyspace?.name}`)).toEqual(['mini/commerce']);
    expect(Object.keys(got[0].shards ?? {})).toEqual(['0']);
  });

  test('vtadmin-api lists the real tablets, read through vtgate (the discovery file\'s vtgate), their FQDNs at each tablet\'s web port', async () => {
    // The tablets vtctld has in the topology: alias, type and hostname (the Pod IP, --tablet-hostname).
    const real = vtctld('GetTablets', '--keyspace=commerce').stdout.split('\n').filter(Boolean).map((l) => {
      const f = l.split(/\s+/);
      return { alias: f[0] as string, type: f[3] as string, hostname: (f[5] as string).split(':')[0] as string };
    }).sort((a, b) => a.alias.localeCompare(b.alias));
    expect(real.map((t) => t.hostname).sort()).toEqual(byComponent('vttablet').map((p) => p.ip).sort());
    const alias = (t: any): string => `${t.tablet.alias.cell}-${String(t.tablet.alias.uid).padStart(10, '0')}`;
    // vtadmin's JSON is encoding/json of the protos: enums as numbers (topodata.TabletType, vtadmin.Tablet.ServingState).
    const TYPES: Record<number, string> = { 1: 'primary', 2: 'replica', 3: 'rdonly' };
    const SERVING = 1;
    // vtgate's view of the tablets fills in as its health checks see them serving.
    const got = await until(() => {
      const tablets = api('/api/tablets')?.tablets;
      return tablets?.length === real.length && tablets.every((t: any) => t.state === SERVING) ? tablets : undefined;
    }, 90000);
    expect(got, get(`${API}/api/tablets`).body).toBeDefined();
    const seen = got.map((t: any) => ({ alias: alias(t), type: TYPES[t.tablet.type] ?? String(t.tablet.type), hostname: t.tablet.hostname as string, fqdn: t.FQDN as string })).sort((a: any, b: any) => a.alias.localeCompare(b.alias));
    expect(seen.map((t: any) => ({ alias: t.alias, type: t.type, hostname: t.hostname }))).toEqual(real);
    for (const t of seen) {
      // tablet-fqdn-tmpl: each tablet's web address, which answers as that tablet.
      expect(t.fqdn).toBe(`${t.hostname}:15000`);
      const status = get(`http://${t.fqdn}/debug/status`);
      expect(status.status, `${t.fqdn}: ${status.headers}`).toBe(200);
      expect(status.body).toContain(t.alias);
    }
  });

  test('vtadmin-api lists the vtgate of the discovery file, and the RBAC config from the Secret is in force', () => {
    const gates = api('/api/gates')?.gates;
    expect(gates?.map((g: any) => `${g.cluster?.id} ${g.hostname}`), JSON.stringify(gates)).toEqual(['mini mini-zone1-vtgate:15999']);
    // The Secret's rules grant nothing on Vtctld: with its file not read (or --no-rbac), vtctld would be listed.
    const vtctlds = api('/api/vtctlds');
    expect(vtctlds, get(`${API}/api/vtctlds`).body).toBeDefined();
    expect(vtctlds.vtctlds ?? []).toEqual([]);
  });

  test('vtadmin-api allows the web app\'s origin (CORS from --http-origin) and no other', () => {
    const allowed = get(`${API}/api/clusters`, [`Origin: ${WEB_ADDRESS}`]);
    expect(allowed.headers, allowed.headers).toMatch(new RegExp(`^Access-Control-Allow-Origin: ${WEB_ADDRESS.replace(/[.]/g, '\\.')}\\r?$`, 'mi'));
    const other = get(`${API}/api/clusters`, ['Origin: http://elsewhere.example.com']);
    expect(other.headers).not.toMatch(/^Access-Control-Allow-Origin:/im);
  });

  test('vtadmin-web serves the built web app on VTADMIN_WEB_PORT, index.html for the app\'s routes', () => {
    const index = get(`${WEB}/`);
    expect(index.status, index.headers).toBe(200);
    expect(index.body).toContain('<script src="/config/config.js"></script>');
    expect(index.body).toContain('<div id="root">');
    // The bundle index.html loads (vite's hashed asset), served as JavaScript.
    const script = /<script type="module" crossorigin src="([^"]+)"/.exec(index.body)?.[1];
    expect(script, index.body).toBeDefined();
    const bundle = get(`${WEB}${script}`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers).toMatch(/^Content-Type: (application|text)\/javascript/im);
    // default.conf's try_files: a client-side route (a deep link) gets index.html.
    const route = get(`${WEB}/keyspaces`);
    expect(route.status).toBe(200);
    expect(route.body).toBe(index.body);
  });

  test('vtadmin-web serves /config/config.js from the ConfigMap: the example\'s apiAddress, not cached', () => {
    const config = get(`${WEB}/config/config.js`);
    expect(config.status, config.headers).toBe(200);
    const configMap = driver.objects().find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'mini-zone1-vtadmin') as KubeObject & { data: Record<string, string> };
    expect(config.body).toBe(configMap.data['config.js'] as string);
    expect(config.body).toContain(`"VITE_VTADMIN_API_ADDRESS": "${API_ADDRESS}"`);
    // default.conf's `location ~ config\.js`: the browser must not keep an old API address.
    expect(config.headers).toMatch(/^Cache-Control: no-store\r?$/im);
  });

  test('an apiAddress edit rolls vtadmin-api and vtadmin-web (the ConfigMap\'s hash in their templates), and the new config is served', async () => {
    const before = new Map(runner.pods.map((p) => [p.name, p.generation]));
    const edited = structuredClone(example);
    edited.spec.vtadmin.apiAddress = 'http://localhost:24200';
    driver.apply(edited);
    const t0 = Date.now();
    const rolled = await driver.converge(READY_WAIT_MS);
    console.log(`apiAddress edit: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${rolled.rounds} rounds, converged ${rolled.converged}`);
    expect(rolled.converged).toBe(true);
    for (const component of ['vtadmin-api', 'vtadmin-web']) {
      const [p] = byComponent(component) as [RunPod];
      expect(p.generation, component).toBe((before.get(p.name) ?? 0) + 1);
      expect(runner.isReady(p), errors(p)).toBe(true);
    }
    // Nothing else restarts: the tablets, vtctld and vtgate keep their Pods.
    for (const p of runner.pods.filter((x) => x.kind === 'Pod' && !x.labels['vitess.io/component']?.startsWith('vtadmin'))) expect(p.generation, p.name).toBe(before.get(p.name) ?? -1);
    const config = await until(() => {
      const r = get(`${WEB}/config/config.js`);
      return r.body.includes('"VITE_VTADMIN_API_ADDRESS": "http://localhost:24200"') ? r : undefined;
    }, 30000);
    expect(config, get(`${WEB}/config/config.js`).body).toBeDefined();
    expect(api('/api/clusters')?.clusters).toEqual([{ id: 'mini', name: 'mini' }]);
  });
});
