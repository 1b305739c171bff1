/**
 * A strong ETag on every 200: the SHA-256 of the answer's bytes. The same request gives the same
 * bytes (the layers are pure), so the tag is stable across replicas and restarts. Metacontroller
 * sends back the last tag it got for the parent as If-None-Match; when it matches we answer 304
 * without a body and Metacontroller reuses the answer it cached.
 */
import { createHash } from 'node:crypto';
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
    if (c.res.status !== 200) return;
    const bytes = new Uint8Array(await c.res.arrayBuffer());
    const tag = `"${createHash('sha256').update(bytes).digest('base64url')}"`;
    const headers = new Headers(c.res.headers);
    headers.set('etag', tag);
    if (conditional && matches(c.req.header('if-none-match'), tag)) {
      headers.delete('content-length');
      headers.delete('content-type');
      c.set('notModified', true);
      c.res = undefined;
      c.res = new Response(null, { status: 304, headers });
      return;
    }
    c.res = undefined;
    c.res = new Response(bytes, { status: 200, headers });
  };
}

/** If-None-Match uses the weak comparison (RFC 9110 13.1.2): `W/` is ignored; `*` matches anything. */
export function matches(ifNoneMatch: string | undefined, tag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value.replace(/^W\//, '') === tag;
  });
}
