/**
 * sync-shard: a VitessShard becomes its tablets, each a Pod and a PVC of the same name, and the
 * short-lived PlannedReparentShard Jobs its rollout needs.
 *
 * Rollout order is rdonly, then replica (primary-eligible). A tablet restarts by leaving its Pod out
 * of the answer (the PVC stays) and is recreated from the new template on the next sync. A replica
 * tablet restarts or goes away only after a reparent Job for it completed, so the primary moves last.
 * A PVC is never changed once created, and outlives its tablet unless `volumeRetention` is Delete.
 */
import { type Shard, ShardSpec } from '../api/shard.ts';
import { LABEL } from '../vitess/labels.ts';
import { asKubeObject, asKubeObjects, type KubeObject, objectKey } from '../kube/object.ts';
import { isFailedJob, isReady } from '../kube/readiness.ts';
import { heldChild } from '../metacontroller/hold.ts';
import { type Gate, revisionOf, type Slot } from '../rollout/planner.ts';
import type { SlotSet } from '../rollout/slots.ts';
import { REPARENT_FOR_ANNOTATION, reparentJob } from '../templates/reparent-job.ts';
import { type TabletIdentity, type TabletScope, tabletPod, tabletVolumeClaim } from '../templates/tablet.ts';
import { reparentJobName, tabletName } from '../vitess/names.ts';
import { MAX_TABLETS_PER_TYPE, poolUids, tabletAlias, TABLET_TYPES, type TabletType, tabletUid } from '../vitess/tablets.ts';
import { defineLayer, type LayerDefinition, withRevision } from './pipeline.ts';

/** The reparent Job of a tablet that is going away, rather than restarting. */
const FOR_REMOVAL = 'removal';

export const shardDefinition: LayerDefinition<Shard, TabletIdentity[]> = {
  name: 'sync-shard',
  parentKind: 'VitessShard',
  schema: ShardSpec,
  // The tablets the spec asks for, rdonly first: children, slots and status share this one list.
  derive: desiredTablets,
  problems: () => [],
  children: (spec, _parent, tablets) => {
    const scope = shardScope(spec);
    return tablets.flatMap((tablet) => {
      const pool = spec.tablets[tablet.type];
      return asKubeObjects([tabletPod(scope, tablet, pool), tabletVolumeClaim(scope, tablet, pool)]);
    });
  },
  maxInFlight: (spec) => spec.rollout.tablets,
  confirmRemoval: (spec) => spec.confirmRemoval,
  slots: tabletSlots,
  status: (spec, observed, _desired, tablets) => {
    const desiredNames = new Set(tablets.map((tablet) => tablet.name));
    return {
      tablets: tablets.map((tablet) => {
        const pod = observed.get(`Pod/${tablet.name}`);
        return { alias: tabletAlias(spec.cell, tablet.uid), type: tablet.type, name: tablet.name, ready: pod !== undefined && isReady(pod) };
      }),
      retainedVolumes: [...observed.values()].filter((child) => child.kind === 'PersistentVolumeClaim' && !desiredNames.has(child.metadata.name)).map((pvc) => pvc.metadata.name),
      reparent: canReparent(spec, observed) ? undefined : 'skipped: the shard has one primary-eligible tablet, so restarting it is an outage of the shard',
    };
  },
};

export const shardLayer = defineLayer(shardDefinition);

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
    poolUids(spec.cell, spec.keyspace, spec.name, type, spec.tablets[type].replicas).map((uid) => ({ name: tabletName(spec.cluster, spec.cell, uid), uid, type })),
  );
}

function tabletTypeOf(object: KubeObject): TabletType | undefined {
  const type = object.metadata.labels?.[LABEL.tabletType];
  return type === 'replica' || type === 'rdonly' ? type : undefined;
}

/**
 * The pool a tablet object belongs to by identity: the pool whose UID range holds its
 * `vitess.io/tablet-uid` (UIDs are hashed per cell/keyspace/shard/type, lib/vitess/tablets.ts).
 */
function identityTypeOf(spec: Shard, object: KubeObject): TabletType | undefined {
  const uid = Number(object.metadata.labels?.[LABEL.tabletUid]);
  if (!Number.isInteger(uid)) return undefined;
  return TABLET_TYPES.find((type) => {
    const base = tabletUid(spec.cell, spec.keyspace, spec.name, type, 0);
    return uid >= base && uid < base + MAX_TABLETS_PER_TYPE;
  });
}

/**
 * A Pod that may be primary-eligible: its type label or its identity says replica. When the two
 * disagree (a relabelled Pod), the tablet is treated as a replica: a reparent away from a tablet
 * that is not the primary is a no-op, a restart of the primary without one is an outage.
 */
function mayBePrimary(spec: Shard, pod: KubeObject | undefined, identity?: TabletType): boolean {
  if (pod === undefined) return identity === 'replica';
  return tabletTypeOf(pod) === 'replica' || (identity ?? identityTypeOf(spec, pod)) === 'replica';
}

