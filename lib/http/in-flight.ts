/**
 * Bounds concurrent hook requests. A request counts from its start to its answer, body read
 * included, so slow uploads take their slot too. Over the limit the answer is 429 with Retry-After,
 * which Metacontroller honours by re-queueing the parent after that delay.
 */
import type { MiddlewareHandler } from 'hono';
import type { HookEnv } from './env.ts';
import { httpError } from './errors.ts';
import type { ServerState } from './state.ts';

export interface InFlightOptions {
  state: ServerState;
  /** Requests allowed at once; one more is answered 429. */
  max: number;
  /** Seconds the client should wait before trying again. */
  retryAfterSeconds: number;
}

export function inFlightLimit(options: InFlightOptions): MiddlewareHandler<HookEnv> {
  const { state, max, retryAfterSeconds } = options;
  return async function inFlightLimit(_c, next) {
    if (state.inFlight >= max) {
      throw httpError(429, 'too many requests in flight', { headers: { 'retry-after': String(retryAfterSeconds) } });
    }
    state.enter();
    try {
      await next();
    } finally {
      state.leave();
    }
  };
}
