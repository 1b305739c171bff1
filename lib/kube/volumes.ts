/**
 * Reading a PersistentVolumeClaim's size and resize state. Kubernetes grows a bound volume when its
 * `spec.resources.requests.storage` is raised (never lowered) on a storage class with
 * `allowVolumeExpansion: true`: the CSI controller grows the volume, then the filesystem is grown on
 * the node, online while mounted when the driver can, else on the next mount; until then the claim
 * carries the condition `FileSystemResizePending`. `status.capacity` shows the new size once done.
 */
import { isRecord, type KubeObject } from './object.ts';

function at(object: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), object);
}

function quantityAt(object: unknown, ...path: string[]): string | undefined {
  const value = at(object, ...path);
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** The storage a claim asks for (`spec.resources.requests.storage`). */
export function requestedStorage(claim: KubeObject): string | undefined {
  return quantityAt(claim, 'spec', 'resources', 'requests', 'storage');
}

/** The storage the claim has (`status.capacity.storage`). */
export function storageCapacity(claim: KubeObject): string | undefined {
  return quantityAt(claim, 'status', 'capacity', 'storage');
}

/**
 * When the claim's filesystem resize is pending on the node: the condition's lastTransitionTime
 * (`''` when it has none); undefined when no resize is pending.
 */
export function fileSystemResizePendingSince(claim: KubeObject): string | undefined {
  const conditions = at(claim, 'status', 'conditions');
  if (!Array.isArray(conditions)) return undefined;
  const pending = conditions.find((c) => isRecord(c) && c.type === 'FileSystemResizePending' && c.status === 'True') as Record<string, unknown> | undefined;
  if (pending === undefined) return undefined;
  return typeof pending.lastTransitionTime === 'string' ? pending.lastTransitionTime : '';
}

/** Bound to a volume: only then may its size change (the API server refuses it on a pending claim). */
export function isBound(claim: KubeObject): boolean {
  return at(claim, 'status', 'phase') === 'Bound';
}

/** A copy of a claim asking for `storage`. */
export function withRequestedStorage(claim: KubeObject, storage: string): KubeObject {
  const spec = isRecord(claim.spec) ? claim.spec : {};
  const resources = isRecord(spec.resources) ? spec.resources : {};
  const requests = isRecord(resources.requests) ? resources.requests : {};
  return { ...claim, spec: { ...spec, resources: { ...resources, requests: { ...requests, storage } } } };
}
