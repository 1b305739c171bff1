/**
 * The request time limit. The sync itself is synchronous CPU work that cannot be interrupted, so
 * the limit bites on what is asynchronous: reading the body. It is an AbortSignal that readBody
 * watches (408 when it fires), kept below Metacontroller's 10s webhook timeout so a slow client
 * gets an answer, and its connection slot back, before Metacontroller gives up on it anyway.
 */
import type { MiddlewareHandler } from 'hono';
import type { HookEnv } from './env.ts';

export interface TimeoutOptions {
  /** Milliseconds from request start until the body must have arrived. */
  ms: number;
}

export function requestTimeout(options: TimeoutOptions): MiddlewareHandler<HookEnv> {
  const { ms } = options;
  return async function requestTimeout(c, next) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    c.set('deadline', controller.signal);
    try {
      await next();
    } finally {
      clearTimeout(timer);
    }
  };
}
