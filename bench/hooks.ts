/**
 * `bun run bench`: what each hook costs, beside a plain JSON echo doing the same JSON work.
 *
 * Payloads are real requests cut from simulated clusters at growing sizes (bench/payloads.ts):
 * the seed example (all four hooks), one shard with 100 tablets, a keyspace with 256 shards, a cell
 * with 50 keyspaces, a cluster with 20 cells. For each:
 *   - in process: the hook's work (JSON.parse + parseSyncRequest + sync + JSON.stringify) against
 *     the echo's (JSON.parse of the same request + JSON.stringify of the same answer);
 *   - over HTTP on loopback (keep-alive, BENCH_CONCURRENCY at a time): the hook server against an
 *     echo server in the same process answering the same bytes (bench/servers.ts);
 *   - syncs per second, latency p50/p90/p99, and the ratio hook/echo (time per request; 1.5 = the
 *     hook takes half as long again as the echo).
 * Then the cost per child (sync-keyspace at 10, 100, 1,000 shards, in process), and the hook
 * server's memory (RSS after a full GC) every few seconds under sustained load on the largest payload.
 * Prints tables, writes .cache/bench/results.json. docs/benchmark.md explains how to read them.
 *
 * Environment: BENCH_QUICK=1 (a ~30 s run), BENCH_SECONDS (per measurement; 2.5, quick 0.4),
 * BENCH_CONCURRENCY (16), BENCH_MEMORY_SECONDS (40, quick 6).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { createHookApp } from '../lib/http/app.ts';
import { parseSyncRequest } from '../lib/metacontroller/request.ts';
import { layers } from '../lib/sync/index.ts';
import { allScenarioPayloads, BENCH_NOW, CHILD_SCENARIOS, type Payload, type Scenario, SIZE_SCENARIOS } from './payloads.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 0.4 : 2.5));
const WARMUP_SECONDS = Math.min(0.5, SECONDS / 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const MEMORY_SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? (QUICK ? 6 : 40));
const MEMORY_SAMPLES = QUICK ? 3 : 10;
const ROOT = join(import.meta.dir, '..');
const OUT_DIR = join(ROOT, '.cache', 'bench');
const OUT = join(OUT_DIR, 'results.json');

interface Run {
  count: number;
  perSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

interface Row {
  /** `<scenario>/<hook>`. */
  id: string;
  scenario: string;
  hook: string;
  source: string;
  requestBytes: number;
  answerBytes: number;
  observedChildren: number;
  answerChildren: number;
  inProcess: { hook: Run; echo: Run; ratio: number };
  http: { concurrency: number; hook: Run; echo: Run; ratio: number };
}

interface ChildPoint {
  id: string;
  observedChildren: number;
  requestBytes: number;
  answerBytes: number;
  hookUs: number;
  echoUs: number;
  hookUsPerChild: number;
  echoUsPerChild: number;
  ratio: number;
}

