/**
 * Load: 10,000 real hook requests (the four hooks' requests from a converged multi-cell cluster),
 * 64 at a time over loopback keep-alive connections, against the full middleware stack. Every
 * answer is a 200 with the same bytes as in process, and resident memory after a full GC grows by
 * less than MEMORY_BOUND over the run (measured after a warm-up, so allocator pools and JIT are in).
 */
import { expect, test } from 'bun:test';
import { examplePayloads } from '../../bench/payloads.ts';
import { createHookApp } from '../../lib/http/app.ts';
import { silentLogger } from '../../lib/http/logging.ts';
import { layers } from '../../lib/sync/index.ts';
import { FIXED_NOW, startServer } from './support.ts';

const REQUESTS = 10_000;
const CONCURRENCY = 64;
const WARMUP = 1_000;
/** Leaks would show as growth proportional to the requests (tens of KiB each here): 10,000 of them. */
const MEMORY_BOUND = 48 * 1024 * 1024;

test(`${REQUESTS} requests, ${CONCURRENCY} concurrent: no errors, bounded memory`, async () => {
  const payloads = examplePayloads(layers, 'multi-cell.yaml');
  const inProcess = createHookApp(layers, { clock: () => FIXED_NOW });
  const expectedBodies = await Promise.all(
    payloads.map(async (payload) => (await inProcess.request(`/${payload.hook}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload.body })).text()),
  );
  const server = startServer(layers, { maxInFlight: CONCURRENCY, logger: silentLogger });
  const statuses = new Map<number, number>();
  let mismatches = 0;
  const run = async (count: number) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        const payload = payloads[index % payloads.length];
        if (payload === undefined) continue;
        const res = await fetch(`${server.url}/${payload.hook}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload.body });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (text !== expectedBodies[index % payloads.length]) mismatches++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };
  try {
    await run(WARMUP);
    Bun.gc(true);
    const before = process.memoryUsage().rss;
    statuses.clear();
    await run(REQUESTS);
    Bun.gc(true);
    const after = process.memoryUsage().rss;
    const growth = after - before;
    console.log(`load: ${REQUESTS} requests, rss before ${(before / 2 ** 20).toFixed(1)} MiB, after ${(after / 2 ** 20).toFixed(1)} MiB, growth ${(growth / 2 ** 20).toFixed(1)} MiB (bound ${MEMORY_BOUND / 2 ** 20} MiB)`);
    expect(Object.fromEntries(statuses)).toEqual({ 200: REQUESTS });
    expect(mismatches).toBe(0);
    expect(server.state.inFlight).toBe(0);
    expect(growth).toBeLessThan(MEMORY_BOUND);
  } finally {
    await server.stop();
  }
}, 600_000);
