/**
 * A strong ETag on every 200: the SHA-256 of the answer's bytes. The same request gives the same
 * bytes (the layers are pure), so the tag is stable across replicas and restarts. Metacontroller
 * sends back the last tag it got for the parent as If-None-Match; when it matches we answer 304
 * without a body and Metacontroller reuses the answer it cached.
 */
import type { MiddlewareHandler } from 'hono';
import type { HookEnv } from './env.ts';

export interface EtagOptions {
  /** Answer 304 on a matching If-None-Match (otherwise only tag). Default true. */
  conditional?: boolean;
}

export function etag(options: EtagOptions = {}): MiddlewareHandler<HookEnv> {
  const conditional = options.conditional ?? true;
  return async function etag(c, next) {
    await next();
    const res = c.res;
    if (res.status !== 200) return;
    // The handler hands over the bytes it answered; anything else is read back from the Response.
    const known = c.get('answerBytes');
    const bytes = known ?? new Uint8Array(await res.arrayBuffer());
    const tag = `"${sha256(bytes)}"`;
    const ifNoneMatch = conditional ? c.req.header('if-none-match') : undefined;
    if (ifNoneMatch !== undefined && matches(ifNoneMatch, tag)) {
      const headers = new Headers(res.headers);
      headers.set('etag', tag);
      headers.delete('content-length');
      headers.delete('content-type');
      c.set('notModified', true);
      c.res = undefined;
      c.res = new Response(null, { status: 304, headers });
      return;
    }
    if (known !== undefined) {
      // The body is untouched: tag the Response in place.
      res.headers.set('etag', tag);
      return;
    }
    const headers = new Headers(res.headers);
    headers.set('etag', tag);
    c.res = undefined;
    c.res = new Response(bytes, { status: 200, headers });
  };
}

/** Base64url SHA-256, the same digest as node:crypto's createHash, with Bun's one-shot hasher. */
const sha256 = (bytes: Uint8Array): string => Bun.CryptoHasher.hash('sha256', bytes, 'base64url');

/** If-None-Match uses the weak comparison (RFC 9110 13.1.2): `W/` is ignored; `*` matches anything. */
export function matches(ifNoneMatch: string | undefined, tag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value.replace(/^W\//, '') === tag;
  });
}
