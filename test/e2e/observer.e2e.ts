/**
 * The observer (hooks/observer.ts) against a real API server, as its ServiceAccount (a TokenRequest
 * token for vitess-operator-observer, bound by metacontroller/observer.yaml's ClusterRole), with fake
 * vtgates: HTTP servers on 127.0.0.1 answering /debug/gateway in v24's shape, behind vtgate Pods whose
 * status (IP 127.0.0.1, Ready) the test writes as a kubelet would. The VitessShards are the hooks' own,
 * from the renders of examples/multi-cell.yaml and examples/minimal.yaml.
 *
 * Checks: the annotation appears on the right VitessShards (every cell's VitessShard of a Vitess shard,
 * only those of the vtgates' cluster), with the merged view; nothing else of a VitessShard changes; an
 * unchanged state is not written again, a reparent is; the ServiceAccount can do nothing beyond list
 * Pods, list and patch VitessShards.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import * as k8s from '@kubernetes/client-node';
import type { Server } from 'bun';
import { Observer } from '../../hooks/observer.ts';
import { API_VERSION } from '../../lib/api/common.ts';
import { silentLogger } from '../../lib/http/logging.ts';
import { LABEL } from '../../lib/vitess/labels.ts';
import { freshVitessState, VITESS_STATE_ANNOTATION } from '../../lib/vitess/state.ts';
import { gatewayJson } from '../observer/support.ts';
import { loadKubeConfig } from './controlplane/kubeclient.ts';
import { applyManifests, ensureCrds, MANIFESTS } from './support/install.ts';
import { apply, clients, createNamespace, deleteNamespace, list, type Obj, read, uniqueName } from './support/kube.ts';
import { kustomize } from './support/kustomize.ts';
import { EXAMPLES_DIR, renderFile } from './support/render.ts';

const NS = uniqueName('observer');
const SA = { namespace: 'vitess-operator', name: 'vitess-operator-observer' };

/** What each fake vtgate answers, by server; changed by the tests. */
const answers = new Map<Server<undefined>, () => unknown>();
const servers: Server<undefined>[] = [];
function fakeVtgate(answer: () => unknown): Server<undefined> {
  const server: Server<undefined> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request: Request): Response => (new URL(request.url).pathname === '/debug/gateway' ? Response.json(answers.get(server)?.() ?? null) : new Response('not found', { status: 404 })),
  });
  answers.set(server, answer);
  servers.push(server);
  return server;
}

/** The multi-cell example's shards: -40, 40-80, 80-c0, c0- of keyspace orders, in cells eu-west-1a and eu-west-1b. */
const shopView = (primaryOf40: number, term: number, servingB = true) =>
  gatewayJson([
    { cell: 'eu-west-1a', uid: 100, keyspace: 'orders', shard: '-40', type: primaryOf40 === 100 ? 1 : 2, serving: true, hostname: '10.1.0.1', term: primaryOf40 === 100 ? term : 0 },
    { cell: 'eu-west-1b', uid: 200, keyspace: 'orders', shard: '-40', type: primaryOf40 === 200 ? 1 : 2, serving: servingB, hostname: '10.1.0.2', term: primaryOf40 === 200 ? term : 0 },
    { cell: 'eu-west-1a', uid: 101, keyspace: 'orders', shard: '40-80', type: 1, serving: true, hostname: '10.1.0.3', term: 50 },
  ]);

let shards: Obj[] = [];
let vtgateLabels: { shop: Record<string, string>; mini: Record<string, string> };
let observer: Observer;

/** A vtgate Pod of a cluster, at 127.0.0.1 and the fake server's port, Ready or not, as a kubelet reports it. */
async function vtgatePod(name: string, labels: Record<string, string>, port: number, ready: boolean): Promise<void> {
  await apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: { containers: [{ name: 'vtgate', image: 'vitess/lite:v24.0.3', ports: [{ name: 'web', containerPort: port }, { name: 'mysql', containerPort: 3306 }] }] },
  });
  const { core } = clients();
  const live = await core.readNamespacedPod({ name, namespace: NS });
  live.status = { phase: 'Running', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date() }] };
  await core.replaceNamespacedPodStatus({ name, namespace: NS, body: live });
}

