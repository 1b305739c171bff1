/**
 * Deleting a VitessCluster (docs/decisions/0013-deletion-policy.md).
 *
 * Metacontroller sets a controller ownerReference on every child it creates, so the garbage collector
 * deletes the whole tree, PVCs included, once the VitessCluster is gone. The only way Metacontroller
 * lets an owned child out of the tree is releasing it: at the start of every sync of a parent that is
 * not being deleted, it removes its ownerReference from each owned child whose labels no longer match
 * the parent's `spec.selector` (ClaimChildren). So, with a finalize hook holding the VitessCluster
 * (and, under background deletion, everything it owns) while it is deleted, under `deletionPolicy: Retain`:
 *
 * 1. the cluster answers its cells with `releaseVolumes: true`; cells and keyspaces pass it down;
 * 2. a layer with `releaseVolumes` leaves out what holds no data (a shard's Pods: its tablets stop);
 * 3. once a shard reports no Pods left, its keyspace adds RELEASED_LABEL to the shard's selector,
 *    which no child carries, so Metacontroller releases the shard's PVCs (they lose their
 *    ownerReference and survive the deletion, labels intact);
 * 4. each layer reports `status.release.done` once nothing at or below it owns a PVC; the cluster
 *    answers `finalized: true` only when every cell is done.
 *
 * During all of it nothing is created or rolled: every child is answered as last applied (held),
 * with only the release fields added.
 */
import { KIND as CLUSTER_KIND } from '../api/cluster.ts';
import { KIND as SHARD_KIND } from '../api/shard.ts';
import { condition, stampConditions } from '../kube/conditions.ts';
import { isRecord, type KubeObject, objectKey } from '../kube/object.ts';
import { heldChild } from '../metacontroller/hold.ts';
import type { SyncRequest, SyncResponse } from '../metacontroller/request.ts';
import { holdsNoData, isVitessLayerKind } from '../rollout/slots.ts';
import type { SyncContext } from './layer.ts';

/** A selector label no child ever carries: a shard selecting it owns nothing, so Metacontroller releases every child. */
export const RELEASED_LABEL = 'vitess.io/volumes-released';

/** How many children not done a status names. */
const NAMED = 5;
/** While waiting for layers below, sync again after this long. */
const RELEASE_RESYNC_SECONDS = 10;

export type DeletionMode = 'release' | 'delete';

/**
 * Whether this sync is part of a deletion, read from the raw parent so that a spec that fails
 * validation still deletes safely: only an explicit `deletionPolicy: Delete` deletes the volumes.
 * The VitessCluster is deleting when Metacontroller calls its finalize hook; a layer below, when its
 * parent passed `releaseVolumes: true` down.
 */
export function deletionMode(request: SyncRequest): DeletionMode | undefined {
  const spec = isRecord(request.parent.spec) ? request.parent.spec : {};
  if (request.parent.kind === CLUSTER_KIND) {
    if (!request.finalizing) return undefined;
    return spec.deletionPolicy === 'Delete' ? 'delete' : 'release';
  }
  if (spec.releaseVolumes === true) return 'release';
  // A finalize call for a layer below (we configure none): let it go, its parent decides about data.
  return request.finalizing ? 'delete' : undefined;
}

interface ReleaseStatus {
  podsLeft: number;
  volumesLeft: number;
  done: boolean;
  waitingFor?: string[];
}

function releaseStatusOf(object: KubeObject): ReleaseStatus | undefined {
  const status = object.status as { release?: unknown; observedGeneration?: unknown } | undefined;
  const release = status?.release;
  if (!isRecord(release)) return undefined;
  return typeof release.podsLeft === 'number' && typeof release.done === 'boolean' ? (release as unknown as ReleaseStatus) : undefined;
}

/** The child's status was written for its current spec (so it answers the release we passed down). */
function isCurrent(object: KubeObject): boolean {
  const generation = object.metadata.generation;
  const observedGeneration = (object.status as { observedGeneration?: unknown } | undefined)?.observedGeneration;
  return generation === undefined || (typeof observedGeneration === 'number' && observedGeneration >= generation);
}

function isDone(child: KubeObject): boolean {
  return isCurrent(child) && releaseStatusOf(child)?.done === true;
}

