/**
 * Large answers under the buffer budget, over real HTTP on loopback: charged while the runtime holds
 * them, sent whole and byte-identical to a client that reads, cut off (connection closed, charge
 * given back) for a client that stops reading, and 429 when they do not fit the budget.
 */
import { expect, test } from 'bun:test';
import { connect } from 'node:net';
import { createHookApp } from '../../lib/http/app.ts';
import type { SyncResponse } from '../../lib/metacontroller/request.ts';
import { FIXED_NOW, fakeLayer, JSON_HEADERS, requestBody, startServer, until } from './support.ts';

const MIB = 1024 * 1024;
/** A layer that answers `count` ConfigMaps of about 1 KiB each, whatever the request. */
const bigLayer = (count: number) =>
  fakeLayer({
    sync: (): SyncResponse => ({
      status: {},
      children: Array.from({ length: count }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { x: 'y'.repeat(1000) } })),
    }),
  });
const body = JSON.stringify(requestBody('VitessShard', 1));

test('a large answer is sent whole (chunked), with its ETag, and its charge given back', async () => {
  const layer = bigLayer(6000);
  const expected = await (await createHookApp([layer], { clock: () => FIXED_NOW, streamAnswersAboveBytes: 100 * MIB }).request('/sync-shard', { method: 'POST', headers: JSON_HEADERS, body })).text();
  const server = startServer([layer], { streamAnswersAboveBytes: 64 * 1024 });
  try {
    const res = await fetch(`${server.url}/sync-shard`, { method: 'POST', headers: JSON_HEADERS, body });
    expect(res.status).toBe(200);
    // Bun sends a stream chunked, whatever Content-Length the Response carried.
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(await res.text()).toBe(expected);
    await until(() => server.state.buffered === 0, 'the charge given back');
  } finally {
    await server.stop();
  }
});

test('a client that stops reading a large answer is cut off: the charge given back, the answer dropped', async () => {
  // About 12 MiB: more than loopback's socket buffers take, so the rest waits in the server.
  const server = startServer([bigLayer(12_000)], { slowGraceMs: 500, minBytesPerSecond: 1024 * 1024 });
  try {
    const { hostname, port } = new URL(server.url);
    const socket = connect({ host: hostname, port: Number(port) });
    let received = 0;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      // Read the head, then nothing more.
      socket.pause();
    });
    socket.write(`POST /sync-shard HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    await until(() => server.state.buffered > 10 * MIB, 'the answer charged');
    // Cut off once the bytes the socket took stop being enough for 1 MiB/s.
    await until(() => server.state.buffered === 0, 'the charge given back');
    expect(received).toBeLessThan(12 * MIB);
    // The server answers others meanwhile; the stalled connection closes at the idle timeout.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    socket.destroy();
  } finally {
    await server.stop();
  }
}, 60_000);

test('an answer that does not fit the budget is 429 with Retry-After', async () => {
  const server = startServer([bigLayer(2000)], { bodyLimitBytes: 64 * 1024, bufferBudgetBytes: 1 * MIB, retryAfterSeconds: 4 });
  try {
    const res = await fetch(`${server.url}/sync-shard`, { method: 'POST', headers: JSON_HEADERS, body });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('4');
    expect(await res.json()).toEqual({ error: 'too many bytes buffered by the server, try again later' });
    expect(server.state.buffered).toBe(0);
  } finally {
    await server.stop();
  }
});
