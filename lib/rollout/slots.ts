/**
 * Turning desired and observed children into rollout slots, with the data-safety rules applied:
 * a removed cell, keyspace or shard that still has volumes is kept (held) until the user confirms.
 */
import { KIND as CELL_KIND } from '../api/cell.ts';
import { KIND as KEYSPACE_KIND } from '../api/keyspace.ts';
import { KIND as SHARD_KIND } from '../api/shard.ts';
import { hasTrueCondition } from '../kube/conditions.ts';
import { isRecord, type KubeObject, objectKey } from '../kube/object.ts';
import { isReady } from '../kube/readiness.ts';
import { heldChild } from '../metacontroller/hold.ts';
import type { MoveMethod, Slot } from './planner.ts';

const VITESS_KINDS = new Set<string>([CELL_KIND, KEYSPACE_KIND, SHARD_KIND]);

/** Pods and Jobs cannot be updated in place: they move by being deleted and created anew. */
export function moveMethod(kind: string): MoveMethod {
  return kind === 'Pod' || kind === 'Job' ? 'replace' : 'apply';
}

/** The reason a layer gives while it keeps a removed child until the user confirms. */
export const REMOVAL_PENDING = 'RemovalPending';

/**
 * Settled: ready, and for our own layers also fully updated below. A layer that waits only for a
 * removal to be confirmed is as settled as it can get: counting it in flight would stall every other
 * part of a rollout behind a question only the user can answer (the top reports the removal).
 */
export function isSettled(observed: KubeObject): boolean {
  if (!VITESS_KINDS.has(observed.kind)) return isReady(observed);
  const generation = observed.metadata.generation;
  const status = observed.status as { observedGeneration?: number } | undefined;
  const current = generation === undefined || (status?.observedGeneration ?? -1) >= generation;
  return current && conditionSettled(observed, 'Ready') && conditionSettled(observed, 'Updated');
}

/** A condition True, or False only for a removal that waits for the user (nothing a rollout can help). */
export function conditionSettled(object: KubeObject, type: string): boolean {
  if (hasTrueCondition(object, type)) return true;
  const conditions = (object.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) && conditions.some((c) => isRecord(c) && c.type === type && c.reason === REMOVAL_PENDING);
}

/** Removals waiting for confirmation that a child layer reports (`status.pendingRemovals`), so they reach the top. */
export function pendingRemovalsOf(object: KubeObject): string[] {
  const pending = (object.status as { pendingRemovals?: unknown } | undefined)?.pendingRemovals;
  return Array.isArray(pending) ? pending.filter((name): name is string => typeof name === 'string') : [];
}

/**
 * The number of tablet volumes a layer reports below it (`status.volumes`); undefined when unknown:
 * no status yet, no number, `volumesUnknown` (a layer below it has not reported), or a count the rest
 * of its status contradicts (volumesImplied: anyone who may write the status could claim `volumes: 0`
 * for a keyspace full of ready shards). Unknown means "may hold data" wherever a removal is decided.
 */
export function volumesOf(object: KubeObject): number | undefined {
  const status = object.status as { volumesUnknown?: unknown } | undefined;
  if (status?.volumesUnknown === true) return undefined;
  const count = reportedVolumes(object);
  return count === undefined || count < volumesImplied(object) ? undefined : count;
}

/** How many entries of a status list say `ready: true`. */
function readyEntries(list: unknown): number {
  return Array.isArray(list) ? list.filter((entry) => isRecord(entry) && entry.ready === true).length : 0;
}

/**
 * The fewest volumes the rest of a layer's status implies: a shard's ready tablets each run on their
 * PVC, and its retained volumes are PVCs; a keyspace with a ready shard, or a cell with a ready
 * keyspace, has tablets below it (a shard of zero tablets is counted as having data too: erring
 * towards "has data" only asks for a confirmation).
 */
export function volumesImplied(object: KubeObject): number {
  const status = object.status as { tablets?: unknown; retainedVolumes?: unknown; shards?: unknown; keyspaces?: unknown } | undefined;
  if (status === undefined) return 0;
  if (object.kind === SHARD_KIND) return readyEntries(status.tablets) + (Array.isArray(status.retainedVolumes) ? status.retainedVolumes.length : 0);
  if (object.kind === KEYSPACE_KIND) return readyEntries(status.shards) > 0 ? 1 : 0;
  if (object.kind === CELL_KIND) return readyEntries(status.keyspaces) > 0 ? 1 : 0;
  return 0;
}

/** The count a layer reports (`status.volumes`) when it is a whole number >= 0, partial or not. */
export function reportedVolumes(object: KubeObject): number | undefined {
  const volumes = (object.status as { volumes?: unknown } | undefined)?.volumes;
  return typeof volumes === 'number' && Number.isInteger(volumes) && volumes >= 0 ? volumes : undefined;
}

/** Our layer kinds below a VitessCluster: each reports the volumes below it. */
export function isVitessLayerKind(kind: string): boolean {
  return VITESS_KINDS.has(kind);
}

/**
 * Kinds a layer may drop as soon as it no longer wants them: they hold no data (the vtgate, vtctld or
 * vtorc Deployments, Services, ConfigMaps, PDBs, Pods, Jobs, and backup CronJobs: the backups stay in their storage). Every other kind (PVCs, etcd
 * StatefulSets and EtcdClusters, which hold the topology, our own layers, kinds we do not know) goes
 * only when spec.confirmRemoval names it; our layers also go once they report no volumes.
 */
