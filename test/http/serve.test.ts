/**
 * The hook server over real HTTP on loopback (Bun.serve on a free port): every transport option.
 * No assertion depends on how fast the machine is: waits poll the server's state.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCredentials } from '../../lib/http/auth.ts';
import { deferred, fakeLayer, JSON_HEADERS, rawRequest, requestBody, startServer, until, withServer } from './support.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hook-serve-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const post = (url: string, body: string, headers: Record<string, string> = JSON_HEADERS) => fetch(url, { method: 'POST', headers, body });
const validBody = JSON.stringify(requestBody('VitessShard', 3));

test('200, 400 (not JSON, not a request), 405, 415, 404 and 500 over HTTP', async () => {
  const failing = fakeLayer({
    name: 'sync-cell',
    parentKind: 'VitessCell',
    sync: () => {
      throw new Error('bug');
    },
  });
  await withServer([fakeLayer(), failing], {}, async ({ url }) => {
    expect((await post(`${url}/sync-shard`, validBody)).status).toBe(200);
    const notJson = await post(`${url}/sync-shard`, '{"parent": ');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { issues: string[] }).issues.length).toBe(1);
    const notRequest = await post(`${url}/sync-shard`, '{"parent": {"kind": 5}}');
    expect(notRequest.status).toBe(400);
    expect(((await notRequest.json()) as { issues: string[] }).issues.length).toBeGreaterThan(0);
    const get = await fetch(`${url}/sync-shard`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await post(`${url}/sync-shard`, validBody, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(`${url}/nope`, validBody)).status).toBe(404);
    const bug = await post(`${url}/sync-cell`, JSON.stringify(requestBody('VitessCell')));
    expect(bug.status).toBe(500);
    expect(await bug.json()).toEqual({ error: 'internal error' });
  });
});

test('413 for a declared length over the limit, and for a chunked body that grows past it', async () => {
  await withServer([fakeLayer()], { bodyLimitBytes: 1000 }, async ({ url }) => {
    const big = 'x'.repeat(5000);
    const declared = await rawRequest(url, { path: '/sync-shard', headers: { ...JSON_HEADERS, 'content-length': String(big.length) }, parts: [big] });
    expect(declared.status).toBe(413);
    // Chunked: no length up front, so the limit is enforced on the bytes as they arrive.
    const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
    const chunked = await rawRequest(url, {
      path: '/sync-shard',
      headers: { ...JSON_HEADERS, 'transfer-encoding': 'chunked' },
      parts: [chunk('x'.repeat(600)), chunk('x'.repeat(600)), '0\r\n\r\n'],
    });
    expect(chunked.status).toBe(413);
    // Under the limit, chunked, is fine.
    const small = JSON.stringify(requestBody('VitessShard', 0));
    const ok = await rawRequest(url, { path: '/sync-shard', headers: { ...JSON_HEADERS, 'transfer-encoding': 'chunked' }, parts: [chunk(small), '0\r\n\r\n'] });
    expect(ok.status).toBe(200);
  });
});

test('408 when the body does not arrive within the time limit', async () => {
  const never = deferred();
  await withServer([fakeLayer()], { timeoutMs: 100 }, async ({ url }) => {
    const res = await rawRequest(url, {
      path: '/sync-shard',
      headers: { ...JSON_HEADERS, 'content-length': String(validBody.length) },
      parts: [validBody.slice(0, 10), validBody.slice(10)],
      beforePart: (index) => (index === 1 ? never.promise : Promise.resolve()),
    });
    expect(res.status).toBe(408);
  });
  never.resolve();
});

test('401 without or with a wrong token; 200 with the token from the file, scheme case-insensitive', async () => {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 's3cret-token\n');
  const auth = openCredentials({ kind: 'token', type: 'Bearer', tokenFile });
  await withServer([fakeLayer()], { auth }, async ({ url, logs }) => {
    const send = (authorization?: string) => post(`${url}/sync-shard`, validBody, { ...JSON_HEADERS, ...(authorization ? { authorization } : {}) });
    const missing = await send();
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: 'unauthorized' });
    expect((await send('Bearer wrong')).status).toBe(401);
    expect((await send('Bearer s3cret-toke')).status).toBe(401);
    expect((await send('Bearer s3cret-token-and-more')).status).toBe(401);
    expect((await send('Token s3cret-token')).status).toBe(401);
    expect((await send('s3cret-token')).status).toBe(401);
    expect((await send('Bearer s3cret-token')).status).toBe(200);
    expect((await send('bearer s3cret-token')).status).toBe(200);
    // Health and metrics stay open for the kubelet and Prometheus.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(logs.join('')).not.toContain('s3cret');
  });
});

test('basic auth: right pair 200; wrong user, wrong password, no colon or other scheme 401', async () => {
  writeFileSync(join(dir, 'username'), 'metacontroller');
  writeFileSync(join(dir, 'password'), 'pa:ss word\n');
  const auth = openCredentials({ kind: 'basic', usernameFile: join(dir, 'username'), passwordFile: join(dir, 'password') });
  const basic = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;
  await withServer([fakeLayer()], { auth }, async ({ url }) => {
    const send = (authorization: string) => post(`${url}/sync-shard`, validBody, { ...JSON_HEADERS, authorization });
    expect((await send(basic('metacontroller:pa:ss word'))).status).toBe(200);
    const refused = await send(basic('metacontroller:wrong'));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('Basic');
    expect((await send(basic('someone:pa:ss word'))).status).toBe(401);
    expect((await send(basic('metacontrollerpa:ss word'))).status).toBe(401);
    expect((await send(`Bearer ${Buffer.from('metacontroller:pa:ss word').toString('base64')}`)).status).toBe(401);
    expect((await send('Basic !!!not-base64')).status).toBe(401);
  });
});

test('TLS with a self-signed certificate', async () => {
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  const openssl = Bun.spawnSync(
    ['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { stderr: 'pipe' },
  );
  expect(openssl.exitCode).toBe(0);
  await withServer([fakeLayer()], { tls: { certFile, keyFile } }, async ({ url }) => {
    expect(url.startsWith('https://')).toBe(true);
    const res = await fetch(`${url}/sync-shard`, { method: 'POST', headers: JSON_HEADERS, body: validBody, tls: { ca: readFileSync(certFile, 'utf8') } });
    expect(res.status).toBe(200);
    // A client that does not trust the certificate cannot talk to it.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

test('ETag on every 200; 304 without body when If-None-Match matches', async () => {
  await withServer([fakeLayer()], {}, async ({ url, logs }) => {
    const first = await post(`${url}/sync-shard`, validBody);
    expect(first.status).toBe(200);
    const tag = first.headers.get('etag') ?? '';
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    // Same request, same bytes, same tag (the layer is pure).
    expect((await post(`${url}/sync-shard`, validBody)).headers.get('etag')).toBe(tag);
    const again = await post(`${url}/sync-shard`, validBody, { ...JSON_HEADERS, 'if-none-match': tag });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(tag);
    expect(await again.text()).toBe('');
    expect((await post(`${url}/sync-shard`, validBody, { ...JSON_HEADERS, 'if-none-match': `"other", W/${tag}` })).status).toBe(304);
    const changed = await post(`${url}/sync-shard`, JSON.stringify(requestBody('VitessShard', 4)), { ...JSON_HEADERS, 'if-none-match': tag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(tag);
    // Errors carry no ETag.
    expect((await post(`${url}/sync-shard`, '{', { ...JSON_HEADERS, 'if-none-match': tag })).headers.get('etag')).toBeNull();
    expect(logs.some((line) => line.includes('"notModified":true'))).toBe(true);
  });
});

test('graceful shutdown: readyz 503 while draining, no new connections, the in-flight request completes', async () => {
  const release = deferred();
  const server = startServer([fakeLayer()]);
  const { url, state, running } = server;
  const slow = rawRequest(url, {
    path: '/sync-shard',
    headers: { ...JSON_HEADERS, 'content-length': String(validBody.length) },
    parts: [validBody.slice(0, 20), validBody.slice(20)],
    beforePart: (index) => (index === 1 ? release.promise : Promise.resolve()),
  });
  await until(() => state.inFlight === 1, 'a request in flight');
  // Until `proceed`, the listener stays open and readyz answers 503, so the Service stops routing here.
  const proceed = deferred();
  const stopped = running.shutdown({ proceed: proceed.promise });
  let stoppedYet = false;
  void stopped.then(() => {
    stoppedYet = true;
  });
  expect((await fetch(`${url}/readyz`, { headers: { connection: 'close' } })).status).toBe(503);
  proceed.resolve();
  // The listener closes while the request is still in flight: new connections are refused.
  let refused = false;
  for (let attempt = 0; attempt < 1000 && !refused; attempt++) {
    refused = await fetch(`${url}/healthz`, { headers: { connection: 'close' } }).then(
      () => false,
      () => true,
    );
    if (!refused) await Bun.sleep(10);
  }
  expect(refused).toBe(true);
  expect(stoppedYet).toBe(false);
  expect(state.inFlight).toBe(1);
  release.resolve();
  const answer = await slow;
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toHaveProperty('children');
  await stopped;
  expect(state.inFlight).toBe(0);
});

test('/metrics in the Prometheus text format, with every family', async () => {
  await withServer([fakeLayer()], {}, async ({ url }) => {
    await post(`${url}/sync-shard`, validBody);
    await post(`${url}/sync-shard`, '{');
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(text).toContain('hook_requests_total{code="200",hook="sync-shard"} 1');
    expect(text).toContain('hook_requests_total{code="400",hook="sync-shard"} 1');
    expect(text).toContain('hook_request_duration_seconds_bucket{code="200",hook="sync-shard",le="+Inf"} 1');
    expect(text).toContain('hook_request_duration_seconds_count{code="200",hook="sync-shard"} 1');
    expect(text).toMatch(/hook_response_bytes_bucket\{hook="sync-shard",le="\+Inf"\} 2/);
    expect(text).toContain('hook_in_flight 0');
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
    expect(text).toMatch(/process_heap_bytes \d+/);
    // Every line is a comment or `name{labels} value`.
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [-+0-9.eInf]+)$/);
    }
  });
});

test('JSON-line logs name hook, parent, children, status and duration, never the body', async () => {
  await withServer([fakeLayer()], {}, async ({ url, logs }) => {
    await post(`${url}/sync-shard`, validBody);
    await post(`${url}/sync-shard`, '{"parent": {"kind": "BODY-MARKER"');
    await post(`${url}/sync-shard`, JSON.stringify({ parent: { apiVersion: 'BODY-MARKER', kind: 7, metadata: { name: 'BODY-MARKER' } } }));
    const records = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const ok = records.find((record) => record.status === 200);
    expect(ok).toMatchObject({ level: 'info', msg: 'sync', hook: 'sync-shard', namespace: 'ns', name: 'shard-0', generation: 7, children: 3 });
    expect(typeof ok?.durationMs).toBe('number');
    expect(typeof ok?.time).toBe('string');
    expect(records.filter((record) => record.status === 400).map((record) => record.level)).toEqual(['warn', 'warn']);
    expect(logs.join('')).not.toContain('BODY-MARKER');
  });
});
