/**
 * A keyspace removes a shard from the topology after its tablets (docs/decisions/0023-topology-follows-the-spec.md).
 *
 * A VitessShard that left the spec and may go (confirmed in `confirmRemoval`, or reporting no volumes:
 * lib/rollout/slots.ts) is not deleted at once. Its keyspace
 *
 * 1. answers it with `retire: true`: the shard stops its tablets and deletes their records
 *    (lib/sync/tablet-records.ts), then reports `status.retired: true`;
 * 2. answers, beside the retired shard, a Job deleting the shard's record (DeleteShards) and
 *    rebuilding the keyspace's serving graph (lib/templates/topology-jobs.ts);
 * 3. once that Job completed, leaves both out: Metacontroller deletes the VitessShard, and with it
 *    (ownerReferences) its PVCs.
 *
 * Every step is read from observed objects, so a crash or a restart of the hook resumes where it
 * was. Only shards this keyspace made are touched: the shard's name comes from the VitessShard it
 * answered (whose keyspace must be this one), never from a record found in the topology.
 */
import * as v from 'valibot';
import type { Keyspace } from '../api/keyspace.ts';
import { KIND as SHARD_KIND } from '../api/shard.ts';
import { asKubeObject, isRecord, type KubeObject, objectKey } from '../kube/object.ts';
import { isFailedJob, isReady } from '../kube/readiness.ts';
import { heldChild } from '../metacontroller/hold.ts';
import type { Slot } from '../rollout/planner.ts';
import { defaultSlots, type SlotSet } from '../rollout/slots.ts';
import { SHARD_RECORD_COMPONENT, shardRecordJob, shardRecordJobName } from '../templates/topology-jobs.ts';
import { LABEL } from '../vitess/labels.ts';
import { withRevision } from './pipeline.ts';
import { isReshardJob, reshardPlan, type ReshardStatus } from './reshard.ts';

/** Where a removed shard stands. */
export type ShardRemovalState = 'retiring' | 'deleting-record' | 'record-deleted' | 'failed';

export interface RemovedShard {
  name: string;
  shard: string;
  state: ShardRemovalState;
  message?: string;
}

/** What a removed VitessShard says about itself, read leniently: anything unreadable is not ours to clean. */
const ObservedShard = v.object({ keyspace: v.string(), name: v.pipe(v.string(), v.regex(/^(0|[0-9a-fA-F]*-[0-9a-fA-F]*)$/)), retire: v.optional(v.literal(true)) });

function observedShard(object: KubeObject): v.InferOutput<typeof ObservedShard> | undefined {
  const parsed = v.safeParse(ObservedShard, object.spec);
  return parsed.success ? parsed.output : undefined;
}

/** The status was written for the current spec (the shard's hook saw `retire`). */
function isCurrent(object: KubeObject): boolean {
  const generation = object.metadata.generation;
  const observed = (object.status as { observedGeneration?: unknown } | undefined)?.observedGeneration;
  return generation === undefined || (typeof observed === 'number' && observed >= generation);
}

function isRetired(object: KubeObject): boolean {
  return isCurrent(object) && (object.status as { retired?: unknown } | undefined)?.retired === true;
}

/** The VitessShard as last applied, with `retire: true`. */
function retiringShard(observed: KubeObject): KubeObject {
  const held = heldChild(observed);
  const spec = isRecord(held.spec) ? held.spec : {};
  return withRevision({ ...held, spec: { ...spec, retire: true } });
}

function isShardRecordJob(object: KubeObject): boolean {
  return object.kind === 'Job' && object.metadata.labels?.[LABEL.component] === SHARD_RECORD_COMPONENT;
}

export interface ShardRemovalPlan extends SlotSet {
  removedShards: RemovedShard[];
  resharding?: ReshardStatus;
}

/**
 * The keyspace's slots: the usual ones (lib/rollout/slots.ts), with each removed shard that may go
 * taken through retire, record, delete; shard record Jobs of no removed shard are dropped.
 */