const DROPPABLE_KINDS = new Set(['Pod', 'Job', 'CronJob', 'Deployment', 'Service', 'ConfigMap', 'PodDisruptionBudget', 'NetworkPolicy', 'HorizontalPodAutoscaler']);

/** A kind that holds no data (DROPPABLE_KINDS). */
export function holdsNoData(kind: string): boolean {
  return DROPPABLE_KINDS.has(kind);
}

/** A removed layer object must wait for confirmation while it has volumes, or while we cannot tell. */
export function removalNeedsConfirmation(observed: KubeObject, confirmed: readonly string[]): boolean {
  if (DROPPABLE_KINDS.has(observed.kind) || confirmed.includes(observed.metadata.name)) return false;
  if (!VITESS_KINDS.has(observed.kind)) return true;
  return volumesOf(observed) !== 0;
}

/**
 * The confirmations that concern objects below `object` (object names nest: `<cell object>-<keyspace>`),
 * passed down so that confirming one removal does not change, and roll, every sibling's spec. A name
 * shortened with a hash may not nest; its removal then stays held, the safe side.
 */
export function descendantsOf(object: string, confirmed: readonly string[]): string[] {
  return confirmed.filter((name) => name.startsWith(`${object}-`));
}

export interface SlotSet {
  slots: Slot[];
  /** Removed children kept until the user confirms, by name. */
  pendingRemovals: string[];
  /**
   * Observed children the layer classified as removals it may drop outright (obsolete reparent Jobs),
   * by key. Every other observed child no slot carries is held by the pipeline (see `carryAll`).
   */
  removals?: string[];
  /**
   * Observed children the layer keeps as they are outside the rollout, by key: a completed reparent
   * Job, the shard's record of when it last failed over, until the next may start (see shard.ts).
   */
  kept?: string[];
  /** `Kind/name: why` of desired values the layer could not apply (a volume asked to shrink). */
  notApplied?: string[];
  /**
   * Observed children that are ready but not yet in service, by key (a tablet vtgate does not serve
   * from yet, at its Pod's IP): the rollout counts them in flight, so the next move waits for them.
   */
  notServing?: string[];
  /**
   * Observed children the layer counts as settled although their own conditions do not say so yet, by
   * key: a cell whose tablets rolled while its components wait for every other cell's tablets.
   */
  settledByLayer?: string[];
  /**
   * Slots the layer leaves, gated, for a later phase of the cluster's rollout, by key: a primary whose
   * cell has no updated replica yet. With nothing else left to move, the layer reports `primaryDeferred`.
   */
  deferred?: string[];
  /**
   * What still keeps the layer from being updated although every slot is current (a volume still
   * growing): the layer reports Updated=False with these, and syncs again soon.
   */
  unsettled?: string[];
}

/**
 * The general rule, once for every layer: an observed child that no slot carries, that the answer
 * does not hold as a prerequisite and that the layer did not classify as a removal, is held (answered
 * as it is) and reported, never dropped: Metacontroller deletes every child an answer leaves out.
 * A desired child no slot carries is a bug in the layer: the sync throws (500) rather than answer
 * 200 without it (Metacontroller would delete it, or never create it).
 */
export function carryAll(
  desired: readonly KubeObject[],
  observed: ReadonlyMap<string, KubeObject>,
  slotSet: SlotSet,
  answer: readonly KubeObject[],
): { held: KubeObject[]; unclassified: string[] } {
  const carried = new Set<string>();
  for (const slot of slotSet.slots) carried.add(objectKey((slot.desired ?? slot.observed) as KubeObject));
  const lost = desired.map(objectKey).filter((key) => !carried.has(key));
  if (lost.length > 0) throw new Error(`bug: desired children no rollout slot carries: ${lost.join(', ')}`);
  const answered = new Set(answer.map(objectKey));
  const removals = new Set(slotSet.removals ?? []);
  const kept = new Set(slotSet.kept ?? []);
  const held: KubeObject[] = [];
  const unclassified: string[] = [];
  for (const [key, child] of observed) {
    if (carried.has(key) || answered.has(key) || removals.has(key)) continue;
    if (kept.has(key)) {
      held.push(heldChild(child));
      continue;
    }
    unclassified.push(key);
    // Already being deleted: answering it would not stop that, and it is no longer ours to keep.
    if (child.metadata.deletionTimestamp === undefined) held.push(heldChild(child));
  }
  return { held, unclassified };
}

/** Desired children in their order, then observed children no longer desired (removals). */
export function defaultSlots(desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>, confirmed: readonly string[]): SlotSet {
  const desiredKeys = new Set(desired.map(objectKey));
  const slots: Slot[] = desired.map((child) => ({ desired: child, observed: observed.get(objectKey(child)), method: moveMethod(child.kind) }));
  const pendingRemovals: string[] = [];
  for (const [key, child] of observed) {
    if (desiredKeys.has(key)) continue;
    if (removalNeedsConfirmation(child, confirmed)) {
      pendingRemovals.push(child.metadata.name);
      slots.push({ desired: heldChild(child), observed: child, method: moveMethod(child.kind) });
    } else {
      slots.push({ observed: child, method: moveMethod(child.kind) });
    }
  }
  return { slots, pendingRemovals };
}
