/**
 * The generic shape of a Kubernetes object as it crosses the Metacontroller wire.
 * Concrete kinds we produce are typed with @kubernetes/client-node models in lib/templates/;
 * this is the common denominator the hooks read and the simulator stores.
 */
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';

/** JSON as it is on the wire: what a hook reads and writes. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Object metadata on the wire: timestamps are RFC 3339 strings, not Dates as client-node's model says. */
export type ObjectMeta = Omit<V1ObjectMeta, 'creationTimestamp' | 'deletionTimestamp' | 'managedFields' | 'ownerReferences'> & {
  name: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  ownerReferences?: V1OwnerReference[];
  managedFields?: unknown[];
};

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A JSON object (not null, not an array): the guard every module that reads untyped JSON uses. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** client-node's typed objects as the wire's generic objects (every template sets apiVersion, kind and name). */
export function asKubeObjects(objects: readonly object[]): KubeObject[] {
  return objects as KubeObject[];
}

export function asKubeObject(object: object): KubeObject {
  return object as KubeObject;
}

/** `Kind/name`: the identity of a namespaced child inside one parent (all our children share the parent's namespace). */
export function objectKey(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${object.kind}/${object.metadata.name}`;
}

/** Deep-equal for JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(rb, k) && jsonEqual(ra[k], rb[k]));
}

/**
 * JSON text with object keys sorted: the canonical form we hash, so that the order of keys in a
 * user's YAML never changes a revision. Hashing every desired child is on the hooks' hot path:
 * sorted copies are built with plain loops and handed to the native JSON.stringify.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value));
}

/**
 * A deep copy with every object's keys in sorted order (undefined values dropped).
 *
 * The copies are plain objects, not prototype-less ones: the sorted spec is spread into every child
 * template, and Bun's engine (JavaScriptCore) copies a plain object on a fast path, a prototype-less
 * one about six times slower. An own `__proto__` key stays a key (setKey).
 */
export function sortedKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortedKeys);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // More than half the objects of a spec have sorted keys already (small ones, records a parent
  // layer passed down sorted): the check is far cheaper than the engine's sort, which is slow even then.
  if (!isSorted(keys)) keys.sort();
  const sorted: Record<string, unknown> = {};
  for (const key of keys) {
    const item = record[key];
    if (item !== undefined) setKey(sorted, key, sortedKeys(item));
  }
  return sorted;
}

/**
 * `record[key] = value` for a key from data: an own `__proto__` key (legal in JSON) is defined rather
 * than assigned, so it stays a key and never becomes the object's prototype.
 */
export function setKey<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}

/** Whether keys are in the order `sort()` gives (UTF-16 code units, as `<` compares strings). */
function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

/**
 * How deep JSON the hooks accept: far deeper than any Kubernetes object (a Pod's affinity is about
 * a dozen levels, a whole sync request under thirty), far shallower than what would exhaust the
 * stack of a recursive walk (sortedKeys, JSON.stringify: about 19,000 levels overflowed it).
 */
export const MAX_JSON_DEPTH = 100;

/**
 * Whether `value` nests objects and arrays more than `max` levels deep (a scalar is depth 0, `{}`
 * depth 1). Iterative, so it cannot itself run out of stack; stops at the first node too deep.
 */
export function jsonDepthExceeds(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const node = stack.pop();
    const depth = depths.pop() as number;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > max) return true;
    const items = Array.isArray(node) ? node : Object.values(node as Record<string, unknown>);
    for (const item of items) {
      if (item !== null && typeof item === 'object') {
        stack.push(item);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
