/**
 * Reads the request body as text within a size limit, and within the request's deadline.
 *
 * A declared Content-Length over the limit is refused before reading anything; otherwise the bytes
 * are counted as they arrive, so a chunked or lying body is cut off at the limit too. Unlike hono's
 * own bodyLimit, the body is decoded once here and handed on as `c.var.body`.
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
    const stream = c.req.raw.body;
    if (stream === null) {
      c.set('body', '');
      return next();
    }
    const deadline = c.get('deadline');
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
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw httpError(400, 'request body is not valid UTF-8');
    }
    c.set('body', text);
    return next();
  };
}

const tooLarge = (maxBytes: number) => httpError(413, `request body larger than ${maxBytes} bytes`);
