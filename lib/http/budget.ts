/**
 * The buffer budget: one bound on the request and answer bytes the server holds at once, across all
 * requests, so that memory stays under the Pod's limit however many clients send at the same time
 * (metacontroller/hooks.yaml; the figures in docs/hook-server.md). Bytes are charged as they are
 * actually held, never for what a client merely announces, so a slow or lying client holds only
 * what it has sent. Over the budget the answer is 429 with Retry-After, which Metacontroller honours
 * by re-queueing the parent after that delay; nothing is applied.
 */
import type { HTTPException } from 'hono/http-exception';
import { httpError } from './errors.ts';
import type { ServerState } from './state.ts';

export interface BudgetOptions {
  state: ServerState;
  /** Bytes all requests together may hold (`state.buffered`). */
  maxBytes: number;
  /** Seconds the client should wait before trying again. */
  retryAfterSeconds: number;
}

/** One request's share of the budget: taken in parts, given back once, whatever happens. */
export class Charge {
  private held = 0;

  constructor(private readonly options: BudgetOptions) {}

  /** Whether `bytes` more would fit now (nothing is taken). */
  fits(bytes: number): boolean {
    return this.options.state.buffered + bytes <= this.options.maxBytes;
  }

  /** Takes `bytes` if they fit; false (nothing taken) if not. */
  take(bytes: number): boolean {
    if (!this.fits(bytes)) return false;
    this.options.state.buffered += bytes;
    this.held += bytes;
    return true;
  }

  /** Gives back everything this request holds; idempotent. */
  release(): void {
    this.options.state.buffered -= this.held;
    this.held = 0;
  }

  /** The 429 for a request that does not fit. */
  refusal(): HTTPException {
    return httpError(429, 'too many bytes buffered by the server, try again later', { headers: { 'retry-after': String(this.options.retryAfterSeconds) } });
  }
}
