/**
 * Reads the request body as text within a size limit, the buffer budget, a minimum rate and the
 * request's deadline.
 *
 * - A declared Content-Length over the size limit is refused (413) before anything is read, and so is
 *   one that does not fit what is left of the buffer budget (429): decided before buffering.
 * - Every body, declared or chunked, is then read as a stream and each chunk charged to the budget
 *   as it arrives, so a client holds only the bytes it has actually sent (a slow client announcing
 *   8 MiB and sending one byte holds one byte). A chunk that would pass the size limit is 413, one
 *   that would pass the budget 429.
 * - A body arriving slower than the minimum rate (after the grace period) is 408 at once, and any
 *   body not there by the deadline is 408.
 * The charge is held until the answer is built (the body text and its parse live that long), then
 * given back. The body is decoded once here and handed on as `c.var.body`.
 */
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type BudgetOptions, Charge } from './budget.ts';
import type { HookEnv } from './env.ts';
import { httpError } from './errors.ts';
import { type RateOptions, watchRate } from './rate.ts';

export interface BodyLimitOptions {
  /** Largest accepted body, in bytes; larger is answered 413. */
  maxBytes: number;
  /** The budget every request's buffered bytes are charged to; over it, 429. */
  budget: BudgetOptions;
  /** The rate a body must arrive at; slower is answered 408. */
  rate: RateOptions;
}

export function readBody(options: BodyLimitOptions): MiddlewareHandler<HookEnv> {
  const { maxBytes, budget, rate } = options;
  return async function readBody(c, next) {
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
    const charge = new Charge(budget);
    if (declared !== undefined && !charge.fits(Number(declared))) throw charge.refusal();
    try {
      c.set('body', await receive(c.req.raw, { maxBytes, charge, rate, deadline: c.get('deadline') }));
      await next();
    } finally {
      charge.release();
    }
  };
}

interface Receiving {
  maxBytes: number;
  charge: Charge;
  rate: RateOptions;
  deadline: AbortSignal | undefined;
}

/** The body as text; 408, 413, 429 or 400 (broken stream, not UTF-8) otherwise. */
async function receive(request: Request, { maxBytes, charge, rate, deadline }: Receiving): Promise<string> {
  const stream = request.body;
  if (stream === null) return '';
  const reader = stream.getReader();
  let size = 0;
  let why: 'deadline' | 'slow' | undefined;
  // A pending read() resolves as done when the reader is cancelled.
  const stop = (reason: 'deadline' | 'slow') => {
    why ??= reason;
    void reader.cancel().catch(() => undefined);
  };
  const onDeadline = () => stop('deadline');
  if (deadline?.aborted) onDeadline();
  deadline?.addEventListener('abort', onDeadline, { once: true });
  const watch = watchRate(rate, () => size, () => stop('slow'));
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (why === 'deadline') throw httpError(408, 'request body not received within the time limit');
      if (why === 'slow') throw httpError(408, `request body arriving slower than ${rate.minBytesPerSecond} bytes per second`);
      if (done) break;
      if (size + value.byteLength > maxBytes) throw tooLarge(maxBytes);
      if (!charge.take(value.byteLength)) throw charge.refusal();
      size += value.byteLength;
      chunks.push(value);
    }
  } catch (error) {
    // Nobody reads the rest: the runtime may drop it (and the connection).
    void reader.cancel().catch(() => undefined);
    if (error instanceof HTTPException) throw error;
    // The client went away or sent a broken stream: nothing to answer that it will read.
    throw httpError(400, 'could not read the request body');
  } finally {
    watch.stop();
    deadline?.removeEventListener('abort', onDeadline);
  }
  return decode(join(chunks, size));
}

/** One chunk (most small bodies) as is; several joined. */
function join(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function decode(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw httpError(400, 'request body is not valid UTF-8');
  }
}

const tooLarge = (maxBytes: number) => httpError(413, `request body larger than ${maxBytes} bytes`);
