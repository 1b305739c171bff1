/**
 * How a layer removes a child layer from the topology before from the cluster
 * (docs/decisions/0023-topology-follows-the-spec.md), shared by the keyspace (its shards) and the cell
 * (its keyspaces): a removed child that may go is
 *
 * 1. answered with `retire: true`: it stops what runs below it and removes its own children's records,
 *    then reports `status.retired: true` for its current generation;
 * 2. kept beside a Job deleting its own record, `Job/<child object>-unregister` (made by the parent,
 *    from names the parent computed);
 * 3. left out with the Job once that Job completed: Metacontroller deletes it, and its PVCs with it.
 *
 * Each step is read from observed objects, so a crash or a hook restart resumes where it was.
 */
import * as v from 'valibot';
import { isRecord, type KubeObject, objectKey } from '../kube/object.ts';
import { isFailedJob, isReady } from '../kube/readiness.ts';
import { heldChild } from '../metacontroller/hold.ts';
import type { Slot } from '../rollout/planner.ts';
import { recordJobName } from '../templates/topology-jobs.ts';
import { LABEL } from '../vitess/labels.ts';
import { withRevision } from './pipeline.ts';

/** Where a removed child stands. */
export type RemovalState = 'retiring' | 'deleting-record' | 'record-deleted' | 'failed';

export interface RemovedChild {
  /** The child's object name. */
  name: string;
  /** Its Vitess name (the shard or keyspace). */
  vitessName: string;
  state: RemovalState;
  message?: string;
}

export interface RemovalKind {
  kind: string;
  /** The component label of its record Jobs. */
  recordComponent: string;
  /** The child's Vitess name when the child is this layer's to clean (its spec names it, and this parent), else undefined. */
  ownName(child: KubeObject): string | undefined;
  /** A fresh record Job for the child. */
  recordJob(child: KubeObject, vitessName: string): KubeObject;
  /** What the Job runs, for a failure message: `DeleteShards main/80-`. */
  describe(vitessName: string): string;
}

export interface RemovalPlan {
  slots: Slot[];
  kept: string[];
  removals: string[];
  unsettled: string[];
  removed: RemovedChild[];
}

/**
 * `ownName` for a child whose spec names its parent in `field` (`keyspace: main`) and itself in
 * `name`, read leniently: a child that says anything else is not this parent's to clean.
 */
export function namedUnder(field: string, parent: string, name: v.GenericSchema<unknown, string>): (child: KubeObject) => string | undefined {
  const schema = v.object({ [field]: v.literal(parent), name });
  return (child) => {
    const parsed = v.safeParse(schema, child.spec);
    return parsed.success ? (parsed.output.name as string) : undefined;
  };
}

/** The status was written for the current spec (the child's hook saw `retire`). */
function isCurrent(object: KubeObject): boolean {
  const generation = object.metadata.generation;
  const observed = (object.status as { observedGeneration?: unknown } | undefined)?.observedGeneration;
  return generation === undefined || (typeof observed === 'number' && observed >= generation);
}

export function isRetired(object: KubeObject): boolean {
  const retiring = isRecord(object.spec) && object.spec.retire === true;
  return retiring && isCurrent(object) && (object.status as { retired?: unknown } | undefined)?.retired === true;
}

/** The child as last applied, with `retire: true`. */
export function retiringChild(observed: KubeObject): KubeObject {
  const held = heldChild(observed);
  const spec = isRecord(held.spec) ? held.spec : {};
  return withRevision({ ...held, spec: { ...spec, retire: true } });
}

export function isRecordJobOf(kind: RemovalKind, object: KubeObject): boolean {
  return object.kind === 'Job' && object.metadata.labels?.[LABEL.component] === kind.recordComponent;
}

/**
 * Replaces the removal slot of each removed child of `kind` that may go (a slot with no desired
 * object: lib/rollout/slots.ts decided it may go) by its stage; record Jobs of no removed child go.
 * Every other slot is kept as it is.
 */
export function removalPlan(kind: RemovalKind, slots: readonly Slot[], observed: ReadonlyMap<string, KubeObject>): RemovalPlan {
  const plan: RemovalPlan = { slots: [], kept: [], removals: [], unsettled: [], removed: [] };
  // Record Jobs this plan answers or keeps; every other one goes (done, or its child is desired again).
  const managed = new Set<string>();
  for (const slot of slots) {
    const child = slot.observed;
    if (slot.desired === undefined && child !== undefined && isRecordJobOf(kind, child)) continue;
    const removable = slot.desired === undefined && child?.kind === kind.kind && child.metadata.deletionTimestamp === undefined;
    const vitessName = removable ? kind.ownName(child) : undefined;
    if (!removable || vitessName === undefined) {
      plan.slots.push(slot);
      continue;
    }
    const name = child.metadata.name;
    const jobKey = `Job/${recordJobName(name)}`;
    const job = observed.get(jobKey);
    if (!isRetired(child)) {
      plan.slots.push({ desired: retiringChild(child), observed: child, method: 'apply' });
      plan.removed.push({ name, vitessName, state: 'retiring' });
      continue;
    }
    if (job !== undefined && isReady(job)) {
      // Done: both leave the answer; Metacontroller deletes the child (and what it owns) and the Job.
      plan.slots.push({ observed: child, method: 'apply' });
      plan.removed.push({ name, vitessName, state: 'record-deleted' });
      continue;
    }
    plan.slots.push({ desired: heldChild(child), observed: child, method: 'apply' });
    managed.add(jobKey);
    if (job === undefined) {
      plan.slots.push({ desired: withRevision(kind.recordJob(child, vitessName)), method: 'replace' });
      plan.removed.push({ name, vitessName, state: 'deleting-record' });
    } else if (isFailedJob(job)) {
      const message = `${kind.describe(vitessName)} failed (Job ${job.metadata.name}): see its logs; delete the Job to retry`;
      // Kept outside the rollout: a failed clean-up must not hold up the layer's other children.
      plan.kept.push(jobKey);
      plan.removed.push({ name, vitessName, state: 'failed', message });
      plan.unsettled.push(message);
    } else {
      plan.slots.push({ desired: heldChild(job), observed: job, method: 'replace' });
      plan.removed.push({ name, vitessName, state: 'deleting-record' });
    }
  }
  plan.removals = [...observed.values()].filter((child) => isRecordJobOf(kind, child) && !managed.has(objectKey(child))).map(objectKey);
  return plan;
}