function replicaPods(spec: Shard, observed: ReadonlyMap<string, KubeObject>): KubeObject[] {
  // Held unclassified Pods count too: a reparent may move the primary to any tablet that runs.
  return [...observed.values()].filter((child) => child.kind === 'Pod' && mayBePrimary(spec, child));
}

/** A reparent is possible (and needed) when another primary-eligible tablet exists or is asked for. */
function canReparent(spec: Shard, observed: ReadonlyMap<string, KubeObject>): boolean {
  return Math.max(spec.tablets.replica.replicas, replicaPods(spec, observed).length) > 1;
}

/**
 * Slots per tablet type, in rollout order: each desired tablet (Pod, then PVC), then the tablets of
 * that type going away. Existing PVCs are held as they are; retained ones stay in the answer.
 */
function tabletSlots(spec: Shard, desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>, tablets: readonly TabletIdentity[]): SlotSet {
  const desiredByKey = new Map(desired.map((child) => [objectKey(child), child]));
  const needsReparent = canReparent(spec, observed);
  // `desiredType`: the pool a desired tablet is in; a removed tablet's pool is read from its identity.
  const gateFor = (tablet: TabletIdentity, pod: KubeObject | undefined, forRevision: string, desiredType?: TabletType): Gate | undefined =>
    needsReparent && mayBePrimary(spec, pod, desiredType) ? reparentGate(spec, tablet, forRevision, observed) : undefined;
  const slots: Slot[] = [];
  for (const type of TABLET_TYPES) {
    for (const tablet of tablets.filter((t) => t.type === type)) {
      const pod = desiredByKey.get(`Pod/${tablet.name}`) as KubeObject;
      const observedPod = observed.get(`Pod/${tablet.name}`);
      const outdated = observedPod !== undefined && revisionOf(observedPod) !== revisionOf(pod);
      slots.push({ desired: pod, observed: observedPod, method: 'replace', gate: outdated ? gateFor(tablet, observedPod, revisionOf(pod) ?? '', tablet.type) : undefined });
      const observedClaim = observed.get(`PersistentVolumeClaim/${tablet.name}`);
      // A PVC's spec is immutable but for its size: once created, it is answered as it is.
      const claim = observedClaim === undefined ? (desiredByKey.get(`PersistentVolumeClaim/${tablet.name}`) as KubeObject) : heldChild(observedClaim);
      slots.push({ desired: claim, observed: observedClaim, method: 'apply' });
    }
    for (const child of observed.values()) {
      if (tabletTypeOf(child) !== type || desiredByKey.has(objectKey(child))) continue;
      if (child.kind === 'Pod') {
        slots.push({ observed: child, method: 'replace', gate: gateFor(removedTablet(child, type), child, FOR_REMOVAL) });
      } else if (child.kind === 'PersistentVolumeClaim') {
        const podGone = !observed.has(`Pod/${child.metadata.name}`);
        const deleteIt = spec.tablets.volumeRetention === 'Delete' && podGone;
        slots.push(deleteIt ? { observed: child, method: 'apply' } : { desired: heldChild(child), observed: child, method: 'apply' });
      }
    }
  }
  // Reparent Jobs no gate answers are obsolete (done, or made for another revision): they go.
  // Every other observed child no slot carries (a tablet whose type label is missing or foreign,
  // a kind we do not make here) is held by the pipeline's general rule and reported unclassified.
  const removals = [...observed.values()].filter((child) => child.kind === 'Job').map(objectKey);
  return { slots, pendingRemovals: [], removals };
}

function removedTablet(pod: KubeObject, type: TabletType): TabletIdentity {
  return { name: pod.metadata.name, uid: Number(pod.metadata.labels?.[LABEL.tabletUid] ?? 0), type };
}

/**
 * The gate of a replica tablet: a completed `PlannedReparentShard --avoid-primary` Job made for this
 * very change (its target revision). A Job made for another revision is stale and replaced first.
 */
function reparentGate(spec: Shard, tablet: TabletIdentity, forRevision: string, observed: ReadonlyMap<string, KubeObject>): Gate {
  const alias = tabletAlias(spec.cell, tablet.uid);
  const name = reparentJobName(tablet.name);
  const job = observed.get(`Job/${name}`);
  if (job === undefined) {
    const fresh = withRevision(asKubeObject(reparentJob(shardScope(spec), tablet, alias, spec.images.vitess, spec.vtctldAddress, forRevision)));
    return { state: 'pending', prerequisites: [fresh], message: `waiting for PlannedReparentShard away from ${alias} (Job ${name})` };
  }
  if (job.metadata.annotations?.[REPARENT_FOR_ANNOTATION] !== forRevision) {
    return { state: 'pending', prerequisites: [], message: `replacing the stale reparent Job ${name}` };
  }
  if (isFailedJob(job)) {
    return { state: 'failed', prerequisites: [heldChild(job)], message: `PlannedReparentShard away from ${alias} failed (Job ${name}): fix the cause, then delete the Job to retry` };
  }
  if (isReady(job)) return { state: 'open', prerequisites: [heldChild(job)], message: '' };
  return { state: 'pending', prerequisites: [heldChild(job)], message: `waiting for PlannedReparentShard away from ${alias} (Job ${name})` };
}
