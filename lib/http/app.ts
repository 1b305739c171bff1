/**
 * The Hono app around the layers: `POST /<layer.name>` per layer, plus /healthz, /readyz, /metrics.
 * It only does transport (docs/design.md, "A hook"); every answer other than 200 makes Metacontroller
 * apply nothing, which is why anything unexpected is refused rather than guessed at.
 *
 * Per hook request, outermost first:
 *   access log -> metrics -> in-flight count -> POST+JSON only (405/415) -> auth (401)
 *   -> time limit (408) -> large answer under the buffer budget (429)
 *   -> body read within the size limit (413), the budget (429) and the minimum rate (408)
 *   -> sync limit (429) -> ETag (304) -> sync
 * Nothing a client can hold by sending slowly is counted by a limit that refuses others: a body
 * being received holds only the bytes it has sent (docs/decisions/0008-slow-clients-and-the-buffer-budget.md).
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { MalformedRequestError, parseSyncRequest, type SyncResponse } from '../metacontroller/request.ts';
import type { Layer } from '../sync/layer.ts';
import { type AuthOptions, hookAuth } from './auth.ts';
import { readBody } from './body-limit.ts';
import { DEFAULTS } from './config.ts';
import type { HookApp, HookEnv } from './env.ts';
import { bytesResponse, jsonBytes, jsonResponse } from './errors.ts';
import { etag } from './etag.ts';
import { inFlightLimit, trackInFlight } from './in-flight.ts';
import { answerBudget } from './answer.ts';
import type { BudgetOptions } from './budget.ts';
import type { RateOptions } from './rate.ts';
import { accessLog, type Logger, silentLogger } from './logging.ts';
import { jsonPostOnly } from './methods.ts';
import { Metrics, recordMetrics } from './metrics.ts';
import { ServerState } from './state.ts';
import { requestTimeout } from './timeout.ts';
import { isRecord } from '../kube/object.ts';

export interface HookAppOptions {
  /** The clock handed to every sync; injectable so tests and benchmarks are deterministic. */
  clock?: () => Date;
  /** The hook server's own namespace, handed to every sync (SyncContext.operatorNamespace). */
  operatorNamespace?: string;
  logger?: Logger;
  /** Shared with the listener: in-flight count and draining flag. */
  state?: ServerState;
  metrics?: Metrics;
  bodyLimitBytes?: number;
  timeoutMs?: number;
  maxInFlight?: number;
  retryAfterSeconds?: number;
  /** Bytes of bodies and large answers held at once (HOOK_BUFFER_BUDGET_BYTES). */
  bufferBudgetBytes?: number;
  /** The minimum transfer rate of bodies and large answers, after the grace (0: off). */
  minBytesPerSecond?: number;
  slowGraceMs?: number;
  /** Answers up to this size are sent without charge (tests lower it). */
  streamAnswersAboveBytes?: number;
  auth?: AuthOptions;
}

/** How many issue paths a log line names; the answer carries them all. */
const LOGGED_ISSUES = 5;

export function createHookApp(layers: readonly Layer[], options: HookAppOptions = {}): HookApp {
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const state = options.state ?? new ServerState();
  const metrics = options.metrics ?? new Metrics(state);
  const auth = options.auth ?? { kind: 'none' };
  const retryAfterSeconds = options.retryAfterSeconds ?? DEFAULTS.retryAfterSeconds;
  const budget: BudgetOptions = { state, maxBytes: options.bufferBudgetBytes ?? DEFAULTS.bufferBudgetBytes, retryAfterSeconds };
  const rate: RateOptions = { minBytesPerSecond: options.minBytesPerSecond ?? DEFAULTS.minBytesPerSecond, graceMs: options.slowGraceMs ?? DEFAULTS.slowGraceMs };

  const names = new Set<string>();
  for (const layer of layers) {
    if (names.has(layer.name)) throw new Error(`two layers are named ${layer.name}`);
    names.add(layer.name);
  }

  const app = new Hono<HookEnv>();
  // Liveness: the event loop answers. Readiness: not draining, so the Service may route here.
  app.get('/healthz', () => jsonResponse(200, { status: 'ok' }));
  app.get('/readyz', () => (state.draining ? jsonResponse(503, { status: 'draining' }) : jsonResponse(200, { status: 'ready' })));
  app.get('/metrics', () => new Response(metrics.render(), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } }));

  for (const layer of layers) {
    app.all(
      `/${layer.name}`,
      accessLog({ logger, hook: layer.name }),
      recordMetrics({ metrics, hook: layer.name }),
      trackInFlight({ state }),
      // Without authentication the check is a no-op, so it is left out of the chain.
      auth.kind === 'none' ? jsonPostOnly() : jsonPostThenAuth(auth),
      requestTimeout({ ms: options.timeoutMs ?? DEFAULTS.timeoutMs }),
      answerBudget({ budget, rate, streamAboveBytes: options.streamAnswersAboveBytes ?? DEFAULTS.streamAnswersAboveBytes }),
      readBody({ maxBytes: options.bodyLimitBytes ?? DEFAULTS.bodyLimitBytes, budget, rate }),
      inFlightLimit({ state, max: options.maxInFlight ?? DEFAULTS.maxInFlight, retryAfterSeconds }),
      etag(),
      syncHandler(layer, clock, options.operatorNamespace),
    );
  }

  app.notFound(() => jsonResponse(404, { error: 'not found' }));
  app.onError((error, c) => answerError(error, c, logger));
  return app;
}

