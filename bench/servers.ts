/**
 * The benchmark's servers, in a process of their own so the load generator does not share their
 * event loop: the hook server (all four hooks, full middleware, logs off) and, beside it, a plain
 * JSON echo server that does the same JSON work without a sync: it parses the request and answers
 * the very bytes the hook answers for that payload (same request and answer sizes).
 *
 * Prints one JSON line `{hooks, echo}` with both URLs, then serves until stdin closes.
 */
import { createHookApp } from '../lib/http/app.ts';
import { createLogger } from '../lib/http/logging.ts';
import { serveApp } from '../lib/http/serve.ts';
import { ServerState } from '../lib/http/state.ts';
import { layers } from '../lib/sync/index.ts';
import { BENCH_NOW, examplePayloads } from './payloads.ts';

const example = process.env.BENCH_EXAMPLE ?? 'multi-cell.yaml';
const logger = createLogger({ level: 'silent' });
const state = new ServerState();
const app = createHookApp(layers, { clock: () => BENCH_NOW, logger, state, maxInFlight: 100_000 });
const hooks = serveApp(app, state, logger, { port: 0, hostname: '127.0.0.1', idleTimeoutSeconds: 120, bodyLimitBytes: 8 * 1024 * 1024, shutdownTimeoutMs: 1000 });

// The echo's answers: the hook's answer object for each payload, re-serialized per request.
const answers = new Map<string, unknown>();
for (const payload of examplePayloads(layers, example)) {
  const res = await app.request(`/${payload.hook}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload.body });
  answers.set(`/${payload.hook}`, await res.json());
}
const echo = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(request) {
    const answer = answers.get(new URL(request.url).pathname);
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
