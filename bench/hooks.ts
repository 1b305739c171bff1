/**
 * `bun run bench`: syncs per second and latency (p50/p90/p99) of each hook
 *   - in process: JSON.parse + parseSyncRequest + sync + JSON.stringify (the hook's own work);
 *   - in process through the app (app.request: the whole middleware stack, no network);
 *   - over HTTP on loopback, keep-alive, N concurrent, to the hook server in another process;
 *   - the same load to a plain JSON echo server beside it (same request and answer bytes), the
 *     transport's floor: the gap between the two is what the hooks cost.
 * Payloads are real requests (bench/payloads.ts). Prints a table, writes .cache/bench/results.json.
 *
 * Environment: BENCH_EXAMPLE (examples/*.yaml, default multi-cell.yaml), BENCH_REQUESTS (per hook
 * and mode, default 3000), BENCH_CONCURRENCY (default 16).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHookApp } from '../lib/http/app.ts';
import { parseSyncRequest } from '../lib/metacontroller/request.ts';
import { layers } from '../lib/sync/index.ts';
import { BENCH_NOW, examplePayloads, type Payload } from './payloads.ts';

const EXAMPLE = process.env.BENCH_EXAMPLE ?? 'multi-cell.yaml';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROOT = join(import.meta.dir, '..');
const OUT = join(ROOT, '.cache', 'bench', 'results.json');

interface Result {
  hook: string;
  mode: 'sync' | 'app' | 'http' | 'echo';
  requests: number;
  concurrency: number;
  perSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  requestBytes: number;
  answerBytes: number;
  observedChildren: number;
  answerChildren: number;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Runs `call` `count` times, `concurrency` at a time; latencies in ms. */
async function measure(count: number, concurrency: number, call: () => Promise<void> | void): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      const t = performance.now();
      await call();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  return { perSecond: count / elapsed, latencies: latencies.sort((a, b) => a - b) };
}

function summary(payload: Payload, mode: Result['mode'], concurrency: number, run: { perSecond: number; latencies: number[] }, answer: string): Result {
  return {
    hook: payload.hook,
    mode,
    requests: run.latencies.length,
    concurrency,
    perSecond: Math.round(run.perSecond),
    p50Ms: round(percentile(run.latencies, 50)),
    p90Ms: round(percentile(run.latencies, 90)),
    p99Ms: round(percentile(run.latencies, 99)),
    requestBytes: Buffer.byteLength(payload.body),
    answerBytes: Buffer.byteLength(answer),
    observedChildren: payload.observedChildren,
    answerChildren: (JSON.parse(answer) as { children: unknown[] }).children.length,
  };
}

async function main(): Promise<void> {
  const payloads = examplePayloads(layers, EXAMPLE);
  const app = createHookApp(layers, { clock: () => BENCH_NOW, maxInFlight: 100_000 });
  const results: Result[] = [];

  const servers = Bun.spawn([process.execPath, 'run', join(import.meta.dir, 'servers.ts')], { cwd: ROOT, stdin: 'pipe', stdout: 'pipe', stderr: 'inherit', env: { ...process.env, BENCH_EXAMPLE: EXAMPLE } });
  const reader = servers.stdout.getReader();
  let line = '';
  while (!line.includes('\n')) {
    const { done, value } = await reader.read();
    if (done) throw new Error('bench/servers.ts exited before listening');
    line += new TextDecoder().decode(value);
  }
  const urls = JSON.parse(line) as { hooks: string; echo: string };

  try {
    for (const payload of payloads) {
      const answer = await (await app.request(`/${payload.hook}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload.body })).text();
      const sync = () => {
        const request = parseSyncRequest(JSON.parse(payload.body), payload.layer.parentKind);
        JSON.stringify(payload.layer.sync(request, { now: BENCH_NOW }));
      };
      const viaApp = async () => {
        const res = await app.request(`/${payload.hook}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload.body });
        await res.arrayBuffer();
      };
      const viaHttp = (base: string) => async () => {
        const res = await fetch(`${base}${payload.hook}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload.body });
        if (res.status !== 200) throw new Error(`${base}${payload.hook}: ${res.status}`);
        await res.arrayBuffer();
      };
      // Warm-up: JIT and connection pools.
      await measure(Math.min(500, REQUESTS), 1, sync);
      await measure(Math.min(500, REQUESTS), CONCURRENCY, viaHttp(urls.hooks));
      await measure(Math.min(500, REQUESTS), CONCURRENCY, viaHttp(urls.echo));
      results.push(summary(payload, 'sync', 1, await measure(REQUESTS, 1, sync), answer));
      results.push(summary(payload, 'app', 1, await measure(REQUESTS, 1, viaApp), answer));
      results.push(summary(payload, 'http', CONCURRENCY, await measure(REQUESTS, CONCURRENCY, viaHttp(urls.hooks)), answer));
      results.push(summary(payload, 'echo', CONCURRENCY, await measure(REQUESTS, CONCURRENCY, viaHttp(urls.echo)), answer));
    }
  } finally {
    servers.stdin.end();
    await servers.exited;
  }

  const header = ['hook', 'mode', 'conc', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'req KiB', 'ans KiB', 'children in/out'];
  const rows = results.map((r) => [r.hook, r.mode, String(r.concurrency), String(r.perSecond), r.p50Ms.toFixed(3), r.p90Ms.toFixed(3), r.p99Ms.toFixed(3), (r.requestBytes / 1024).toFixed(1), (r.answerBytes / 1024).toFixed(1), `${r.observedChildren}/${r.answerChildren}`]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const format = (row: string[]) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  console.log(`example ${EXAMPLE}, ${REQUESTS} requests per row, bun ${Bun.version}`);
  console.log(format(header));
  for (const row of rows) console.log(format(row));

  mkdirSync(join(ROOT, '.cache', 'bench'), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), bun: Bun.version, example: EXAMPLE, requests: REQUESTS, concurrency: CONCURRENCY, results }, null, 2)}\n`);
  console.log(`wrote ${OUT}`);
}

await main();
