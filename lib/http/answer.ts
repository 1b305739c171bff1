/**
 * Large answers under the buffer budget. An answer is computed from a body (a keyspace of many shards
 * answers a few MiB), and once handed to the runtime it stays in memory until the client has read
 * it: a client that never reads would pin it until the idle timeout. So a 200 larger than
 * `streamAboveBytes` is charged to the budget (429 if it does not fit: the answer is dropped, and
 * Metacontroller asks again after Retry-After) and sent as a stream the runtime pulls only as the
 * socket drains (Bun then sends it chunked: Go's client, Metacontroller's, reads either). When the
 * client reads it slower than the minimum rate the stream is failed and the answer dropped: the
 * client gets a truncated body (an error to Metacontroller, which applies nothing), and what stays
 * pinned until the idle timeout closes the connection is the one chunk the runtime already took.
 * The charge is given back when the last byte is handed over, or the transfer ends otherwise.
 * Smaller answers go out as they are: the kernel's socket buffer takes them whole.
 */
import type { MiddlewareHandler } from 'hono';
import { type BudgetOptions, Charge } from './budget.ts';
import type { HookEnv } from './env.ts';
import { type RateOptions, watchRate } from './rate.ts';

export interface AnswerBudgetOptions {
  budget: BudgetOptions;
  /** The rate the client must read a large answer at; slower and the connection is closed. */
  rate: RateOptions;
  /** Answers up to this size are sent without charge or stream. */
  streamAboveBytes: number;
}

/** What the stream hands the runtime per pull. */
const CHUNK_BYTES = 64 * 1024;

export function answerBudget(options: AnswerBudgetOptions): MiddlewareHandler<HookEnv> {
  const { budget, rate, streamAboveBytes } = options;
  return async function answerBudget(c, next) {
    await next();
    const bytes = c.get('answerBytes');
    // Only a 200 carries the answer's bytes; a 304 (ETag) has none.
    if (c.res.status !== 200 || bytes === undefined || bytes.byteLength <= streamAboveBytes) return;
    const charge = new Charge(budget);
    if (!charge.take(bytes.byteLength)) throw charge.refusal();
    const res = c.res;
    c.res = undefined;
    c.res = new Response(meteredStream(bytes, charge, rate), { status: res.status, headers: res.headers });
  };
}

/** `answer` as a pull stream, holding `charge` until it is read, cancelled or cut off for slowness. */
function meteredStream(answer: Uint8Array, charge: Charge, rate: RateOptions): ReadableStream<Uint8Array> {
  // Dropped when the transfer ends, so a failed stream the runtime keeps until the connection
  // closes does not keep the answer with it; chunks are copies for the same reason.
  let bytes: Uint8Array | undefined = answer;
  let offset = 0;
  let watch = { stop: () => undefined as void };
  const done = () => {
    bytes = undefined;
    watch.stop();
    charge.release();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        watch = watchRate(
          rate,
          () => offset,
          () => {
            controller.error(new Error('answer read slower than the minimum rate'));
            done();
          },
        );
      },
      pull(controller) {
        if (bytes === undefined) return;
        const end = Math.min(offset + CHUNK_BYTES, bytes.byteLength);
        controller.enqueue(bytes.slice(offset, end));
        offset = end;
        if (offset >= bytes.byteLength) {
          controller.close();
          done();
        }
      },
      cancel: done,
    },
    // Pull only when the runtime asks, i.e. when the socket has room.
    { highWaterMark: 0 },
  );
}
