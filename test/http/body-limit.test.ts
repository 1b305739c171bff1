/**
 * The request body under hostile clients, over real HTTP on loopback (Bun.serve on a free port):
 * slow uploads cannot keep real syncs out, a trickling body is cut off with 408, and the buffer
 * budget refuses (429) what does not fit, before reading when the length is declared and while
 * streaming when it is not. Assertions are on status codes and the server's own counters, never on
 * how fast the machine is; latencies are printed for the record.
 */
import { expect, test } from 'bun:test';
import { fakeLayer, JSON_HEADERS, rawRequest, requestBody, trickle, until, withServer } from './support.ts';

const validBody = JSON.stringify(requestBody('VitessShard', 3));
const post = (url: string, body: string) => fetch(`${url}/sync-shard`, { method: 'POST', headers: JSON_HEADERS, body });

/** `count` syncs one after another: their statuses and latencies in milliseconds. */
async function syncs(url: string, count: number): Promise<{ statuses: number[]; ms: number[] }> {
  const statuses: number[] = [];
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const res = await post(url, validBody);
    await res.arrayBuffer();
    ms.push(performance.now() - started);
    statuses.push(res.status);
  }
  return { statuses, ms };
}

const summary = (ms: readonly number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1);
  return `p50 ${at(0.5)} ms, max ${at(1)} ms`;
};

const SLOW = 128;
const REAL = 30;

test(`${SLOW} slow uploads (headers and a byte at a time) do not keep real syncs out`, async () => {
  // Neither the rate check nor the time limit cuts the slow clients during the test: what is shown
  // is that holding connections open with unfinished bodies takes nothing real syncs need.
  await withServer([fakeLayer()], { timeoutMs: 600_000, slowGraceMs: 600_000 }, async ({ url, state }) => {
    const baseline = await syncs(url, REAL);
    expect(baseline.statuses).toEqual(Array(REAL).fill(200));
    const slow = Array.from({ length: SLOW }, () => trickle(url, { path: '/sync-shard', body: validBody, everyMs: 100 }));
    try {
      // Each of them is in the server, or was answered (refused, as a count-based limit would).
      await until(() => state.inFlight + slow.filter((upload) => upload.received() !== '').length >= SLOW, `${SLOW} slow uploads in the server or answered`);
      const during = await syncs(url, REAL);
      // Every real sync answered while all the slow uploads were still open and unanswered.
      expect(during.statuses).toEqual(Array(REAL).fill(200));
      expect(slow.filter((upload) => upload.received() !== '').length).toBe(0);
      expect(state.inFlight).toBe(SLOW);
      // They hold only the bytes they sent: a few each, far from the 8 MiB they could announce.
      expect(state.buffered).toBeLessThan(SLOW * validBody.length);
      console.log(`slow uploads: ${REAL} real syncs, baseline ${summary(baseline.ms)}; beside ${SLOW} slow uploads ${summary(during.ms)}; those held ${state.buffered} bytes`);
    } finally {
      for (const upload of slow) upload.destroy();
    }
    await until(() => state.inFlight === 0 && state.buffered === 0, 'the slow uploads gone');
  });
}, 120_000);

test('a body trickling slower than the minimum rate is cut off with 408 after the grace period', async () => {
  await withServer([fakeLayer()], { timeoutMs: 600_000, slowGraceMs: 1000, minBytesPerSecond: 1000 }, async ({ url, state }) => {
    const uploads = Array.from({ length: SLOW }, () => trickle(url, { path: '/sync-shard', body: validBody, everyMs: 50 }));
    const answers = await Promise.all(uploads.map((upload) => upload.closed));
    expect(answers.map((answer) => answer.status)).toEqual(Array(SLOW).fill(408));
    expect(JSON.parse((answers[0] as { body: string }).body)).toEqual({ error: 'request body arriving slower than 1000 bytes per second' });
    await until(() => state.inFlight === 0 && state.buffered === 0, 'the slow uploads gone');
    // A body sent in parts, at a rate above the minimum, is fine.
    const parts = [validBody.slice(0, 100), validBody.slice(100, 200), validBody.slice(200)];
    const paced = await rawRequest(url, { path: '/sync-shard', headers: { ...JSON_HEADERS, 'content-length': String(validBody.length) }, parts, pauseMs: 20 });
    expect(paced.status).toBe(200);
  });
}, 120_000);

test('the buffer budget: a declared body that does not fit is 429 before reading, a chunked one while streaming', async () => {
  await withServer([fakeLayer()], { bodyLimitBytes: 8000, bufferBudgetBytes: 10_000, retryAfterSeconds: 2, timeoutMs: 600_000, slowGraceMs: 600_000 }, async ({ url, state }) => {
    // A body of 6,000 bytes (valid JSON, padded), all but its last byte sent: it holds 5,999 bytes.
    const big = validBody.padEnd(6000, ' ');
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = rawRequest(url, {
      path: '/sync-shard',
      headers: { ...JSON_HEADERS, 'content-length': String(big.length) },
      parts: [big.slice(0, -1), big.slice(-1)],
      beforePart: (index) => (index === 1 ? held : Promise.resolve()),
    });
    await until(() => state.buffered === 5999, 'the first body buffered');
    // 5,000 declared, 4,001 left: refused on its head alone (no body sent at all).
    const declared = await rawRequest(url, { path: '/sync-shard', headers: { ...JSON_HEADERS, 'content-length': '5000' } });
    expect(declared.status).toBe(429);
    expect(declared.headers['retry-after']).toBe('2');
    expect(JSON.parse(declared.body)).toEqual({ error: 'too many bytes buffered by the server, try again later' });
    // Chunked, no length up front: charged as it arrives, refused at the chunk that does not fit.
    const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
    const chunked = await rawRequest(url, {
      path: '/sync-shard',
      headers: { ...JSON_HEADERS, 'transfer-encoding': 'chunked' },
      parts: [chunk(' '.repeat(3000)), chunk(' '.repeat(3000)), '0\r\n\r\n'],
      pauseMs: 20,
    });
    expect(chunked.status).toBe(429);
    expect(state.buffered).toBe(5999);
    release();
    expect((await first).status).toBe(200);
    await until(() => state.buffered === 0, 'the budget given back');
    // What was refused fits now.
    const again = await rawRequest(url, { path: '/sync-shard', headers: { ...JSON_HEADERS, 'content-length': String(big.length) }, parts: [big] });
    expect(again.status).toBe(200);
    // Over the size limit is still 413, whatever the budget.
    const tooBig = await rawRequest(url, { path: '/sync-shard', headers: { ...JSON_HEADERS, 'content-length': '9000' } });
    expect(tooBig.status).toBe(413);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('hook_buffered_bytes 0');
    expect(metrics).toContain('hook_requests_total{code="429",hook="sync-shard"} 2');
  });
}, 120_000);