/** A kubeconfig for the observer's ServiceAccount: the test cluster's server and CA, a TokenRequest token. */
async function serviceAccountKubeConfig(): Promise<k8s.KubeConfig> {
  const { core } = clients();
  const token = await core.createNamespacedServiceAccountToken({ name: SA.name, namespace: SA.namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const admin = loadKubeConfig();
  const cluster = admin.getCurrentCluster() as k8s.Cluster;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: cluster.server, caData: cluster.caData, caFile: cluster.caFile, skipTLSVerify: cluster.skipTLSVerify }],
    users: [{ name: 'observer', token: token.status?.token }],
    contexts: [{ name: 'observer', cluster: 'test', user: 'observer' }],
    currentContext: 'observer',
  });
  return kc;
}

/** The Vitess shard a VitessShard is of (spec.name). */
const shardName = (o: Obj): string => (o.spec as { name: string }).name;
const annotation = (o: Obj | undefined): string | undefined => o?.metadata.annotations?.[VITESS_STATE_ANNOTATION];
const liveShards = (): Promise<Obj[]> => list(API_VERSION, 'VitessShard', NS);

beforeAll(async () => {
  await ensureCrds();
  await applyManifests(kustomize(MANIFESTS));
  await createNamespace(NS);
  const rendered = [...(await renderFile(`${EXAMPLES_DIR}/multi-cell.yaml`)), ...(await renderFile(`${EXAMPLES_DIR}/minimal.yaml`))];
  // The hooks' VitessShards, created directly (their parents are not what this test is about), without
  // the state the render's simulated Vitess wrote on them: here the observer is the one writer.
  for (const o of rendered.filter((x) => x.kind === 'VitessShard')) {
    const { name, labels } = o.metadata;
    const { [VITESS_STATE_ANNOTATION]: _simulated, ...annotations } = o.metadata.annotations ?? {};
    await apply({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name, namespace: NS, labels, annotations }, spec: o.spec });
  }
  shards = await liveShards();
  const gateLabels = (cluster: string): Record<string, string> => {
    const d = rendered.find((x) => x.kind === 'Deployment' && x.metadata.labels?.[LABEL.component] === 'vtgate' && x.metadata.labels?.[LABEL.cluster] === cluster) as { spec: { template: { metadata: { labels: Record<string, string> } } } } | undefined;
    if (!d) throw new Error(`no vtgate Deployment of ${cluster} in the renders`);
    return d.spec.template.metadata.labels;
  };
  vtgateLabels = { shop: gateLabels('shop'), mini: gateLabels('mini') };
  // Two vtgates of shop (one per data cell) seeing the same tablets; a third, not Ready, answering nonsense.
  const a = fakeVtgate(() => shopView(100, 10));
  const b = fakeVtgate(() => shopView(100, 10));
  const broken = fakeVtgate(() => ({ not: 'a gateway' }));
  await vtgatePod('shop-vtgate-a', vtgateLabels.shop, a.port as number, true);
  await vtgatePod('shop-vtgate-b', { ...vtgateLabels.shop, [LABEL.cell]: 'eu-west-1b' }, b.port as number, true);
  await vtgatePod('shop-vtgate-starting', vtgateLabels.shop, broken.port as number, false);
  observer = new Observer({ kubeConfig: await serviceAccountKubeConfig(), namespace: undefined, intervalMs: 1000, gateTimeoutMs: 2000, logger: silentLogger });
});

afterAll(async () => {
  for (const s of servers) s.stop(true);
  await deleteNamespace(NS);
});

