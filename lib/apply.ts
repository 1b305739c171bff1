/**
 * Metacontroller's default "dynamic apply": a three-way merge of (observed, last applied, desired)
 * in the style of `kubectl apply`, without type-specific knowledge (docs/metacontroller.md, "The apply merge"). Written after
 * upstream's pkg/dynamic/apply and pkg/controller/common/manage_children.go; used by the simulator
 * and by property tests that check what a held or changed answer does to a live object.
 *
 * Every function here is pure: inputs are never mutated; outputs may share unchanged subtrees
 * with the inputs (nothing in this project mutates objects, so sharing is safe).
 */
import { LAST_APPLIED_ANNOTATION, readLastApplied, SYSTEM_METADATA_FIELDS } from './metacontroller/hold.ts';
import { canonicalJson, isRecord, jsonEqual, type KubeObject, type ObjectMeta } from './kube/object.ts';

type Record_ = Record<string, unknown>;

/**
 * Keys that make a list of objects a "list map", in order of precedence: the first key that every
 * item of the observed, last applied and desired lists has is the merge key.
 */
export const LIST_MAP_KEYS = ['containerPort', 'port', 'mountPath', 'name', 'uid', 'ip', 'path'] as const;


/** Own, defined keys: JSON has no `undefined`, so a key holding it counts as absent. */
function has(record: Record_ | undefined, key: string): boolean {
  return record !== undefined && Object.hasOwn(record, key) && record[key] !== undefined;
}

/**
 * The new live object: the change from `lastApplied` to `desired` applied onto `observed`.
 * `lastApplied` is undefined when the object carries no (readable) annotation.
 */
export function merge(observed: Record_, lastApplied: Record_ | undefined, desired: Record_): Record_ {
  return mergeObject(observed, lastApplied, desired);
}

function mergeValue(live: unknown, last: unknown, desired: unknown): unknown {
  if (isRecord(live) && isRecord(desired)) return mergeObject(live, isRecord(last) ? last : undefined, desired);
  if (Array.isArray(live) && Array.isArray(desired)) return mergeArray(live, Array.isArray(last) ? last : undefined, desired);
  // A scalar, a missing live value or a change of type: the desired value wins whole.
  return desired;
}

function mergeObject(live: Record_, last: Record_ | undefined, desired: Record_): Record_ {
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(live)) {
    if (has(desired, key)) entries.push([key, mergeValue(live[key], last?.[key], desired[key])]);
    // Removed from desired since last time: ours to delete. Never in last applied: someone else's, kept.
    else if (!has(last, key)) entries.push([key, live[key]]);
  }
  for (const key of Object.keys(desired)) {
    if (has(desired, key) && !Object.hasOwn(live, key)) entries.push([key, desired[key]]);
  }
  // fromEntries defines keys, so a `__proto__` key stays data.
  return Object.fromEntries(entries);
}

function mergeArray(live: unknown[], last: unknown[] | undefined, desired: unknown[]): unknown[] {
  const key = listMapKey([live, last ?? [], desired]);
  // Not a list map: replaced whole, as upstream does.
  return key === undefined ? desired : mergeListMap(key, live, last ?? [], desired);
}

/** The merge key shared by every item of every list, or undefined when the lists are not list maps. */
export function listMapKey(lists: readonly (readonly unknown[])[]): string | undefined {
  const items = lists.flat();
  if (items.length === 0 || !items.every(isRecord)) return undefined;
  return LIST_MAP_KEYS.find((key) => items.every((item) => has(item as Record_, key)));
}

/** A merge key value as a map key: upstream formats non-strings with %v; JSON text is equivalent here. */
function keyOf(item: unknown, mergeKey: string): string {
  const value = (item as Record_)[mergeKey];
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function toMap(list: readonly unknown[], mergeKey: string): Record_ {
  // Later duplicates win, as in upstream's map building.
  return Object.fromEntries(list.map((item) => [keyOf(item, mergeKey), item]));
}

/** Merges lists of objects as maps keyed by `mergeKey`: live order first, then new items in desired order. */
function mergeListMap(mergeKey: string, live: unknown[], last: unknown[], desired: unknown[]): unknown[] {
  const merged = mergeObject(toMap(live, mergeKey), toMap(last, mergeKey), toMap(desired, mergeKey));
  const seen = new Set<string>();
  const result: unknown[] = [];
  for (const item of [...live, ...desired]) {
    const key = keyOf(item, mergeKey);
    if (seen.has(key) || !Object.hasOwn(merged, key)) continue;
    seen.add(key);
    result.push(merged[key]);
  }
  return result;
}

/** What applying a desired child does: the object to write, and whether a write happens at all. */
export interface ApplyResult {
  object: KubeObject;
  changed: boolean;
}


/** The desired object without a last-applied annotation of its own (upstream nullifies it before merging). */
function withoutLastApplied(desired: KubeObject): KubeObject {
  const annotations = desired.metadata.annotations;
  if (annotations === undefined || !Object.hasOwn(annotations, LAST_APPLIED_ANNOTATION)) return desired;
  const { [LAST_APPLIED_ANNOTATION]: _dropped, ...rest } = annotations;
  return { ...desired, metadata: { ...desired.metadata, annotations: rest } };
}

function withAnnotation(object: KubeObject, key: string, value: string): KubeObject {
  return { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [key]: value } } };
}

/** `target` with the system metadata and status of `source` (present or absent alike). */
function revertServerFields(target: KubeObject, source: KubeObject | undefined): KubeObject {
  const metadata: Record_ = { ...target.metadata };
  const sourceMeta = (source?.metadata ?? {}) as Record_;
  for (const field of SYSTEM_METADATA_FIELDS) {
    if (Object.hasOwn(sourceMeta, field)) metadata[field] = sourceMeta[field];
    else delete metadata[field];
  }
  const { status: _status, ...rest } = target;
  const reverted: KubeObject = { ...rest, metadata: metadata as ObjectMeta };
  return source !== undefined && Object.hasOwn(source, 'status') ? { ...reverted, status: source.status } : reverted;
}

/**
 * What Metacontroller writes for one desired child: on create, the desired object itself; on update,
 * the three-way merge with the object's last applied configuration. Either way the new last-applied
 * annotation (the desired object as canonical JSON, like Go's sorted-key encoding) is recorded, and
 * system metadata and `.status` are never written. `changed` is false when the write would be a no-op.
 * Ownership is not set here: the caller (who knows the parent) adds the controller reference on create.
 */
export function applyChild(observed: KubeObject | undefined, desired: KubeObject): ApplyResult {
  const clean = withoutLastApplied(desired);
  const annotation = canonicalJson(clean);
  if (observed === undefined) {
    return { object: withAnnotation(revertServerFields(clean, undefined), LAST_APPLIED_ANNOTATION, annotation), changed: true };
  }
  const merged = merge(observed, readLastApplied(observed), clean) as KubeObject;
  const object = withAnnotation(revertServerFields(merged, observed), LAST_APPLIED_ANNOTATION, annotation);
  return { object, changed: !jsonEqual(object, observed) };
}
