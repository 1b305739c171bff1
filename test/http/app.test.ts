/** createHookApp in process (app.request): routing, refusals, error mapping, the sync call. */
import { expect, test } from 'bun:test';
import { createHookApp } from '../../lib/http/app.ts';
import { createLogger } from '../../lib/http/logging.ts';
import { ServerState } from '../../lib/http/state.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import { FIXED_NOW, fakeLayer, JSON_HEADERS, requestBody } from './support.ts';

const post = (body: string, headers: Record<string, string> = JSON_HEADERS) => ({ method: 'POST', headers, body });

test('a hook answers 200 with the layer answer, given the injected clock', async () => {
  const app = createHookApp([fakeLayer()], { clock: () => FIXED_NOW });
  const res = await app.request('/sync-shard', post(JSON.stringify(requestBody('VitessShard', 2))));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
  const answer = (await res.json()) as { status: Record<string, unknown>; children: KubeObject[] };
  expect(answer.status).toEqual({ parent: 'shard-0', now: FIXED_NOW.toISOString() });
  expect(answer.children.map((child) => child.metadata.name)).toEqual(['pod-0', 'pod-1']);
});

test('each layer is served at its own path, nothing else', async () => {
  const app = createHookApp([fakeLayer(), fakeLayer({ name: 'sync-cell', parentKind: 'VitessCell' })]);
  expect((await app.request('/sync-cell', post(JSON.stringify(requestBody('VitessCell'))))).status).toBe(200);
  expect((await app.request('/sync-shard', post(JSON.stringify(requestBody('VitessShard'))))).status).toBe(200);
  const missing = await app.request('/sync-keyspace', post(JSON.stringify(requestBody('VitessKeyspace'))));
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({ error: 'not found' });
  expect((await app.request('/', post('{}'))).status).toBe(404);
});

test('a request for another parent kind is malformed (400)', async () => {
  const app = createHookApp([fakeLayer()]);
  const res = await app.request('/sync-shard', post(JSON.stringify(requestBody('VitessCell'))));
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: string }).error).toContain("this hook syncs 'VitessShard'");
});

test('405 with Allow for another method, 415 for another media type', async () => {
  const app = createHookApp([fakeLayer()]);
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
    const res = await app.request('/sync-shard', { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  }
  const body = JSON.stringify(requestBody());
  expect((await app.request('/sync-shard', post(body, { 'content-type': 'text/plain' }))).status).toBe(415);
  expect((await app.request('/sync-shard', post(body, { 'content-type': 'application/x-www-form-urlencoded' }))).status).toBe(415);
  expect((await app.request('/sync-shard', { method: 'POST', body })).status).toBe(415);
  expect((await app.request('/sync-shard', post(body, { 'content-type': 'application/json; charset=utf-8' }))).status).toBe(200);
  expect((await app.request('/sync-shard', post(body, { 'content-type': 'Application/JSON' }))).status).toBe(200);
});

test('a body that is not JSON is 400 with issues, never treated as {}', async () => {
  const app = createHookApp([fakeLayer()]);
  for (const body of ['', '{', 'null x', '{"parent":', "{'a':1}", 'NaN']) {
    const res = await app.request('/sync-shard', post(body));
    expect(res.status).toBe(400);
    const error = (await res.json()) as { error: string; issues: string[] };
    expect(error.error).toBe('request body is not JSON');
    expect(error.issues.length).toBe(1);
  }
});

test('JSON that is not a sync request is 400 with every issue', async () => {
  const app = createHookApp([fakeLayer()]);
  for (const body of ['{}', '[]', '1', '"x"', 'null', '{"parent":{}}', '{"parent":{"apiVersion":"v","kind":"VitessShard","metadata":{"name":""}}}']) {
    const res = await app.request('/sync-shard', post(body));
    expect(res.status).toBe(400);
    const error = (await res.json()) as { error: string; issues: string[] };
    expect(error.error).toBe('not a Metacontroller sync request');
    expect(error.issues.length).toBeGreaterThan(0);
  }
});

test('an exception in the layer is 500 without detail, and logged with its stack', async () => {
  const logs: string[] = [];
  const app = createHookApp(
    [
      fakeLayer({
        sync: () => {
          throw new TypeError('boom in layer');
        },
      }),
    ],
    { logger: createLogger({ write: (line) => logs.push(line) }) },
  );
  const res = await app.request('/sync-shard', post(JSON.stringify(requestBody())));
  expect(res.status).toBe(500);
  expect(await res.json()).toEqual({ error: 'internal error' });
  const failure = logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'sync failed');
  expect(failure?.message).toBe('boom in layer');
  expect(String(failure?.stack)).toContain('TypeError');
});

test('an answer with a null or nameless child is 500: Metacontroller would delete or crash', async () => {
  const bad: unknown[] = [null, {}, { apiVersion: 'v1', kind: 'Pod', metadata: {} }, 'x'];
  for (const child of bad) {
    const app = createHookApp([fakeLayer({ sync: () => ({ status: {}, children: [child as KubeObject] }) })]);
    expect((await app.request('/sync-shard', post(JSON.stringify(requestBody())))).status).toBe(500);
  }
  const noStatus = createHookApp([fakeLayer({ sync: () => ({ children: [] }) as unknown as { status: Record<string, unknown>; children: KubeObject[] } })]);
  expect((await noStatus.request('/sync-shard', post(JSON.stringify(requestBody())))).status).toBe(500);
});

test('healthz always, readyz until draining', async () => {
  const state = new ServerState();
  const app = createHookApp([fakeLayer()], { state });
  expect((await app.request('/healthz')).status).toBe(200);
  expect((await app.request('/readyz')).status).toBe(200);
  state.draining = true;
  expect((await app.request('/readyz')).status).toBe(503);
  expect((await app.request('/healthz')).status).toBe(200);
});

test('two layers with one name are refused at construction', () => {
  expect(() => createHookApp([fakeLayer(), fakeLayer()])).toThrow('two layers are named sync-shard');
});

test('the body size limit holds for a declared length and for a streamed body', async () => {
  const app = createHookApp([fakeLayer()], { bodyLimitBytes: 100 });
  const big = JSON.stringify(requestBody('VitessShard', 5));
  expect((await app.request('/sync-shard', post(big))).status).toBe(413);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(big));
      controller.close();
    },
  });
  const res = await app.request('/sync-shard', { method: 'POST', headers: JSON_HEADERS, body: stream, duplex: 'half' } as RequestInit);
  expect(res.status).toBe(413);
});

test('a body that is not UTF-8 is 400', async () => {
  const app = createHookApp([fakeLayer()]);
  const res = await app.request('/sync-shard', { method: 'POST', headers: JSON_HEADERS, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
  expect(res.status).toBe(400);
});
