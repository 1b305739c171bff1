/**
 * The benchmark's servers, in a process of their own so the load generator does not share their
 * event loop, and both in this one process so they run on the same runtime, heap and core:
 *
 *   - the hook server: all four hooks, the full middleware stack, logs off;
 *   - a plain JSON echo server beside it, doing the JSON work of a hook without the sync: for
 *     `POST /<payload id>` it parses the request and answers the hook's answer to that payload,
 *     re-serialized per request (same request and answer sizes);
 *   - `GET /rss` on the echo port: a full GC (Bun.gc(true)), then this process's memory, for the
 *     benchmark's memory series.
 *
 * The payloads come from the JSON file named by BENCH_PAYLOADS (`[{id, hook, body}]`), written by
 * bench/hooks.ts. Prints one JSON line `{hooks, echo}` with both URLs, then serves until stdin closes.
 */
import { readFileSync } from 'node:fs';
import { createHookApp } from '../lib/http/app.ts';
import { createLogger } from '../lib/http/logging.ts';
import { serveApp } from '../lib/http/serve.ts';
import { ServerState } from '../lib/http/state.ts';
import { layers } from '../lib/sync/index.ts';
import { BENCH_NOW } from './payloads.ts';

interface ServedPayload {
  id: string;
  hook: string;
  body: string;
}

const file = process.env.BENCH_PAYLOADS;
if (file === undefined) throw new Error('BENCH_PAYLOADS must name the payload file (bench/hooks.ts sets it)');
const payloads = JSON.parse(readFileSync(file, 'utf8')) as ServedPayload[];

const logger = createLogger({ level: 'silent' });
const state = new ServerState();
const app = createHookApp(layers, { clock: () => BENCH_NOW, logger, state, maxInFlight: 100_000 });
const hooks = serveApp(app, state, logger, { port: 0, hostname: '127.0.0.1', idleTimeoutSeconds: 120, bodyLimitBytes: 8 * 1024 * 1024, shutdownTimeoutMs: 1000 });

// The echo's answers: the hook's answer object for each payload, kept parsed and re-serialized per request.
const answers = new Map<string, unknown>();
for (const payload of payloads) {
  const res = await app.request(`/${payload.hook}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload.body });
  if (res.status !== 200) throw new Error(`${payload.id}: the hook answered ${res.status}`);
  answers.set(`/${payload.id}`, await res.json());
}
payloads.length = 0;

const echo = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  maxRequestBodySize: 9 * 1024 * 1024,
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/rss') {
      Bun.gc(true);
      const { rss, heapUsed, heapTotal } = process.memoryUsage();
      return Response.json({ rss, heapUsed, heapTotal });
    }
    const answer = answers.get(path);
    if (answer === undefined) return new Response('not found', { status: 404 });
    JSON.parse(await request.text());
    return new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } });
  },
});

process.stdout.write(`${JSON.stringify({ hooks: hooks.url.href, echo: echo.url.href })}\n`);
// The parent closes stdin when it is done.
for await (const _ of process.stdin) {
  // nothing to read; the loop ends when stdin closes
}
await hooks.shutdown();
await echo.stop(true);
process.exit(0);
