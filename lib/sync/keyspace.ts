/** sync-keyspace: a VitessKeyspace becomes one VitessShard per shard (key ranges, or `0` when unsharded). */
import { KIND as KEYSPACE_KIND, type Keyspace, KeyspaceSpec } from '../api/keyspace.ts';
import { KIND as SHARD_KIND } from '../api/shard.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ObservedParent } from '../metacontroller/request.ts';
import { vitessChild } from '../templates/vitess-child.ts';
import { shardObjectName } from '../vitess/names.ts';
import { shardSetProblems } from '../vitess/reshard.ts';
import { descendantsOf } from '../rollout/slots.ts';
import { childList, defineLayer } from './pipeline.ts';
import { keyspaceSlots } from './shard-removal.ts';
import { reshardProgress } from './reshard-progress.ts';

export const keyspaceLayer = defineLayer<Keyspace>({
  name: 'sync-keyspace',
  parentKind: KEYSPACE_KIND,
  schema: KeyspaceSpec,
  // Serving shards that overlap, or targets that are no reshard of them (lib/vitess/reshard.ts).
  problems: (spec) => shardSetProblems(spec.shards),
  children: keyspaceChildren,
  maxInFlight: (spec) => spec.rollout.shards,
  confirmRemoval: (spec) => spec.confirmRemoval,
  // Removed shards leave the topology before they leave the cluster (lib/sync/shard-removal.ts).
  // The clock: a reshard's write switches are spaced in time (lib/sync/reshard.ts).
  slots: (spec, desired, observed, now) => keyspaceSlots(spec, desired, observed, now),
  status: (spec, observed, desired, _derived, now) => {
    const { removedShards, resharding: workflow } = keyspaceSlots(spec, desired, observed, now);
    // The copy's progress and lag, as the targets' primaries report them (lib/sync/reshard-progress.ts).
    const progress = workflow === undefined ? undefined : reshardProgress(observed, spec.name, workflow.targets, workflow.workflow, now);
    const resharding = workflow === undefined ? undefined : { ...workflow, ...progress };
    const retired = spec.retire === true ? ![...observed.values()].some((child) => child.kind === SHARD_KIND) : undefined;
    return { shards: childList(desired, observed), removedShards: removedShards.length > 0 ? removedShards : undefined, resharding, retired };
  },
});

function keyspaceChildren(spec: Keyspace, parent: ObservedParent): KubeObject[] {
  const { shards, name, selector: _selector, template: _template, reshard: _reshard, retire, ...passed } = spec;
  // A retiring keyspace wants no shard: each leaves the topology, then the cluster (lib/sync/shard-removal.ts).
  if (retire === true) return [];
  return shards.map((shard) =>
    vitessChild(
      SHARD_KIND,
      { cluster: spec.cluster, cell: spec.cell, keyspace: name, shard: shard.name, template: spec.template },
      spec.selector,
      shardObjectName(parent.metadata.name, shard.name),
      {
        ...passed,
        keyspace: name,
        name: shard.name,
        keyRange: shard.keyRange,
        ...(shard.reshardTarget === true ? { reshardTarget: true } : {}),
        confirmRemoval: descendantsOf(shardObjectName(parent.metadata.name, shard.name), spec.confirmRemoval),
      },
    ),
  );
}
