/**
 * The cluster removes a cell from the topology after its keyspaces (docs/decisions/0023-topology-follows-the-spec.md).
 *
 * A VitessCell that left the cluster's spec and may go (confirmed, or reporting no volumes) goes
 * through lib/sync/layer-removal.ts: retired (the cell removes every keyspace, each out of the cell's
 * serving graph, its SrvKeyspace there deleted, and keeps its topology etcd and vtctld running), then
 * a Job deletes the cell's SrvVSchema and CellInfo (lib/templates/topology-jobs.ts), then it is
 * deleted, its etcd with it. Only cells this cluster made are touched: the name and topology root come
 * from the VitessCell it answered, and the Job leaves a CellInfo with another root alone. The `global`
 * cell is no Vitess cell (it is not registered): it is removed as before.
 */
import * as v from 'valibot';
import { KIND as CELL_KIND } from '../api/cell.ts';
import type { Cluster } from '../api/cluster.ts';
import { DnsLabel } from '../api/common.ts';
import { GLOBAL_CELL, vtctldAddress } from '../api/resolve.ts';
import { asKubeObject, type KubeObject } from '../kube/object.ts';
import { defaultSlots, type SlotSet } from '../rollout/slots.ts';
import { CELL_RECORD_COMPONENT, cellRecordJob } from '../templates/topology-jobs.ts';
import { type RemovalKind, removalPlan, type RemovedChild } from './layer-removal.ts';

/** What a removed VitessCell must say of itself to be cleaned, read leniently. */
function observedCell(cluster: string, child: KubeObject): { name: string; root: string; image: string } | undefined {
  const schema = v.object({ cluster: v.literal(cluster), name: DnsLabel, topology: v.object({ cell: v.object({ root: v.pipe(v.string(), v.minLength(1)) }) }), images: v.object({ vitess: v.string() }) });
  const parsed = v.safeParse(schema, child.spec);
  if (!parsed.success || parsed.output.name === GLOBAL_CELL) return undefined;
  return { name: parsed.output.name, root: parsed.output.topology.cell.root, image: parsed.output.images.vitess };
}

function cellRemoval(spec: Cluster, cluster: string): RemovalKind {
  return {
    kind: CELL_KIND,
    recordComponent: CELL_RECORD_COMPONENT,
    ownName: (child) => observedCell(cluster, child)?.name,
    recordJob: (child, cell) => {
      // ownName read it: the cell is ours and states its root and image.
      const { root, image } = observedCell(cluster, child) as { root: string; image: string };
      return asKubeObject(
        cellRecordJob({
          scope: { cluster, cell, template: spec.template },
          cellObject: child.metadata.name,
          root,
          image,
          // The cluster's vtctld as the spec has it now (problems() made sure there is one).
          vtctldAddress: vtctldAddress(spec, cluster) as string,
          ...(spec.tls === undefined ? {} : { tls: spec.tls }),
        }),
      );
    },
    describe: (cell) => `DeleteCellInfo ${cell}`,
  };
}

export interface CellRemovalPlan extends SlotSet {
  removedCells: RemovedChild[];
}

/** The cluster's slots: the usual ones, with each removed cell that may go taken through retire, record, delete. */
export function clusterSlots(spec: Cluster, cluster: string, desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>): CellRemovalPlan {
  const base = defaultSlots(desired, observed, spec.confirmRemoval ?? []);
  const removal = removalPlan(cellRemoval(spec, cluster), base.slots, observed);
  return { ...base, slots: removal.slots, removals: removal.removals, kept: removal.kept, unsettled: removal.unsettled, removedCells: removal.removed };
}
