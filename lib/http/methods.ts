/**
 * Hook paths take exactly what Metacontroller sends: a POST with a JSON body. Anything else is
 * refused before the body is read: 405 with Allow for another method, 415 for another media type.
 */
import type { MiddlewareHandler } from 'hono';
import type { HookEnv } from './env.ts';
import { httpError } from './errors.ts';

export interface JsonPostOptions {
  /** Accept a request without Content-Type (curl -d sends form type, so this is for hand-made clients). */
  allowMissingContentType?: boolean;
}

export function jsonPostOnly(options: JsonPostOptions = {}): MiddlewareHandler<HookEnv> {
  const allowMissing = options.allowMissingContentType ?? false;
  return async function jsonPostOnly(c, next) {
    if (c.req.method !== 'POST') throw httpError(405, `method ${c.req.method} not allowed, use POST`, { headers: { allow: 'POST' } });
    const contentType = c.req.header('content-type');
    if (contentType === undefined ? !allowMissing : !isJson(contentType)) {
      throw httpError(415, 'content type must be application/json');
    }
    await next();
  };
}

/** `application/json` with any parameters, or a `+json` structured-syntax type. */
function isJson(contentType: string): boolean {
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}
