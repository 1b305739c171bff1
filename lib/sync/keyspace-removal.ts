/**
 * A cell removes a keyspace from the topology after its shards (docs/decisions/0023-topology-follows-the-spec.md).
 *
 * A VitessKeyspace that left the cell's spec and may go (confirmed, or reporting no volumes) goes
 * through lib/sync/layer-removal.ts: retired (the keyspace removes every shard, each out of the
 * topology once no cell has tablets of it), then a Job deletes the keyspace's record and its
 * SrvKeyspaces, or, while another cell still has shards of it, takes it out of this cell only, this
 * cell's SrvKeyspace with it (lib/templates/topology-jobs.ts), then it is deleted.
 * Only keyspaces this cell made are touched: the name comes from the VitessKeyspace it answered.
 * A retiring cell (lib/sync/cell-removal.ts) removes every keyspace.
 */
import type { Cell } from '../api/cell.ts';
import { KeyspaceName } from '../api/common.ts';
import { KIND as KEYSPACE_KIND } from '../api/keyspace.ts';
import { asKubeObject, type KubeObject } from '../kube/object.ts';
import { defaultSlots, type SlotSet } from '../rollout/slots.ts';
import { KEYSPACE_RECORD_COMPONENT, keyspaceRecordJob, recordJobBase } from '../templates/topology-jobs.ts';
import { namedUnder, type RemovalKind, removalPlan, type RemovedChild } from './layer-removal.ts';

function keyspaceRemoval(spec: Cell): RemovalKind {
  return {
    kind: KEYSPACE_KIND,
    recordComponent: KEYSPACE_RECORD_COMPONENT,
    ownName: namedUnder('cell', spec.name, KeyspaceName),
    recordJob: (child, keyspace) =>
      asKubeObject(
        keyspaceRecordJob({
          ...recordJobBase(spec),
          scope: { cluster: spec.cluster, cell: spec.name, template: spec.template },
          keyspaceObject: child.metadata.name,
          keyspace,
        }),
      ),
    describe: (keyspace) => `DeleteKeyspace ${keyspace}`,
  };
}

export interface KeyspaceRemovalPlan extends SlotSet {
  removedKeyspaces: RemovedChild[];
}

/** The cell's slots: the usual ones, with each removed keyspace that may go taken through retire, record, delete. */
export function cellSlots(spec: Cell, desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>): KeyspaceRemovalPlan {
  // A retiring cell removes every keyspace: the cluster's removal of the cell was confirmed (or it had no volumes).
  const every = spec.retire === true ? [...observed.values()].filter((child) => child.kind === KEYSPACE_KIND).map((child) => child.metadata.name) : [];
  const base = defaultSlots(desired, observed, [...spec.confirmRemoval, ...every]);
  const removal = removalPlan(keyspaceRemoval(spec), base.slots, observed);
  return { ...base, slots: removal.slots, removals: removal.removals, kept: removal.kept, unsettled: removal.unsettled, removedKeyspaces: removal.removed };
}
