/**
 * Reads the request body as text within a size limit, and within the request's deadline.
 *
 * A declared Content-Length over the limit is refused before reading anything. A body with a declared
 * length within the limit is read whole by the runtime (no JS stream: the cheap path for what
 * Metacontroller sends) and its actual size checked; the HTTP parser delivers no more than the
 * declared length, and Bun.serve's own cap (serve.ts) bounds anything else. A body without a length
 * (chunked) is counted as it arrives and cut off at the limit. Either way the deadline answers 408.
 * Unlike hono's own bodyLimit, the body is decoded once here and handed on as `c.var.body`.
 */
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { HookEnv } from './env.ts';
import { httpError } from './errors.ts';

export interface BodyLimitOptions {
  /** Largest accepted body, in bytes; larger is answered 413. */
  maxBytes: number;
}

export function readBody(options: BodyLimitOptions): MiddlewareHandler<HookEnv> {
  const { maxBytes } = options;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return async function readBody(c, next) {
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
    const deadline = c.get('deadline');
    // A declared length bounds what the HTTP parser hands over: read it in one go, without
    // materializing the body as a JS stream (Bun's native path), still within the deadline, and
    // check the size that actually arrived.
    if (declared !== undefined) {
      c.set('body', decode(await readAll(c.req.raw, deadline, maxBytes)));
      return next();
    }
    const stream = c.req.raw.body;
    if (stream === null) {
      c.set('body', '');
      return next();
    }
    const reader = stream.getReader();
    // A pending read() resolves as done when the reader is cancelled.
    const onTimeout = () => void reader.cancel().catch(() => undefined);
    deadline?.addEventListener('abort', onTimeout, { once: true });
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (deadline?.aborted) throw httpError(408, 'request body not received within the time limit');
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          void reader.cancel().catch(() => undefined);
          throw tooLarge(maxBytes);
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof HTTPException) throw error;
      // The client went away or sent a broken stream: nothing to answer that it will read.
      throw httpError(400, 'could not read the request body');
    } finally {
      deadline?.removeEventListener('abort', onTimeout);
    }
    // One chunk (most small bodies) is decoded as is; several are joined first.
    let bytes: Uint8Array;
    if (chunks.length === 1) bytes = chunks[0] as Uint8Array;
    else {
      bytes = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.byteLength;
      }
    }
    c.set('body', decode(bytes));
    return next();
  };

  function decode(bytes: Uint8Array): string {
    try {
      return decoder.decode(bytes);
    } catch {
      throw httpError(400, 'request body is not valid UTF-8');
    }
  }
}

/** The whole body, or 408 when the deadline fires first, 413 over the limit, 400 on a broken stream. */
async function readAll(request: Request, deadline: AbortSignal | undefined, maxBytes: number): Promise<Uint8Array> {
  const timedOut = () => httpError(408, 'request body not received within the time limit');
  if (deadline?.aborted) throw timedOut();
  let onTimeout: (() => void) | undefined;
  let reading: Promise<Uint8Array> | undefined;
  try {
    reading = request.bytes();
    const bytes =
      deadline === undefined
        ? await reading
        : await Promise.race([
            reading,
            new Promise<never>((_, reject) => {
              onTimeout = () => reject(timedOut());
              deadline.addEventListener('abort', onTimeout, { once: true });
            }),
          ]);
    if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
    return bytes;
  } catch (error) {
    // Nobody waits for the rest any more.
    reading?.catch(() => undefined);
    if (error instanceof HTTPException) throw error;
    // The client went away or sent a broken stream: nothing to answer that it will read.
    throw httpError(400, 'could not read the request body');
  } finally {
    if (onTimeout !== undefined) deadline?.removeEventListener('abort', onTimeout);
  }
}

const tooLarge = (maxBytes: number) => httpError(413, `request body larger than ${maxBytes} bytes`);
