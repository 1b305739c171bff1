/**
 * Holding a child: answering exactly what Metacontroller last applied to it, so its apply merge is a
 * no-op. Used for every child when a spec cannot be honoured, and by the rollout planner for children
 * that must not move yet.
 */
import { isRecord, jsonDepthExceeds, type KubeObject, type ObjectMeta } from '../kube/object.ts';

/** Where Metacontroller keeps the last desired object it applied to a child. */
export const LAST_APPLIED_ANNOTATION = 'metacontroller.k8s.io/last-applied-configuration';

/**
 * ObjectMeta fields that are read-only and server-populated: a desired object never sets them, and
 * Metacontroller's apply keeps their live values (upstream issue #76). managedFields is the API server's too.
 */
export const SYSTEM_METADATA_FIELDS = [
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
] as const;

/** What a held child leaves out besides system metadata: what Metacontroller and controllers set. */
const NOT_OURS_METADATA = [...SYSTEM_METADATA_FIELDS, 'ownerReferences', 'finalizers'] as const;

/** The last applied configuration recorded on a live object; an unreadable one counts as none. */
export function readLastApplied(observed: KubeObject): Record<string, unknown> | undefined {
  const text = observed.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (text === undefined || text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    // Anyone who may annotate the child can write it: nested too deep, it is no configuration of ours.
    return isRecord(parsed) && !jsonDepthExceeds(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The last applied configuration of a child, if Metacontroller recorded one that is a whole object. */
export function lastApplied(observed: KubeObject): KubeObject | undefined {
  const parsed = readLastApplied(observed);
  return isKubeObject(parsed) ? parsed : undefined;
}

/**
 * The answer that leaves a child as it is: its last applied configuration, or, without one (or when
 * the annotation names another object: tampered, copied, or written at another version of our CRD),
 * its observed state less server-set fields and status. Metacontroller files an answered child under
 * its kind, API group and name, and deletes the observed child the answer does not name, so the answer
 * must carry the observed identity exactly.
 */
export function heldChild(observed: KubeObject): KubeObject {
  return heldChildAsApplied(observed, lastApplied(observed));
}

/**
 * heldChild, given the child's last applied configuration (`lastApplied(observed)`) when the caller
 * has read it already: that is a JSON.parse per child, which the sync pipeline does once per sync.
 */
export function heldChildAsApplied(observed: KubeObject, applied: KubeObject | undefined): KubeObject {
  if (applied !== undefined && sameIdentity(applied, observed)) return applied;
  const { status: _status, metadata, ...rest } = observed;
  const kept: Record<string, unknown> = { ...metadata };
  for (const field of NOT_OURS_METADATA) delete kept[field];
  const annotations = { ...metadata.annotations };
  delete annotations[LAST_APPLIED_ANNOTATION];
  kept.annotations = Object.keys(annotations).length > 0 ? annotations : undefined;
  if (kept.annotations === undefined) delete kept.annotations;
  return { ...rest, metadata: kept as ObjectMeta } as KubeObject;
}

/** The same object: apiVersion, kind, name, and namespace when either sets one. */
export function sameIdentity(a: KubeObject, b: KubeObject): boolean {
  return (
    a.apiVersion === b.apiVersion &&
    a.kind === b.kind &&
    a.metadata.name === b.metadata.name &&
    (a.metadata.namespace === undefined || b.metadata.namespace === undefined || a.metadata.namespace === b.metadata.namespace)
  );
}

function isKubeObject(value: unknown): value is KubeObject {
  return isRecord(value) && typeof value.apiVersion === 'string' && typeof value.kind === 'string' && isRecord(value.metadata) && typeof value.metadata.name === 'string';
}
