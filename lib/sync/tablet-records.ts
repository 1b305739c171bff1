/**
 * A shard's removed tablets leave the topology (docs/decisions/0023-topology-follows-the-spec.md).
 *
 * A tablet the spec no longer asks for (a pool shrank, or the whole shard is retiring) keeps its record
 * in the topology after its Pod is gone: vttablet never deletes its own. Once the Pod is gone, the
 * shard answers a DeleteTablets Job for it (lib/templates/topology-jobs.ts), and its PVC leaves (under
 * `volumeRetention: Delete`) only after that Job completed, so the PVC is the shard's memory of the
 * tablet until then. Under `Retain` the completed Job stays beside the retained PVC as the record that
 * the work is done; it goes with the PVC.
 *
 * Only tablets the operator made are touched: a tablet is known by its `vitess.io/tablet-uid` label,
 * which must lie in one of this shard's UID ranges (lib/vitess/tablets.ts) and give back the object's
 * own name; the alias deleted is computed from it. A tablet restarted by a rollout is desired, so it
 * has no Job; a Job of a tablet that is desired again, or whose Pod is back, is obsolete and goes.
 */
import type { Shard } from '../api/shard.ts';
import { asKubeObject, type KubeObject, objectKey } from '../kube/object.ts';
import { isFailedJob, isReady } from '../kube/readiness.ts';
import { heldChild } from '../metacontroller/hold.ts';
import type { Slot } from '../rollout/planner.ts';
import { TABLET_RECORD_COMPONENT, tabletRecordJob, tabletRecordJobName } from '../templates/topology-jobs.ts';
import type { TabletIdentity } from '../templates/tablet.ts';
import { LABEL } from '../vitess/labels.ts';
import { tabletName } from '../vitess/names.ts';
import { poolOfUid, tabletAlias } from '../vitess/tablets.ts';
import { withRevision } from './pipeline.ts';

/** Where a removed tablet's record stands. */
export type RecordState = 'tablet-stopping' | 'deleting' | 'deleted' | 'failed';

export interface RemovedTablet {
  name: string;
  alias: string;
  record: RecordState;
  /** For `failed`: what to do. */
  message?: string;
}

export interface RecordPlan {
  /** Record Jobs to create or wait for (they take a place in the rollout, as the tablet's removal did). */
  slots: Slot[];
  /** Completed or failed record Jobs answered as they are, outside the rollout. */
  kept: string[];
  /** Removed tablets whose record is deleted: their PVCs may follow volumeRetention. */
  recordDeleted: ReadonlySet<string>;
  removed: RemovedTablet[];
  /** Failed Jobs, for the Updated condition. */
  unsettled: string[];
}

/** A removed tablet known from one of its objects: its Pod, its PVC, or its record Job. */
function tabletOf(spec: Shard, object: KubeObject): TabletIdentity | undefined {
  const uid = Number(object.metadata.labels?.[LABEL.tabletUid]);
  const type = poolOfUid(spec.cell, spec.keyspace, spec.name, uid);
  if (type === undefined) return undefined;
  const name = tabletName(spec.cluster, spec.cell, uid);
  const own = object.kind === 'Job' ? tabletRecordJobName(name) : name;
  return object.metadata.name === own ? { name, uid, type } : undefined;
}

function isRecordJob(object: KubeObject): boolean {
  return object.kind === 'Job' && object.metadata.labels?.[LABEL.component] === TABLET_RECORD_COMPONENT;
}

/** The removed tablets this shard made, by name, from the observed Pods, PVCs and record Jobs. */
function removedTablets(spec: Shard, desired: ReadonlySet<string>, observed: ReadonlyMap<string, KubeObject>): TabletIdentity[] {
  const found = new Map<string, TabletIdentity>();
  for (const child of observed.values()) {
    if (child.kind !== 'Pod' && child.kind !== 'PersistentVolumeClaim' && !isRecordJob(child)) continue;
    const tablet = tabletOf(spec, child);
    if (tablet !== undefined && !desired.has(tablet.name)) found.set(tablet.name, tablet);
  }
  return [...found.values()].sort((a, b) => a.uid - b.uid);
}

export function tabletRecordPlan(spec: Shard, desired: ReadonlySet<string>, observed: ReadonlyMap<string, KubeObject>): RecordPlan {
  const plan: RecordPlan = { slots: [], kept: [], recordDeleted: new Set<string>(), removed: [], unsettled: [] };
  const deleted = new Set<string>();
  for (const tablet of removedTablets(spec, desired, observed)) {
    const alias = tabletAlias(spec.cell, tablet.uid);
    const job = observed.get(`Job/${tabletRecordJobName(tablet.name)}`);
    const pod = observed.get(`Pod/${tablet.name}`);
    const claim = observed.get(`PersistentVolumeClaim/${tablet.name}`);
    // While the Pod runs (or its deletion is under way) the tablet is not gone; a Job seen now was
    // made before this Pod (it is obsolete: the pipeline's rule drops every Job no one keeps).
    if (pod !== undefined) {
      plan.removed.push({ name: tablet.name, alias, record: 'tablet-stopping' });
      continue;
    }
    if (job === undefined) {
      // Nothing left of the tablet: its record went with an earlier Job.
      if (claim === undefined) continue;
      const fresh = withRevision(asKubeObject(tabletRecordJob({ scope: scopeOf(spec), tablet, alias, image: spec.images.vitess, vtctldAddress: spec.vtctldAddress, tls: spec.tls, allowPrimary: spec.retire === true })));
      plan.slots.push({ desired: fresh, method: 'replace' });
      plan.removed.push({ name: tablet.name, alias, record: 'deleting' });
    } else if (isReady(job)) {
      deleted.add(tablet.name);
      // Kept beside a retained PVC as the record of the work done; with the PVC gone it goes too.
      if (claim !== undefined) plan.kept.push(objectKey(job));
      plan.removed.push({ name: tablet.name, alias, record: 'deleted' });
    } else if (isFailedJob(job)) {
      plan.kept.push(objectKey(job));
      const message = `DeleteTablets ${alias} failed (Job ${job.metadata.name}): see its logs; delete the Job to retry`;
      plan.removed.push({ name: tablet.name, alias, record: 'failed', message });
      plan.unsettled.push(message);
    } else {
      plan.slots.push({ desired: heldChild(job), observed: job, method: 'replace' });
      plan.removed.push({ name: tablet.name, alias, record: 'deleting' });
    }
  }
  return { ...plan, recordDeleted: deleted };
}

function scopeOf(spec: Shard): { cluster: string; cell: string; keyspace: string; shard: string; template: Shard['template'] } {
  return { cluster: spec.cluster, cell: spec.cell, keyspace: spec.keyspace, shard: spec.name, template: spec.template };
}

/** A retiring shard is done once none of its tablets runs and every record it knows of is deleted. */
export function isRetired(observed: ReadonlyMap<string, KubeObject>, plan: RecordPlan): boolean {
  const podsLeft = [...observed.values()].some((child) => child.kind === 'Pod');
  return !podsLeft && plan.removed.every((tablet) => tablet.record === 'deleted');
}