/** 405/415 first, then 401: one middleware for both, in that order. */
function jsonPostThenAuth(auth: AuthOptions): MiddlewareHandler<HookEnv> {
  const methods = jsonPostOnly();
  const check = hookAuth(auth);
  return async (c, next) => {
    await methods(c, async () => {
      await check(c, next);
    });
  };
}

function syncHandler(layer: Layer, clock: () => Date, operatorNamespace: string | undefined) {
  return function sync(c: Context<HookEnv>): Response {
    const text = c.get('body') ?? '';
    // The parse is all that is needed from here on: the text (up to the body limit) can go while
    // the sync runs.
    c.set('body', undefined);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      // Hono's validator would silently turn this into {}; a body that is not JSON is malformed.
      throw new MalformedRequestError('request body is not JSON', [error instanceof Error ? error.message : String(error)]);
    }
    const request = parseSyncRequest(body, layer.parentKind);
    const { metadata } = request.parent;
    c.set('parent', { namespace: metadata.namespace, name: metadata.name, generation: metadata.generation });
    const answer = layer.sync(request, { now: clock(), ...(operatorNamespace === undefined ? {} : { operatorNamespace }) });
    checkAnswer(answer);
    c.set('children', answer.children.length);
    const bytes = jsonBytes(answer);
    c.set('answerBytes', bytes);
    return bytesResponse(200, bytes);
  };
}

/**
 * The last guard before Metacontroller deletes whatever an answer leaves out: a list of named
 * objects (a null element has crashed Metacontroller) and a status object. A layer bug is a 500.
 */
function checkAnswer(answer: SyncResponse): void {
  if (!isRecord(answer) || !isRecord(answer.status) || !Array.isArray(answer.children)) {
    throw new Error('layer answered without a status object and a children list');
  }
  answer.children.forEach((child: unknown, index) => {
    const metadata = isRecord(child) ? child.metadata : undefined;
    if (!isRecord(child) || typeof child.kind !== 'string' || typeof child.apiVersion !== 'string' || !isRecord(metadata) || typeof metadata.name !== 'string') {
      throw new Error(`layer answered a child at index ${index} without apiVersion, kind and metadata.name`);
    }
  });
}


/** The one place errors become answers. */
function answerError(error: Error, c: Context<HookEnv>, logger: Logger): Response {
  if (error instanceof HTTPException) {
    c.set('problem', error.message);
    return error.getResponse();
  }
  if (error instanceof MalformedRequestError) {
    c.set('problem', error.message);
    // Paths only: an issue's message may quote a value from the body.
    if (error.issues.length > 0) c.set('issuePaths', error.issues.slice(0, LOGGED_ISSUES).map((issue) => issuePath(issue)));
    return jsonResponse(400, { error: error.message, issues: error.issues });
  }
  c.set('problem', 'internal error');
  logger.error('sync failed', { hook: c.get('hook') ?? c.req.path.slice(1), error: error.name, message: error.message, stack: error.stack });
  return jsonResponse(500, { error: 'internal error' });
}

/** `spec.cells[0].name: Invalid type...` -> `spec.cells[0].name`; a message without a path -> `-`. */
function issuePath(issue: string): string {
  const colon = issue.indexOf(': ');
  const head = colon > 0 ? issue.slice(0, colon) : '';
  return /^[\w.[\]/-]+$/.test(head) ? head : '-';
}
