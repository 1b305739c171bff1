/**
 * A cell removes a keyspace from the topology after its shards (docs/decisions/0023-topology-follows-the-spec.md).
 *
 * A VitessKeyspace that left the cell's spec and may go (confirmed, or reporting no volumes) goes
 * through lib/sync/layer-removal.ts: retired (the keyspace removes every shard, each out of this
 * cell's serving graph and, once no cell has tablets of it, out of the topology), then a Job deletes
 * the keyspace's record and its SrvKeyspaces (lib/templates/topology-jobs.ts; while another cell
 * still has shards of it, the keyspace lives on there and the Job leaves it), then it is deleted.
 * Only keyspaces this cell made are touched: the name comes from the VitessKeyspace it answered.
 */
import * as v from 'valibot';
import type { Cell } from '../api/cell.ts';
import { KIND as KEYSPACE_KIND } from '../api/keyspace.ts';
import { asKubeObject, type KubeObject } from '../kube/object.ts';
import { defaultSlots, type SlotSet } from '../rollout/slots.ts';
import { KEYSPACE_RECORD_COMPONENT, keyspaceRecordJob, keyspaceRecordJobName } from '../templates/topology-jobs.ts';
import { type RemovalKind, removalPlan, type RemovedChild } from './layer-removal.ts';

const ObservedKeyspace = v.object({ cell: v.string(), name: v.pipe(v.string(), v.minLength(1)) });

function keyspaceRemoval(spec: Cell): RemovalKind {
  return {
    kind: KEYSPACE_KIND,
    recordComponent: KEYSPACE_RECORD_COMPONENT,
    recordJobName: keyspaceRecordJobName,
    ownName: (child) => {
      const parsed = v.safeParse(ObservedKeyspace, child.spec);
      return parsed.success && parsed.output.cell === spec.name ? parsed.output.name : undefined;
    },
    recordJob: (child, keyspace) =>
      asKubeObject(
        keyspaceRecordJob({
          scope: { cluster: spec.cluster, cell: spec.name, template: spec.template },
          keyspaceObject: child.metadata.name,
          keyspace,
          image: spec.images.vitess,
          vtctldAddress: spec.vtctldAddress,
          tls: spec.tls,
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
  const base = defaultSlots(desired, observed, spec.confirmRemoval);
  const removal = removalPlan(keyspaceRemoval(spec), base.slots, observed);
  return { ...base, slots: removal.slots, removals: removal.removals, kept: removal.kept, unsettled: removal.unsettled, removedKeyspaces: removal.removed };
}
