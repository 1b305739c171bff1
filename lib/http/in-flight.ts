/**
 * Counting requests, and bounding the syncs computed at once.
 *
 * `trackInFlight` counts every hook request from start to answer (the `hook_in_flight` gauge, the
 * drain's log); it refuses nothing, so slow uploads, which this count includes, cannot keep anyone
 * out through it. `inFlightLimit` bounds only the requests whose body has fully arrived: it sits
 * after the body is read, where a client can only be by having sent a whole body within the size,
 * budget, rate and time limits. Over it the answer is 429 with Retry-After, which Metacontroller
 * honours by re-queueing the parent after that delay. (Today's layers sync synchronously, so this
 * count rarely passes 1; the limit bounds a future asynchronous step, and answers waiting for it.)
 */
import type { MiddlewareHandler } from 'hono';
import type { HookEnv } from './env.ts';
import { httpError } from './errors.ts';
import type { ServerState } from './state.ts';

export function trackInFlight(options: { state: ServerState }): MiddlewareHandler<HookEnv> {
  const { state } = options;
  return async function trackInFlight(_c, next) {
    state.enter();
    try {
      await next();
    } finally {
      state.leave();
    }
  };
}

export interface InFlightOptions {
  state: ServerState;
  /** Syncs allowed at once; one more is answered 429. */
  max: number;
  /** Seconds the client should wait before trying again. */
  retryAfterSeconds: number;
}

export function inFlightLimit(options: InFlightOptions): MiddlewareHandler<HookEnv> {
  const { state, max, retryAfterSeconds } = options;
  return async function inFlightLimit(_c, next) {
    if (state.syncing >= max) {
      throw httpError(429, 'too many syncs in flight', { headers: { 'retry-after': String(retryAfterSeconds) } });
    }
    state.syncing += 1;
    try {
      await next();
    } finally {
      state.syncing -= 1;
    }
  };
}
