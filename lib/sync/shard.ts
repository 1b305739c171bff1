/**
 * sync-shard: a VitessShard becomes its tablets, each a Pod and a PVC of the same name.
 * Tablets are listed rdonly first, then replica: the order in which a rollout moves them.
 */
import { type Shard, ShardSpec } from '../api/shard.ts';
import { asKubeObjects, type KubeObject } from '../kube/object.ts';
import { isReady } from '../kube/readiness.ts';
import { type TabletIdentity, type TabletScope, tabletPod, tabletVolumeClaim } from '../templates/tablet.ts';
import { tabletName } from '../vitess/names.ts';
import { tabletAlias, TABLET_TYPES, tabletUid } from '../vitess/tablets.ts';
import { defineLayer } from './pipeline.ts';

export const shardLayer = defineLayer<Shard>({
  name: 'sync-shard',
  parentKind: 'VitessShard',
  schema: ShardSpec,
  problems: () => [],
  children: (spec) => {
    const scope = shardScope(spec);
    return desiredTablets(spec).flatMap((tablet) => {
      const pool = spec.tablets[tablet.type];
      return asKubeObjects([tabletPod(scope, tablet, pool), tabletVolumeClaim(scope, tablet, pool)]);
    });
  },
  status: (spec, observed) => ({
    tablets: desiredTablets(spec).map((tablet) => {
      const pod = observed.get(`Pod/${tablet.name}`);
      return { alias: tabletAlias(spec.cell, tablet.uid), type: tablet.type, name: tablet.name, ready: pod !== undefined && isReady(pod) };
    }),
  }),
});

function shardScope(spec: Shard): TabletScope {
  return {
    cluster: spec.cluster,
    cell: spec.cell,
    keyspace: spec.keyspace,
    shard: spec.name,
    template: spec.template,
    topology: spec.topology,
    backupFlags: spec.backupFlags,
  };
}

/** The tablets the spec asks for, rdonly first. */
export function desiredTablets(spec: Shard): TabletIdentity[] {
  return TABLET_TYPES.flatMap((type) =>
    Array.from({ length: spec.tablets[type].replicas }, (_, index) => {
      const uid = tabletUid(spec.cell, spec.keyspace, spec.name, type, index);
      return { name: tabletName(spec.cluster, spec.cell, uid), uid, type };
    }),
  );
}

