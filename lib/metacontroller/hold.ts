/**
 * Holding a child: answering exactly what Metacontroller last applied to it, so its apply merge is a
 * no-op. Used for every child when a spec cannot be honoured, and by the rollout planner for children
 * that must not move yet.
 */
import type { KubeObject, ObjectMeta } from '../kube/object.ts';

/** Where Metacontroller keeps the last desired object it applied to a child. */
export const LAST_APPLIED_ANNOTATION = 'metacontroller.k8s.io/last-applied-configuration';

/** Metadata the API server or Metacontroller owns; a desired object never sets them. */
const SERVER_SET_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'ownerReferences',
  'finalizers',
] as const;

/** The last applied configuration of a child, if Metacontroller recorded one that parses. */
export function lastApplied(observed: KubeObject): KubeObject | undefined {
  const text = observed.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isKubeObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The answer that leaves a child as it is: its last applied configuration, or, without one,
 * its observed state less server-set fields and status.
 */
export function heldChild(observed: KubeObject): KubeObject {
  const applied = lastApplied(observed);
  if (applied !== undefined) return applied;
  const { status: _status, metadata, ...rest } = observed;
  const kept: Record<string, unknown> = { ...metadata };
  for (const field of SERVER_SET_METADATA) delete kept[field];
  const annotations = { ...metadata.annotations };
  delete annotations[LAST_APPLIED_ANNOTATION];
  kept.annotations = Object.keys(annotations).length > 0 ? annotations : undefined;
  if (kept.annotations === undefined) delete kept.annotations;
  return { ...rest, metadata: kept as ObjectMeta } as KubeObject;
}

function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  const metadata = record.metadata as Record<string, unknown> | undefined;
  return (
    typeof record.apiVersion === 'string' &&
    typeof record.kind === 'string' &&
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof metadata.name === 'string'
  );
}
