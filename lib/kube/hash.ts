import { createHash } from 'node:crypto';
import { canonicalJson } from './object.ts';

/** Hex SHA-256 of a string. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A short, stable hash of any JSON value (key order ignored): 10 hex digits, like a pod-template-hash. */
export function shortHash(value: unknown, length = 10): string {
  return sha256(canonicalJson(value)).slice(0, length);
}