/** A shard whose tablets have stopped: its PVCs can be released (its selector made to match nothing). */
function canReleaseVolumes(shard: KubeObject): boolean {
  const selector = isRecord(shard.spec) && isRecord(shard.spec.selector) ? shard.spec.selector : {};
  const already = isRecord(selector.matchLabels) && selector.matchLabels[RELEASED_LABEL] !== undefined;
  return already || (isCurrent(shard) && releaseStatusOf(shard)?.podsLeft === 0);
}

/** A layer child as last applied, told to release, and for a stopped shard, selecting nothing. */
function releasedLayerChild(observed: KubeObject): KubeObject {
  const held = heldChild(observed);
  const spec = isRecord(held.spec) ? held.spec : {};
  const selector = isRecord(spec.selector) ? spec.selector : {};
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  const released = observed.kind === SHARD_KIND && canReleaseVolumes(observed);
  return {
    ...held,
    spec: {
      ...spec,
      releaseVolumes: true,
      ...(released ? { selector: { ...selector, matchLabels: { ...matchLabels, [RELEASED_LABEL]: 'true' } } } : {}),
    },
  };
}

/**
 * The answer of a layer being released: layer children told to release; what holds no data (Pods,
 * Jobs, Deployments, Services, ConfigMaps, PDBs) left out, so Metacontroller deletes it (a tablet's
 * Pod must be gone before its PVC leaves the tree, and nothing released may outlive the cluster but
 * data); everything else held. Nothing is created.
 */
export function releaseAnswer(request: SyncRequest, context: SyncContext): SyncResponse {
  const observed = request.children;
  const children: KubeObject[] = [];
  const waiting: string[] = [];
  let podsLeft = 0;
  let volumesLeft = 0;
  for (const child of observed) {
    if (child.kind === 'Pod') podsLeft += 1;
    if (child.kind === 'PersistentVolumeClaim') volumesLeft += 1;
    if (isVitessLayerKind(child.kind)) {
      if (!isDone(child)) waiting.push(objectKey(child));
      if (child.metadata.deletionTimestamp === undefined) children.push(releasedLayerChild(child));
    } else if (!holdsNoData(child.kind) && child.metadata.deletionTimestamp === undefined) {
      children.push(heldChild(child));
    }
  }
  const done = podsLeft === 0 && volumesLeft === 0 && waiting.length === 0;
  const release: ReleaseStatus = { podsLeft, volumesLeft, done, ...(waiting.length > 0 ? { waitingFor: waiting.slice(0, NAMED) } : {}) };
  const message = done ? 'deletionPolicy Retain: no PVC is owned here or below any more; the PVCs stay when this object is deleted' : releaseMessage(release, waiting.length);
  const isCluster = request.parent.kind === CLUSTER_KIND;
  return {
    status: {
      volumes: volumesLeft,
      release,
      conditions: stampConditions(request.parent.status?.conditions, [condition('Ready', false, 'Deleting', message), condition('Updated', false, 'Deleting', message)], context.now),
    },
    children,
    ...(isCluster ? { finalized: done } : {}),
    ...(done ? {} : { resyncAfterSeconds: RELEASE_RESYNC_SECONDS }),
  };
}

function releaseMessage(release: ReleaseStatus, waitingCount: number): string {
  const parts: string[] = [];
  if (release.podsLeft > 0) parts.push(`${release.podsLeft} tablet Pod(s) stopping`);
  if (release.volumesLeft > 0) parts.push(`${release.volumesLeft} PVC(s) to release`);
  if (waitingCount > 0) {
    const more = waitingCount > NAMED ? ` and ${waitingCount - NAMED} more` : '';
    parts.push(`waiting for ${(release.waitingFor ?? []).join(', ')}${more}`);
  }
  return `deletionPolicy Retain: releasing the tablets' PVCs before deletion: ${parts.join('; ')}`;
}

/**
 * The finalize answer under `deletionPolicy: Delete`: every child held as it is (the garbage
 * collector deletes them, PVCs included, once the VitessCluster is gone) and finalized at once.
 */
export function deleteAnswer(request: SyncRequest, context: SyncContext): SyncResponse {
  const message = 'deletionPolicy Delete: the VitessCluster and everything it owns, PVCs included, are being deleted';
  return {
    status: {
      conditions: stampConditions(request.parent.status?.conditions, [condition('Ready', false, 'Deleting', message), condition('Updated', false, 'Deleting', message)], context.now),
    },
    children: request.children.filter((child) => child.metadata.deletionTimestamp === undefined).map(heldChild),
    finalized: true,
  };
}