export function keyspaceSlots(spec: Keyspace, desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>): ShardRemovalPlan {
  // The reshard first: it may retire sources, release cancelled targets, or hold targets that serve.
  const reshard = reshardPlan(spec, observed);
  const base = defaultSlots(desired, observed, [...spec.confirmRemoval, ...reshard.released]);
  const slots: Slot[] = [];
  const removedShards: RemovedShard[] = [];
  const unsettled: string[] = [];
  const kept: string[] = [];
  // Record Jobs this plan answers or keeps; every other one goes (done, or its shard is desired again).
  const managedJobs = new Set<string>();
  for (const slot of base.slots) {
    const shard = slot.observed;
    if (slot.desired === undefined && shard !== undefined && isReshardJob(shard)) continue;
    if (shard?.kind === SHARD_KIND && reshard.held.includes(shard.metadata.name)) {
      slots.push({ desired: heldChild(shard), observed: shard, method: 'apply' });
      continue;
    }
    if (slot.desired !== undefined && shard?.kind === SHARD_KIND && reshard.retire.has(shard.metadata.name)) {
      // A source of a completed reshard: its tablets stop and their records go; its PVCs stay.
      slots.push({ desired: retiringShard(shard), observed: shard, method: 'apply' });
      continue;
    }
    const removable = slot.desired === undefined && shard?.kind === SHARD_KIND && shard.metadata.deletionTimestamp === undefined;
    const record = removable ? observedShard(shard) : undefined;
    if (!removable || record === undefined || record.keyspace !== spec.name) {
      if (slot.desired === undefined && slot.observed !== undefined && isShardRecordJob(slot.observed)) continue;
      slots.push(slot);
      continue;
    }
    const jobKey = `Job/${shardRecordJobName(shard.metadata.name)}`;
    const job = observed.get(jobKey);
    if (!isRetired(shard) || record.retire !== true) {
      slots.push({ desired: retiringShard(shard), observed: shard, method: 'apply' });
      removedShards.push({ name: shard.metadata.name, shard: record.name, state: 'retiring' });
      continue;
    }
    if (job !== undefined && isReady(job)) {
      // Done: both leave the answer; Metacontroller deletes the shard (and its PVCs) and the Job.
      slots.push({ observed: shard, method: 'apply' });
      removedShards.push({ name: shard.metadata.name, shard: record.name, state: 'record-deleted' });
      continue;
    }
    slots.push({ desired: heldChild(shard), observed: shard, method: 'apply' });
    managedJobs.add(jobKey);
    if (job === undefined) {
      const fresh = shardRecordJob({
        scope: { cluster: spec.cluster, cell: spec.cell, keyspace: spec.name, template: spec.template },
        shardObject: shard.metadata.name,
        shard: record.name,
        image: spec.images.vitess,
        vtctldAddress: spec.vtctldAddress,
        tls: spec.tls,
      });
      slots.push({ desired: withRevision(asKubeObject(fresh)), method: 'replace' });
      removedShards.push({ name: shard.metadata.name, shard: record.name, state: 'deleting-record' });
    } else if (isFailedJob(job)) {
      const message = `DeleteShards ${spec.name}/${record.name} failed (Job ${job.metadata.name}): see its logs; delete the Job to retry`;
      // Kept outside the rollout: a failed clean-up must not hold up the keyspace's other shards.
      kept.push(jobKey);
      removedShards.push({ name: shard.metadata.name, shard: record.name, state: 'failed', message });
      unsettled.push(message);
    } else {
      slots.push({ desired: heldChild(job), observed: job, method: 'replace' });
      removedShards.push({ name: shard.metadata.name, shard: record.name, state: 'deleting-record' });
    }
  }
  slots.push(...reshard.slots);
  const removals = [...observed.values()]
    .filter((child) => (isShardRecordJob(child) && !managedJobs.has(objectKey(child))) || (isReshardJob(child) && !reshard.managed.has(objectKey(child))))
    .map(objectKey);
  return { ...base, slots, removals, kept: [...kept, ...reshard.kept], unsettled: [...unsettled, ...reshard.unsettled], removedShards, resharding: reshard.status };
}
