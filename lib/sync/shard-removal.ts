/**
 * A keyspace removes a shard from the topology after its tablets (docs/decisions/0023-topology-follows-the-spec.md).
 *
 * A VitessShard that left the spec and may go (confirmed in `confirmRemoval`, or reporting no volumes:
 * lib/rollout/slots.ts) goes through lib/sync/layer-removal.ts: retired (the shard stops its tablets
 * and deletes their records, lib/sync/tablet-records.ts), then a Job takes it out of the cell's
 * serving graph and deletes its record (lib/templates/topology-jobs.ts), then it is deleted with its
 * PVCs. Only shards this keyspace made are touched: the shard's name comes from the VitessShard it
 * answered (whose keyspace must be this one), never from a record found in the topology.
 *
 * The keyspace's reshard (lib/sync/reshard.ts) comes first: it retires the sources of a completed
 * reshard, lets cancelled targets go, and holds targets that serve. A retiring keyspace removes every
 * shard.
 */
import * as v from 'valibot';
import type { Keyspace } from '../api/keyspace.ts';
import { KIND as SHARD_KIND } from '../api/shard.ts';
import { asKubeObject, type KubeObject } from '../kube/object.ts';
import { heldChild } from '../metacontroller/hold.ts';
import type { Slot } from '../rollout/planner.ts';
import { defaultSlots, type SlotSet } from '../rollout/slots.ts';
import { recordJobBase, SHARD_RECORD_COMPONENT, shardRecordJob } from '../templates/topology-jobs.ts';
import { namedUnder, type RemovalKind, removalPlan, type RemovalState, retiringChild } from './layer-removal.ts';
import { isReshardJob, reshardPlan, type ReshardStatus } from './reshard.ts';

export interface RemovedShard {
  name: string;
  shard: string;
  state: RemovalState;
  message?: string;
}

/** A shard name as a removed VitessShard states it: anything else is not ours to clean. */
const SHARD_NAME = v.pipe(v.string(), v.regex(/^(0|[0-9a-fA-F]*-[0-9a-fA-F]*)$/));

function shardRemoval(spec: Keyspace): RemovalKind {
  return {
    kind: SHARD_KIND,
    recordComponent: SHARD_RECORD_COMPONENT,
    ownName: namedUnder('keyspace', spec.name, SHARD_NAME),
    recordJob: (child, shard) =>
      asKubeObject(
        shardRecordJob({
          ...recordJobBase(spec),
          scope: { cluster: spec.cluster, cell: spec.cell, keyspace: spec.name, template: spec.template },
          shardObject: child.metadata.name,
          shard,
          // A retiring keyspace leaves the cell whole: its own Job takes every shard out of the cell's serving graph.
          removeFromCell: spec.retire !== true,
        }),
      ),
    describe: (shard) => `DeleteShards ${spec.name}/${shard}`,
  };
}

export interface ShardRemovalPlan extends SlotSet {
  removedShards: RemovedShard[];
  resharding?: ReshardStatus;
}

/**
 * The keyspace's slots: the usual ones (lib/rollout/slots.ts), the reshard's, and each removed shard
 * that may go taken through retire, record, delete.
 */
export function keyspaceSlots(spec: Keyspace, desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>, now: Date): ShardRemovalPlan {
  const retiring = spec.retire === true;
  const reshard = reshardPlan(spec, observed, now);
  const every = retiring ? [...observed.values()].filter((child) => child.kind === SHARD_KIND).map((child) => child.metadata.name) : [];
  const base = defaultSlots(desired, observed, [...spec.confirmRemoval, ...reshard.released, ...every]);
  const slots: Slot[] = [];
  for (const slot of base.slots) {
    const shard = slot.observed;
    if (slot.desired === undefined && shard !== undefined && isReshardJob(shard)) continue;
    if (shard?.kind === SHARD_KIND && reshard.held.includes(shard.metadata.name)) {
      slots.push({ desired: heldChild(shard), observed: shard, method: 'apply' });
    } else if (slot.desired !== undefined && shard?.kind === SHARD_KIND && reshard.retire.has(shard.metadata.name)) {
      // A source of a completed reshard: its tablets stop and their records go; its PVCs stay.
      slots.push({ desired: retiringChild(shard), observed: shard, method: 'apply' });
    } else {
      slots.push(slot);
    }
  }
  const removal = removalPlan(shardRemoval(spec), slots, observed);
  const reshardRemovals = [...observed.values()].filter((child) => isReshardJob(child) && !reshard.managed.has(`Job/${child.metadata.name}`)).map((child) => `Job/${child.metadata.name}`);
  return {
    ...base,
    slots: [...removal.slots, ...reshard.slots],
    removals: [...removal.removals, ...reshardRemovals],
    kept: [...removal.kept, ...reshard.kept],
    unsettled: [...removal.unsettled, ...reshard.unsettled],
    removedShards: removal.removed.map(({ name, vitessName, state, message }) => ({ name, shard: vitessName, state, message })),
    resharding: reshard.status,
  };
}
