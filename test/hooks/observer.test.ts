/**
 * hooks/observer.ts's transport against an in-process fake API server and fake vtgates: what it asks
 * (list our vtgate Pods, list VitessShards), what it writes (a merge patch of the one annotation, with
 * the kubeconfig's token), and what it does when a vtgate or the API server fails. The real API server
 * and RBAC: test/e2e/observer.e2e.ts.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import * as k8s from '@kubernetes/client-node';
import { Observer } from '../../hooks/observer.ts';
import { API_VERSION } from '../../lib/api/common.ts';
import { createLogger } from '../../lib/http/logging.ts';
import { LABEL } from '../../lib/vitess/labels.ts';
import { VITESS_STATE_ANNOTATION } from '../../lib/vitess/state.ts';
import { gatewayJson } from '../observer/support.ts';

const vtgate = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => Response.json(gatewayJson([{ cell: 'zone1', uid: 1, type: 1, serving: true, hostname: '10.0.0.1', term: 7 }])) });
const requests: { method: string; path: string; auth: string | null; type: string | null; body: unknown }[] = [];
const pod = (name: string, ready: boolean, port: number) => ({
  metadata: { name, namespace: 'ns', labels: { [LABEL.cluster]: 'mini', [LABEL.component]: 'vtgate' } },
  spec: { containers: [{ name: 'vtgate', ports: [{ name: 'web', containerPort: port }] }] },
  status: { podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
let patchStatus = 200;
const api = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: async (request) => {
    const url = new URL(request.url);
    const body = request.method === 'PATCH' ? await request.json() : undefined;
    requests.push({ method: request.method, path: url.pathname + url.search, auth: request.headers.get('authorization'), type: request.headers.get('content-type'), body });
    if (url.pathname === '/api/v1/pods') return Response.json({ items: [pod('mini-zone1-vtgate-a', true, vtgate.port as number), pod('mini-zone1-vtgate-b', false, 1)] });
    if (url.pathname === `/apis/${API_VERSION}/vitessshards`) {
      return Response.json({ items: [{ metadata: { name: 'mini-zone1-commerce-0', namespace: 'ns', labels: { [LABEL.cluster]: 'mini' } }, spec: { keyspace: 'commerce', name: '0' } }] });
    }
    if (request.method === 'PATCH') return new Response('{}', { status: patchStatus });
    return new Response('not found', { status: 404 });
  },
});
afterAll(() => {
  vtgate.stop(true);
  api.stop(true);
});

function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${api.port}`, skipTLSVerify: true }],
    users: [{ name: 'observer', token: 'the-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'observer' }],
    currentContext: 'fake',
  });
  return kc;
}
const lines: string[] = [];
const observer = new Observer({ kubeConfig: kubeConfig(), intervalMs: 50, gateTimeoutMs: 1000, logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }) });

describe('the observer\'s transport', () => {
  test('lists our vtgate Pods and the VitessShards, asks the Ready vtgate, merge-patches the annotation with the token', async () => {
    requests.length = 0;
    const result = await observer.pollOnce();
    expect(result).toMatchObject({ gates: 1, answered: 1, shards: 1, failed: 0 });
    expect(requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /api/v1/pods?labelSelector=vitess.io%2Fcomponent%3Dvtgate%2Cvitess.io%2Fcluster',
      `GET /apis/${API_VERSION}/vitessshards`,
      `PATCH /apis/${API_VERSION}/namespaces/ns/vitessshards/mini-zone1-commerce-0`,
    ]);
    expect(requests.every((r) => r.auth === 'Bearer the-token')).toBe(true);
    const patch = requests.find((r) => r.method === 'PATCH');
    expect(patch?.type).toBe('application/merge-patch+json');
    const body = patch?.body as { metadata: { annotations: Record<string, string> } };
    expect(Object.keys(body)).toEqual(['metadata']);
    expect(Object.keys(body.metadata)).toEqual(['annotations']);
    expect(JSON.parse(body.metadata.annotations[VITESS_STATE_ANNOTATION] as string)).toMatchObject({ gates: 1, primary: 'zone1-0000000001' });
  });

  test('a refused patch is counted and logged, and tried again next poll', async () => {
    patchStatus = 409;
    const result = await observer.pollOnce();
    patchStatus = 200;
    expect(result.failed).toBe(1);
    expect(lines.some((l) => l.includes('state not written') && l.includes('409'))).toBe(true);
  });

  test('a namespace narrows every list to it', async () => {
    requests.length = 0;
    await new Observer({ kubeConfig: kubeConfig(), namespace: 'ns', intervalMs: 50, gateTimeoutMs: 1000, logger: createLogger({ level: 'silent' }) }).pollOnce().catch(() => undefined);
    expect(requests.filter((r) => r.method === 'GET').map((r) => r.path.split('?')[0]).sort()).toEqual(['/api/v1/namespaces/ns/pods', `/apis/${API_VERSION}/namespaces/ns/vitessshards`]);
  });

  test('the loop survives a failing API server, reports unhealthy, and stops cleanly', async () => {
    const broken = new Observer({ kubeConfig: (() => { const kc = kubeConfig(); kc.clusters[0] = { ...kc.clusters[0]!, server: 'http://127.0.0.1:1' }; return kc; })(), intervalMs: 20, gateTimeoutMs: 100, logger: createLogger({ level: 'silent' }) });
    const startedAt = Date.now();
    broken.start();
    await Bun.sleep(150);
    expect(broken.healthy(startedAt)).toBe(false);
    await broken.stop();
    observer.start();
    await Bun.sleep(120);
    await observer.stop();
    expect(observer.healthy(startedAt)).toBe(true);
  });
});

describe("the observer's transport to a reshard target's primary", () => {
  test("asks the primary vtgate names, at the web port of its tablet record, for /debug/vars, and writes its streams in the annotation", async () => {
    const asked: string[] = [];
    const tablet = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: (request) => {
        asked.push(new URL(request.url).pathname);
        return Response.json({ VReplicationSource: { '1': 'commerce/0' }, VReplicationStreamState: { 'reshard.Reshard.1': 'Copying' }, VReplicationLagSeconds: { 'commerce.0.reshard.Reshard.1': 9223372036854775807 }, VReplicationCopyRowCount: { 'commerce.0.reshard.Reshard.1': 12 } });
      },
    });
    const gate = gatewayJson([{ cell: 'zone1', uid: 7, shard: '-80', type: 1, serving: false, hostname: '127.0.0.1', term: 3 }]) as { TabletsStats: { Tablet: { port_map: Record<string, number> } }[] }[];
    (gate[0] as { TabletsStats: { Tablet: { port_map: Record<string, number> } }[] }).TabletsStats[0]!.Tablet.port_map = { vt: tablet.port as number, grpc: 1 };
    const vtgate2 = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => Response.json(gate) });
    const patches: { path: string; body: unknown }[] = [];
    const api2 = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: async (request) => {
        const url = new URL(request.url);
        if (request.method === 'PATCH') return (patches.push({ path: url.pathname, body: await request.json() }), Response.json({}));
        if (url.pathname === '/api/v1/pods') return Response.json({ items: [pod('mini-zone1-vtgate-a', true, vtgate2.port as number)] });
        return Response.json({ items: [{ metadata: { name: 'mini-zone1-commerce-x-80', namespace: 'ns', labels: { [LABEL.cluster]: 'mini' } }, spec: { keyspace: 'commerce', name: '-80', reshardTarget: true } }] });
      },
    });
    try {
      const kc = kubeConfig();
      kc.clusters[0] = { ...kc.clusters[0]!, server: `http://127.0.0.1:${api2.port}` };
      const result = await new Observer({ kubeConfig: kc, intervalMs: 50, gateTimeoutMs: 1000, logger: createLogger({ level: 'silent' }) }).pollOnce();
      expect(result).toMatchObject({ gates: 1, answered: 1, tablets: 1, tabletsAnswered: 1, failed: 0 });
      expect(asked).toEqual(['/debug/vars']);
      const text = (patches[0]?.body as { metadata: { annotations: Record<string, string> } }).metadata.annotations[VITESS_STATE_ANNOTATION] as string;
      expect(JSON.parse(text).vreplication).toEqual({ tablet: 'zone1-0000000007', streams: [{ id: 1, source: 'commerce/0', workflow: 'reshard', state: 'Copying', rowsCopied: 12, tablesCopied: 0 }] });
    } finally {
      tablet.stop(true);
      vtgate2.stop(true);
      api2.stop(true);
    }
  });
});
