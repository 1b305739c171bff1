/**
 * Every transport refusal is an `HTTPException` carrying a JSON body, so the one `onError` in app.ts
 * can answer it as is. Any status other than 200 makes Metacontroller apply nothing.
 */
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface ErrorBody {
  error: string;
  issues?: readonly string[];
}

const encoder = new TextEncoder();

/** A JSON response with an explicit Content-Length (metrics read it for the answer's size). */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return bytesResponse(status, encoder.encode(JSON.stringify(body)), headers);
}

/** `body` serialized once; the bytes are returned too (the ETag hashes them). */
export function jsonBytes(body: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(body));
}

/** A JSON response of bytes already serialized, with an explicit Content-Length. */
export function bytesResponse(status: number, bytes: Uint8Array, headers: Record<string, string> = {}): Response {
  return new Response(bytes, {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(bytes.byteLength), ...headers },
  });
}

/** An HTTPException answered as `{"error": message}` (plus `issues` when given) with extra headers. */
export function httpError(status: ContentfulStatusCode, message: string, options: { headers?: Record<string, string>; issues?: readonly string[] } = {}): HTTPException {
  const body: ErrorBody = options.issues ? { error: message, issues: options.issues } : { error: message };
  return new HTTPException(status, { message, res: jsonResponse(status, body, options.headers) });
}