interface MemorySample {
  seconds: number;
  requests: number;
  rssMiB: number;
  heapUsedMiB: number;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;
const MiB = 1024 * 1024;

function runOf(count: number, elapsedMs: number, latencies: number[]): Run {
  latencies.sort((a, b) => a - b);
  return { count, perSecond: Math.round((count * 1000) / elapsedMs), p50Ms: round(percentile(latencies, 50)), p90Ms: round(percentile(latencies, 90)), p99Ms: round(percentile(latencies, 99)) };
}

/** Calls `call` back to back for `seconds` (at least 5 times); latencies in ms. */
function measureSync(seconds: number, call: () => void): Run {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  let now = started;
  while (now < until || latencies.length < 5) {
    call();
    const after = performance.now();
    latencies.push(after - now);
    now = after;
  }
  return runOf(latencies.length, now - started, latencies);
}

/** Runs `call` for `seconds`, `concurrency` at a time; latencies in ms. */
async function measureAsync(seconds: number, concurrency: number, call: () => Promise<void>): Promise<Run> {
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until || latencies.length < 5) {
      const t = performance.now();
      await call();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return runOf(latencies.length, performance.now() - started, latencies);
}

async function post(url: string, body: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  await res.arrayBuffer();
}

/** The hook's own work on a payload, in process. */
const hookWork = (payload: Payload) => () => {
  const request = parseSyncRequest(JSON.parse(payload.body), payload.layer.parentKind);
  JSON.stringify(payload.layer.sync(request, { now: BENCH_NOW }));
};

/** The echo's work on the same bytes: parse the request, serialize the hook's answer. */
const echoWork = (payload: Payload, answer: unknown) => () => {
  JSON.parse(payload.body);
  JSON.stringify(answer);
};

async function startServers(file: string): Promise<{ urls: { hooks: string; echo: string }; stop: () => Promise<void> }> {
  const servers = Bun.spawn([process.execPath, 'run', join(import.meta.dir, 'servers.ts')], {
    cwd: ROOT,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'inherit',
    env: { ...process.env, BENCH_PAYLOADS: file },
  });
  const reader = servers.stdout.getReader();
  let line = '';
  while (!line.includes('\n')) {
    const { done, value } = await reader.read();
    if (done) throw new Error('bench/servers.ts exited before listening');
    line += new TextDecoder().decode(value);
  }
  return {
    urls: JSON.parse(line) as { hooks: string; echo: string },
    stop: async () => {
      servers.stdin.end();
      await servers.exited;
    },
  };
}

function table(header: string[], rows: string[][], leftColumns = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const format = (row: string[]) => row.map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  return [format(header), ...rows.map(format)].join('\n');
}

const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const ms = (run: Run) => `${run.p50Ms.toFixed(2)}/${run.p90Ms.toFixed(2)}/${run.p99Ms.toFixed(2)}`;

async function main(): Promise<void> {
  const started = performance.now();
  // Other work on the machine skews every figure: the load average is recorded beside them.
  const loadBefore = loadavg().map((l) => round(l, 2));
  const app = createHookApp(layers, { clock: () => BENCH_NOW, maxInFlight: 100_000 });
  const answerOf = async (payload: Payload) =>
    (await app.request(`/${payload.hook}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload.body })).text();

  const onBuild = (s: Scenario) => console.error(`cutting payloads for ${s.id} (${s.title}) from a simulated cluster; cached for the next runs`);
  const sized = allScenarioPayloads(layers, SIZE_SCENARIOS, onBuild);
  const perChild = allScenarioPayloads(layers, CHILD_SCENARIOS, onBuild);
  const cases = SIZE_SCENARIOS.flatMap((s) => (sized.get(s.id) ?? []).map((payload) => ({ id: `${s.id}/${payload.hook}`, scenario: s.id, payload })));

  mkdirSync(OUT_DIR, { recursive: true });
  const servedFile = join(OUT_DIR, 'served-payloads.json');
  writeFileSync(servedFile, JSON.stringify(cases.map((c) => ({ id: c.id, hook: c.payload.hook, body: c.payload.body }))));
  const servers = await startServers(servedFile);
  const rows: Row[] = [];
  const children: ChildPoint[] = [];
  const memory: MemorySample[] = [];
  let memoryCase = '';
  try {
    for (const { id, scenario, payload } of cases) {
      const answerText = await answerOf(payload);
      const answer: unknown = JSON.parse(answerText);
      const hookUrl = `${servers.urls.hooks}${payload.hook}`;
      const echoUrl = `${servers.urls.echo}${id}`;
      // Warm-up: JIT and connection pools.
      measureSync(WARMUP_SECONDS, hookWork(payload));
      measureSync(WARMUP_SECONDS, echoWork(payload, answer));
      await measureAsync(WARMUP_SECONDS, CONCURRENCY, () => post(hookUrl, payload.body));
      await measureAsync(WARMUP_SECONDS, CONCURRENCY, () => post(echoUrl, payload.body));
      const inHook = measureSync(SECONDS, hookWork(payload));
      const inEcho = measureSync(SECONDS, echoWork(payload, answer));
      const httpHook = await measureAsync(SECONDS, CONCURRENCY, () => post(hookUrl, payload.body));
      const httpEcho = await measureAsync(SECONDS, CONCURRENCY, () => post(echoUrl, payload.body));
      rows.push({
        id,
        scenario,
        hook: payload.hook,
        source: payload.source,
        requestBytes: Buffer.byteLength(payload.body),
        answerBytes: Buffer.byteLength(answerText),
        observedChildren: payload.observedChildren,
        answerChildren: (answer as { children: unknown[] }).children.length,
        inProcess: { hook: inHook, echo: inEcho, ratio: round(inEcho.perSecond / inHook.perSecond, 2) },
        http: { concurrency: CONCURRENCY, hook: httpHook, echo: httpEcho, ratio: round(httpEcho.perSecond / httpHook.perSecond, 2) },
      });
      console.error(`${id}: in process ${inHook.perSecond}/s (echo ${inEcho.perSecond}/s), HTTP ${httpHook.perSecond}/s (echo ${httpEcho.perSecond}/s)`);
    }

    for (const s of CHILD_SCENARIOS) {
      const payload = (perChild.get(s.id) ?? [])[0];
      if (payload === undefined) continue;
      const answerText = await answerOf(payload);
      const answer: unknown = JSON.parse(answerText);
      measureSync(WARMUP_SECONDS, hookWork(payload));
      measureSync(WARMUP_SECONDS, echoWork(payload, answer));
      const hook = measureSync(SECONDS, hookWork(payload));
      const echo = measureSync(SECONDS, echoWork(payload, answer));
      const hookUs = 1e6 / hook.perSecond;
      const echoUs = 1e6 / echo.perSecond;
      children.push({
        id: s.id,
        observedChildren: payload.observedChildren,
        requestBytes: Buffer.byteLength(payload.body),
        answerBytes: Buffer.byteLength(answerText),
        hookUs: round(hookUs, 1),
        echoUs: round(echoUs, 1),
        hookUsPerChild: round(hookUs / payload.observedChildren, 2),
        echoUsPerChild: round(echoUs / payload.observedChildren, 2),
        ratio: round(hookUs / echoUs, 2),
      });
    }

    // Memory: sustained load on the largest request, RSS after a full GC every few seconds.
    const largest = [...cases].sort((a, b) => b.payload.body.length - a.payload.body.length)[0];
    if (largest !== undefined) {
      memoryCase = largest.id;
      const url = `${servers.urls.hooks}${largest.payload.hook}`;
      await measureAsync(Math.min(2, MEMORY_SECONDS / 4), CONCURRENCY, () => post(url, largest.payload.body));
      let requests = 0;
      const loadStart = performance.now();
      const until = loadStart + MEMORY_SECONDS * 1000;
      const sample = async () => {
        const m = (await (await fetch(`${servers.urls.echo}rss`)).json()) as { rss: number; heapUsed: number };
        memory.push({ seconds: round((performance.now() - loadStart) / 1000, 1), requests, rssMiB: round(m.rss / MiB, 1), heapUsedMiB: round(m.heapUsed / MiB, 1) });
      };
      await sample();
      const sampler = (async () => {
        for (let i = 1; i <= MEMORY_SAMPLES; i++) {
          await Bun.sleep(Math.max(0, loadStart + (i * MEMORY_SECONDS * 1000) / MEMORY_SAMPLES - performance.now()));
          await sample();
        }
      })();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < until) {
            await post(url, largest.payload.body);
            requests++;
          }
        }),
      );
      await sampler;
    }
  } finally {
    await servers.stop();
  }

  const cpu = cpus();
  const loadAfter = loadavg().map((l) => round(l, 2));
  const machine = { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 1024 ** 3, 1), kernel: release(), bun: Bun.version, loadBefore, loadAfter };
  console.log(`\nbun ${Bun.version}, ${machine.cpus} × ${machine.cpuModel}; ${SECONDS} s per measurement, HTTP ${CONCURRENCY} concurrent${QUICK ? ' (BENCH_QUICK)' : ''}`);
  console.log(`load average (1/5/15 min) before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}`);
  console.log('ratio = hook time per request / echo time per request (the aim: <= 1.5)\n');
  console.log(
    table(
      ['payload', 'children in/out', 'req KiB', 'ans KiB', 'sync/s', 'echo/s', 'ratio', 'HTTP/s', 'echo/s', 'ratio', 'HTTP p50/p90/p99 ms', 'echo p50/p90/p99 ms'],
      rows.map((r) => [
        r.id,
        `${r.observedChildren}/${r.answerChildren}`,
        kib(r.requestBytes),
        kib(r.answerBytes),
        String(r.inProcess.hook.perSecond),
        String(r.inProcess.echo.perSecond),
        r.inProcess.ratio.toFixed(2),
        String(r.http.hook.perSecond),
        String(r.http.echo.perSecond),
        r.http.ratio.toFixed(2),
        ms(r.http.hook),
        ms(r.http.echo),
      ]),
    ),
  );
  console.log('\ncost per child (sync-keyspace, in process)\n');
  console.log(
    table(
      ['payload', 'children', 'req KiB', 'µs/sync', 'µs/child', 'echo µs/child', 'ratio'],
      children.map((c) => [c.id, String(c.observedChildren), kib(c.requestBytes), c.hookUs.toFixed(0), c.hookUsPerChild.toFixed(2), c.echoUsPerChild.toFixed(2), c.ratio.toFixed(2)]),
    ),
  );
  console.log(`\nhook server memory under sustained load (${memoryCase}, ${CONCURRENCY} concurrent), after a full GC\n`);
  console.log(table(['seconds', 'requests', 'RSS MiB', 'heap MiB'], memory.map((m) => [m.seconds.toFixed(1), String(m.requests), m.rssMiB.toFixed(1), m.heapUsedMiB.toFixed(1)]), 0));

  const settings = { quick: QUICK, seconds: SECONDS, concurrency: CONCURRENCY, memorySeconds: MEMORY_SECONDS };
  const scenarios = [...SIZE_SCENARIOS, ...CHILD_SCENARIOS].map((s) => ({ id: s.id, title: s.title, hooks: s.hooks }));
  writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), machine, settings, scenarios, results: rows, perChild: children, memory: { payload: memoryCase, samples: memory } }, null, 2)}\n`);
  console.log(`\nwrote ${OUT} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

await main();