describe('the observer against a real API server, as its ServiceAccount', () => {
  test('one poll writes the merged state on every cell\'s VitessShard of each Vitess shard of the vtgates\' cluster, and on nothing else', async () => {
    const result = await observer.pollOnce();
    expect(result.gates).toBe(2); // the starting vtgate is not asked
    expect(result.answered).toBe(2);
    expect(result.failed).toBe(0);
    const after = await liveShards();
    const shop = after.filter((s) => s.metadata.labels?.[LABEL.cluster] === 'shop');
    const mini = after.filter((s) => s.metadata.labels?.[LABEL.cluster] === 'mini');
    expect(shop.length).toBe(8); // 4 shards x 2 data cells
    expect(mini.length).toBe(1);
    for (const s of shop) expect({ shard: s.metadata.name, written: annotation(s) !== undefined }).toEqual({ shard: s.metadata.name, written: true });
    expect(annotation(mini[0])).toBeUndefined(); // no vtgate of mini: left alone
    const now = new Date();
    const of = (shard: string) => shop.filter((s) => shardName(s) === shard).map((s) => freshVitessState(s.metadata.annotations, now));
    for (const state of of('-40')) {
      expect(state).toMatchObject({ gates: 2, primary: 'eu-west-1a-0000000100' });
      expect(state?.tablets).toEqual([
        { alias: 'eu-west-1a-0000000100', cell: 'eu-west-1a', type: 'primary', serving: true, hostname: '10.1.0.1' },
        { alias: 'eu-west-1b-0000000200', cell: 'eu-west-1b', type: 'replica', serving: true, hostname: '10.1.0.2' },
      ]);
    }
    for (const state of of('80-c0')) expect(state).toMatchObject({ gates: 2, primary: null, tablets: [] });
    // Only the annotation changed: same spec, same labels, same generation.
    for (const s of shop) {
      const before = shards.find((x) => x.metadata.name === s.metadata.name) as Obj;
      expect({ name: s.metadata.name, spec: s.spec, labels: s.metadata.labels, generation: s.metadata.generation }).toEqual({ name: before.metadata.name, spec: before.spec, labels: before.metadata.labels, generation: before.metadata.generation });
    }
  });

  test('an unchanged state is not written again; a reparent, and a vtgate that stops serving a tablet, are', async () => {
    expect((await observer.pollOnce()).patches).toEqual([]);
    const [a, b] = servers as [Server<undefined>, Server<undefined>];
    answers.set(a, () => shopView(200, 20));
    answers.set(b, () => shopView(200, 20, false));
    const result = await observer.pollOnce();
    expect(result.patches.map((p) => p.name).sort()).toEqual(shards.filter((s) => s.metadata.labels?.[LABEL.cluster] === 'shop' && shardName(s) === '-40').map((s) => s.metadata.name).sort());
    const live = await read(shards.find((s) => shardName(s) === '-40') as Obj);
    const state = freshVitessState(live?.metadata.annotations, new Date());
    expect(state?.primary).toBe('eu-west-1b-0000000200');
    // The new primary is not served by vtgate b: not serving, whatever a says.
    expect(state?.tablets.find((t) => t.alias === 'eu-west-1b-0000000200')).toMatchObject({ type: 'primary', serving: false });
  });

  test('the loop polls until stopped, and stops cleanly', async () => {
    const [a] = servers as [Server<undefined>];
    answers.set(a, () => shopView(100, 30));
    const startedAt = Date.now();
    observer.start();
    const deadline = Date.now() + 15000;
    while (observer.lastPollAt < startedAt && Date.now() < deadline) await Bun.sleep(100);
    await observer.stop();
    expect(observer.lastPollAt).toBeGreaterThanOrEqual(startedAt);
    expect(observer.healthy(startedAt)).toBe(true);
  });

  test('the ServiceAccount may list Pods, list and patch VitessShards, and nothing else', async () => {
    const kc = loadKubeConfig();
    const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
    const can = async (verb: string, resource: string, group = '', subresource?: string): Promise<boolean> => {
      const r = await authz.createSubjectAccessReview({
        body: { spec: { user: `system:serviceaccount:${SA.namespace}:${SA.name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${SA.namespace}`, 'system:authenticated'], resourceAttributes: { namespace: NS, verb, resource, group, subresource } } },
      });
      return r.status?.allowed === true;
    };
    expect(await can('list', 'pods')).toBe(true);
    expect(await can('list', 'vitessshards', 'vitess.io')).toBe(true);
    expect(await can('patch', 'vitessshards', 'vitess.io')).toBe(true);
    for (const [verb, resource, group] of [['get', 'pods', ''], ['watch', 'pods', ''], ['delete', 'pods', ''], ['get', 'secrets', ''], ['list', 'secrets', ''], ['update', 'vitessshards', 'vitess.io'], ['delete', 'vitessshards', 'vitess.io'], ['create', 'vitessshards', 'vitess.io'], ['patch', 'vitesskeyspaces', 'vitess.io'], ['patch', 'pods', '']] as const) {
      expect({ verb, resource, allowed: await can(verb, resource, group) }).toEqual({ verb, resource, allowed: false });
    }
    expect(await can('patch', 'vitessshards', 'vitess.io', 'status')).toBe(false);
  });
});
