/**
 * sync-shard: a VitessShard becomes its tablets, each a Pod and a PVC of the same name, and the
 * short-lived PlannedReparentShard Jobs its rollout needs.
 *
 * A tablet restarts by leaving its Pod out of the answer (the PVC stays) and is recreated from the new
 * template on the next sync. With the Vitess state fresh (lib/vitess/state.ts, docs/decisions/0017):
 * rdonly tablets, then the replicas that are not the primary, each only once vtgate serves from the
 * one before it at its new Pod IP; then one PlannedReparentShard onto an updated replica, then the old
 * primary. Without it (missing or stale), today's safe order: rdonly, then replica, each replica
 * tablet restarting or going away only after a reparent Job away from it completed, spaced.
 * A PVC is never changed once created but to grow it when the spec asks for more (a tablet whose
 * filesystem can only grow on mount is then restarted), and outlives its tablet unless `volumeRetention` is Delete.
 */
import { jobPodSettings, podSettingsProblems } from '../api/pod.ts';
import { needsSlowShutdown, xtrabackupProblems } from '../vitess/mysql.ts';
import { type Shard, ShardSpec } from '../api/shard.ts';
import { LABEL } from '../vitess/labels.ts';
import { asKubeObject, asKubeObjects, type KubeObject, objectKey } from '../kube/object.ts';
import { compareQuantities } from '../kube/quantity.ts';
import { isFailedJob, isReady } from '../kube/readiness.ts';
import { fileSystemResizePendingSince, isBound, requestedStorage, storageCapacity, withRequestedStorage } from '../kube/volumes.ts';
import { heldChild, heldChildAsApplied, lastApplied } from '../metacontroller/hold.ts';
import { type Gate, revisionOf, type Slot } from '../rollout/planner.ts';
import type { SlotSet } from '../rollout/slots.ts';
import { REPARENT_FOR_ANNOTATION, reparentJob } from '../templates/reparent-job.ts';
import { SLOW_SHUTDOWN_FOR_ANNOTATION, slowShutdownJob } from '../templates/slow-shutdown-job.ts';
import { backupCronJob, backupCronJobName, initialBackupJob, initialBackupJobName } from '../templates/backup.ts';
import { tabletDisruptionBudget, type TabletIdentity, type TabletScope, tabletPod, tabletVolumeClaim } from '../templates/tablet.ts';
import { VTGATE_MIN_TIME_BETWEEN_FAILOVERS_SECONDS } from '../vitess/flags.ts';
import { cellObjectName, keyspaceObjectName, reparentJobName, shardObjectName, slowShutdownJobName, tabletName } from '../vitess/names.ts';
import { MAX_TABLETS_PER_TYPE, poolOfUid, poolUids, tabletAlias, TABLET_TYPES, type TabletType } from '../vitess/tablets.ts';
import { defineLayer, type LayerDefinition, withRevision } from './pipeline.ts';
import { isRetired, tabletRecordPlan } from './tablet-records.ts';
import { defersPrimary, knownShard, primaryAwareGate, primaryLast, vitessView, type VitessView } from './shard-rollout.ts';

const BUDGET_KIND = 'PodDisruptionBudget';
/** Every tablet a shard can have, the in-flight limit of a retiring shard. */
const MAX_TABLETS_PER_SHARD = MAX_TABLETS_PER_TYPE * TABLET_TYPES.length;

/** The reparent Job of a tablet that is going away, rather than restarting. */
const FOR_REMOVAL = 'removal';

/** What a sync of a shard derives once: the tablets the spec asks for and what Vitess reports. */
export interface ShardDerived {
  /** The tablets the spec asks for, rdonly first: children, slots and status share this one list. */
  tablets: TabletIdentity[];
  vitess: VitessView;
}

export const shardDefinition: LayerDefinition<Shard, ShardDerived> = {
  name: 'sync-shard',
  parentKind: 'VitessShard',
  schema: ShardSpec,
  // A retiring shard asks for no tablet (lib/sync/tablet-records.ts).
  derive: (spec, parent, now) => ({ tablets: spec.retire === true ? [] : desiredTablets(spec), vitess: vitessView(parent.metadata.annotations, now) }),
  problems: (spec) => [...TABLET_TYPES.flatMap((type) => podSettingsProblems(spec.tablets[type], `spec.tablets.${type}`)), ...xtrabackupProblems(spec.backup, spec.tablets, 'spec.tablets')],
  children: (spec, parent, { tablets }) => {
    const scope = shardScope(spec);
    const budget = tabletDisruptionBudget(scope, parent.metadata.name, tablets.length);
    return asKubeObjects([
      ...(budget === undefined ? [] : [budget]),
      ...(spec.retire === true ? [] : backupJobs(spec, scope)),
      ...tablets.flatMap((tablet) => {
        const pool = spec.tablets[tablet.type];
        return [tabletPod(scope, tablet, pool), tabletVolumeClaim(scope, tablet, pool)];
      }),
    ]);
  },
  // A retiring shard stops every tablet at once: nothing of it serves any more.
  maxInFlight: (spec) => (spec.retire === true ? MAX_TABLETS_PER_SHARD : spec.rollout.tablets),
  confirmRemoval: (spec) => spec.confirmRemoval,
  slots: tabletSlots,
  status: (spec, observed, desired, { tablets, vitess }) => {
    const expansions = volumeExpansions(desired, observed);
    const desiredNames = new Set(tablets.map((tablet) => tablet.name));
    const records = tabletRecordPlan(spec, desiredNames, observed);
    const seen = new Map((vitess.state?.tablets ?? []).map((t) => [t.alias, t]));
    return {
      vitessState: vitess.freshness,
      primary: vitess.state?.primary ?? undefined,
      // A reshard target's streams as its primary reports them (lib/vitess/vreplication.ts), when fresh.
      vreplication: vitess.state?.vreplication,
      tablets: tablets.map((tablet) => {
        const pod = observed.get(`Pod/${tablet.name}`);
        const alias = tabletAlias(spec.cell, tablet.uid);
        const reported = seen.get(alias);
        return {
          alias,
          type: tablet.type,
          name: tablet.name,
          ready: pod !== undefined && isReady(pod),
          ...(reported === undefined ? {} : { vitessType: reported.type, serving: reported.serving }),
        };
      }),
      retainedVolumes: [...observed.values()].filter((child) => child.kind === 'PersistentVolumeClaim' && !desiredNames.has(child.metadata.name)).map((pvc) => pvc.metadata.name),
      reparent: canReparent(spec, observed) ? undefined : 'skipped: the shard has one primary-eligible tablet, so restarting it is an outage of the shard',
      backup: backupStatus(spec, observed),
      volumeExpansion: expansions.length > 0 ? expansions : undefined,
      removedTablets: records.removed.length > 0 ? records.removed : undefined,
      retired: spec.retire === true ? isRetired(observed, records) : undefined,
    };
  },
};

export const shardLayer = defineLayer(shardDefinition);

export function shardScope(spec: Shard): TabletScope {
  return {
    cluster: spec.cluster,
    cell: spec.cell,
    keyspace: spec.keyspace,
    shard: spec.name,
    template: spec.template,
    topology: spec.topology,
    backupFlags: spec.backupFlags,
    tls: spec.tls,
    monitoring: spec.monitoring,
    backup: spec.backup,
    initDbSql: spec.initDbSql,
    vtctldAddress: spec.vtctldAddress,
    dbCredentials: spec.dbCredentials,
    // The shard's Jobs run the tablets' images: they pull and run as the replica pool's Pods do.
    jobPod: jobPodSettings(spec.tablets.replica),
  };
}

/** The shard's object name as sync-keyspace makes it, for the names of its backup Jobs. */
function shardObject(spec: Shard): string {
  return shardObjectName(keyspaceObjectName(cellObjectName(spec.cluster, spec.cell), spec.keyspace), spec.name);
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
  return poolOfUid(spec.cell, spec.keyspace, spec.name, Number(object.metadata.labels?.[LABEL.tabletUid]));
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

/**
 * A reparent is possible (and needed) when another primary-eligible tablet exists or is asked for,
 * here or in another cell of the Vitess shard (`peerCells`: one replica per cell still has somewhere
 * to move the primary; the Job tries its own cell first, then across cells).
 */
function canReparent(spec: Shard, observed: ReadonlyMap<string, KubeObject>): boolean {
  return Math.max(spec.tablets.replica.replicas, replicaPods(spec, observed).length) > 1 || spec.peerCells !== undefined;
}

/**
 * Without a fresh Vitess state, in the cluster's first phase (`rollout.primaryAcrossCells: later`): a
 * tablet that may be the primary, in a cell with no other replica while other cells have some, waits
 * for the next phase. Its primary could only move onto another cell's replica, which may be down in
 * that cell's turn (the cells' turns no longer exclude each other once a cell leaves a tablet behind).
 */
function fallbackDefers(spec: Shard, pod: KubeObject | undefined, type: TabletType | undefined): boolean {
  return spec.rollout.primaryAcrossCells === 'later' && spec.peerCells !== undefined && spec.tablets.replica.replicas <= 1 && mayBePrimary(spec, pod, type);
}

/**
 * Slots per tablet type, in rollout order: each desired tablet (Pod, then PVC), then the tablets of
 * that type going away. Existing PVCs are held as they are; retained ones stay in the answer.
 */
function tabletSlots(
  spec: Shard,
  desired: readonly KubeObject[],
  observed: ReadonlyMap<string, KubeObject>,
  now: Date,
  { tablets: allTablets, vitess }: ShardDerived,
  applied: ReadonlyMap<string, KubeObject | undefined>,
): SlotSet {
  const desiredByKey = new Map(desired.map((child) => [objectKey(child), child]));
  const notApplied: string[] = [];
  // A retiring shard stops every tablet at once: no reparent, the whole shard is leaving.
  const needsReparent = spec.retire !== true && canReparent(spec, observed);
  // Removed tablets' topology records, deleted once their Pods are gone (lib/sync/tablet-records.ts).
  const records = tabletRecordPlan(spec, new Set(allTablets.map((tablet) => tablet.name)), observed);
  // With the Vitess state, the primary is known: its tablet goes last, after one reparent onto an
  // updated replica; no other tablet needs one. Without it, every primary-eligible tablet does.
  // A retiring shard has nothing to hand off.
  const state = spec.retire === true ? undefined : vitess.state;
  const tablets = state === undefined ? allTablets : primaryLast(spec, allTablets, state);
  const known = state === undefined ? undefined : knownShard(spec, allTablets, desiredByKey, observed, state);
  // `desiredType`: the pool a desired tablet is in; a removed tablet's pool is read from its identity.
  // `deferrable`: a tablet outdated by revision, whose primary may wait for the cluster's next phase.
  const gateFor = (tablet: TabletIdentity, pod: KubeObject | undefined, forRevision: string, desiredType?: TabletType, deferrable = false): Gate | undefined => {
    if (known !== undefined) return primaryAwareGate(shardScope(spec), spec, tablet, forRevision, observed, known, deferrable);
    if (deferrable && fallbackDefers(spec, pod, desiredType)) {
      return { state: 'pending', prerequisites: [], message: `${tabletAlias(spec.cell, tablet.uid)} may be the primary of ${spec.keyspace}/${spec.name} and this cell has no other replica: it waits for the other cells' tablets to roll` };
    }
    return needsReparent && mayBePrimary(spec, pod, desiredType) ? reparentGate(spec, tablet, forRevision, observed, now) : undefined;
  };
  const slots: Slot[] = [];
  // The shard's PDB first (it only counts Pods); gone with the second-to-last tablet.
  for (const child of desired) if (child.kind === BUDGET_KIND) slots.push({ desired: child, observed: observed.get(objectKey(child)), method: 'apply' });
  for (const child of observed.values()) if (child.kind === BUDGET_KIND && !desiredByKey.has(objectKey(child))) slots.push({ observed: child, method: 'apply' });
  slots.push(...backupSlots(spec, desiredByKey, observed));
  for (const type of TABLET_TYPES) {
    for (const tablet of tablets.filter((t) => t.type === type)) {
      const pod = desiredByKey.get(`Pod/${tablet.name}`) as KubeObject;
      const observedPod = observed.get(`Pod/${tablet.name}`);
      const outdated = observedPod !== undefined && revisionOf(observedPod) !== revisionOf(pod);
      const restart = !outdated && observedPod !== undefined && waitsForRestart(observedPod, observed.get(`PersistentVolumeClaim/${tablet.name}`));
      // A change of MySQL line: the slow shutdown first, then (for a replica) the reparent.
      const slow = outdated && slowShutdownNeeded(observedPod, pod) ? slowShutdownGate(spec, tablet, revisionOf(pod) ?? '', observed) : undefined;
      const gate = outdated ? thenGate(slow, gateFor(tablet, observedPod, revisionOf(pod) ?? '', tablet.type, true)) : restart ? resizeRestartGate(tablet, observed, now, (t) => gateFor(t, observedPod, `${revisionOf(pod) ?? ''}/volume`, tablet.type)) : undefined;
      slots.push({ desired: pod, observed: observedPod, method: 'replace', gate, ...(restart ? { restart } : {}) });
      const desiredClaim = desiredByKey.get(`PersistentVolumeClaim/${tablet.name}`) as KubeObject;
      const observedClaim = observed.get(`PersistentVolumeClaim/${tablet.name}`);
      // A PVC's spec is immutable but for its size: once created, it is answered as it is, asking
      // for more storage when the spec does (a volume only grows: a smaller size is not applied).
      const claim = observedClaim === undefined ? desiredClaim : claimAnswer(desiredClaim, observedClaim, applied, notApplied);
      slots.push({ desired: claim, observed: observedClaim, method: 'apply' });
    }
    for (const child of observed.values()) {
      if (tabletTypeOf(child) !== type || desiredByKey.has(objectKey(child))) continue;
      if (child.kind === 'Pod') {
        slots.push({ observed: child, method: 'replace', gate: gateFor(removedTablet(child, type), child, FOR_REMOVAL) });
      } else if (child.kind === 'PersistentVolumeClaim') {
        const podGone = !observed.has(`Pod/${child.metadata.name}`);
        // A retiring shard keeps its PVCs: they go with the VitessShard once its keyspace deletes it.
        const deleteIt = spec.retire !== true && spec.tablets.volumeRetention === 'Delete' && podGone && records.recordDeleted.has(child.metadata.name);
        slots.push(deleteIt ? { observed: child, method: 'apply' } : { desired: heldChild(child), observed: child, method: 'apply' });
      }
    }
  }
  // Reparent Jobs no gate answers are obsolete (done, or made for another revision): they go, but
  // while another replica tablet is still to move (a gate), one that completed less than
  // REPARENT_SPACING_MS ago is kept as the record of the shard's last failover until the next may
  // start. Once nothing is left to move they go, so a finished rollout leaves no Job behind.
  // Every other observed child no slot carries (a tablet whose type label is missing or foreign,
  // a kind we do not make here) is held by the pipeline's general rule and reported unclassified.
  // So do a CronJob no longer wanted (it holds no data; the backups it made stay in the storage).
  slots.push(...records.slots);
  const moreToMove = slots.some((slot) => slot.gate !== undefined);
  const kept = [...(moreToMove && state === undefined ? [...observed.values()].filter((job) => isRecentReparent(job, now)).map(objectKey) : []), ...records.kept];
  const removals = [...observed.values()]
    .filter((child) => child.kind === 'Job' || (child.kind === 'CronJob' && !desiredByKey.has(objectKey(child))))
    .map(objectKey)
    .filter((key) => !kept.includes(key));
  const unsettled = [...volumeExpansions(desired, observed).map(expansionMessage), ...records.unsettled];
  // The primary's tablet left for the cluster's later phase, when still outdated.
  const isOutdated = (t: TabletIdentity): boolean => {
    const seen = observed.get(`Pod/${t.name}`);
    return seen !== undefined && revisionOf(seen) !== revisionOf(desiredByKey.get(`Pod/${t.name}`) as KubeObject);
  };
  const defers = (t: TabletIdentity): boolean => (known === undefined ? fallbackDefers(spec, observed.get(`Pod/${t.name}`), t.type) : defersPrimary(spec, t, known));
  const deferred = tablets.filter((t) => isOutdated(t) && defers(t)).map((t) => `Pod/${t.name}`);
  return { slots, pendingRemovals: [], removals, kept, notApplied, unsettled, notServing: known?.notServing ?? [], deferred };
}

/**
 * How long a grown volume's filesystem may wait for the kubelet to grow it online (while mounted)
 * before its tablet restarts to have it grown on mount. Most CSI drivers grow online within a minute.
 */
const ONLINE_RESIZE_GRACE_MS = 120_000;

/**
 * The answer for an existing PVC: as last applied, with the spec's storage when that is larger than
 * what the claim asks now. The API server refuses a smaller size; it is reported, not answered.
 * `applied`: the claim's last applied configuration by key, as the pipeline read it.
 */
function claimAnswer(desiredClaim: KubeObject, observedClaim: KubeObject, applied: ReadonlyMap<string, KubeObject | undefined>, notApplied: string[]): KubeObject {
  const key = objectKey(observedClaim);
  const held = heldChildAsApplied(observedClaim, applied.has(key) ? applied.get(key) : lastApplied(observedClaim));
  const want = requestedStorage(desiredClaim);
  const asked = requestedStorage(observedClaim);
  const order = compareQuantities(want, asked);
  // The API server takes a new size only on a bound claim ("spec is immutable after creation except
  // resources.requests ... for bound claims"): a pending one is asked once it is bound.
  if (order === 1 && want !== undefined && isBound(observedClaim)) return withRequestedStorage(held, want);
  if (order === -1) notApplied.push(`PersistentVolumeClaim/${observedClaim.metadata.name}: spec.resources.requests.storage stays ${asked}, larger than the ${want} asked: a volume cannot shrink`);
  return held;
}

/** A tablet Pod started before its volume's filesystem resize became pending: mounting anew finishes it. */
function waitsForRestart(pod: KubeObject, claim: KubeObject | undefined): boolean {
  const since = claim === undefined ? undefined : fileSystemResizePendingSince(claim);
  const created = pod.metadata.creationTimestamp;
  // Without both times we cannot tell whether this Pod already mounted the grown volume: no restart
  // (one would loop until the kubelet clears the condition); the status still says it is pending.
  if (since === undefined || since === '' || created === undefined) return false;
  return Date.parse(created) < Date.parse(since);
}

/** The gate of a restart for a filesystem resize: the online grace period, then the tablet's usual gate. */
function resizeRestartGate(tablet: TabletIdentity, observed: ReadonlyMap<string, KubeObject>, now: Date, usual: (tablet: TabletIdentity) => Gate | undefined): Gate | undefined {
  const claim = observed.get(`PersistentVolumeClaim/${tablet.name}`) as KubeObject;
  const deadline = Date.parse(fileSystemResizePendingSince(claim) ?? '') + ONLINE_RESIZE_GRACE_MS;
  if (now.getTime() < deadline) {
    return { state: 'pending', prerequisites: [], message: `waiting until ${new Date(deadline).toISOString()} for the kubelet to grow the filesystem of PersistentVolumeClaim/${tablet.name} online, then restarting the tablet` };
  }
  return usual(tablet);
}

export interface VolumeExpansion {
  name: string;
  /** What the claim is to hold. */
  requested: string;
  /** What it holds now (status.capacity). */
  capacity?: string;
  /**
   * `waiting-for-bind`: asked once the claim is bound; `requested`: asked of the API server;
   * `resizing`: the volume grows; `filesystem-resize-pending`: the node is to grow the filesystem.
   */
  state: 'waiting-for-bind' | 'requested' | 'resizing' | 'filesystem-resize-pending';
}

/** Every desired tablet volume not yet at the size the spec or the claim asks for. */
export function volumeExpansions(desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>): VolumeExpansion[] {
  return desired.flatMap((claim): VolumeExpansion[] => {
    if (claim.kind !== 'PersistentVolumeClaim') return [];
    const live = observed.get(objectKey(claim));
    const want = requestedStorage(claim);
    if (live === undefined || want === undefined) return [];
    const asked = requestedStorage(live) ?? want;
    const capacity = storageCapacity(live);
    const name = claim.metadata.name;
    if (compareQuantities(want, asked) === 1) return [{ name, requested: want, capacity, state: isBound(live) ? 'requested' : 'waiting-for-bind' }];
    if (fileSystemResizePendingSince(live) !== undefined) return [{ name, requested: asked, capacity, state: 'filesystem-resize-pending' }];
    if (capacity !== undefined && compareQuantities(capacity, asked) === -1) return [{ name, requested: asked, capacity, state: 'resizing' }];
    return [];
  });
}

function expansionMessage(expansion: VolumeExpansion): string {
  const volume = `PersistentVolumeClaim/${expansion.name}`;
  const from = expansion.capacity === undefined ? '' : ` (now ${expansion.capacity})`;
  switch (expansion.state) {
    case 'requested':
      return `${volume}: asking to grow it to ${expansion.requested}${from}; the API server refuses while its storage class does not set allowVolumeExpansion: true (see the VitessShard's events)`;
    case 'waiting-for-bind':
      return `${volume}: to grow to ${expansion.requested} once it is bound (a pending claim's size cannot change)`;
    case 'resizing':
      return `${volume}: growing to ${expansion.requested}${from}`;
    case 'filesystem-resize-pending':
      return `${volume}: grown to ${expansion.requested}, its filesystem is to be grown on the node${from}`;
  }
}

/**
 * The shard's backup CronJob and initial backup Job, in the keyspace's first cell. The initial backup
 * Job is an ordinary Job child: replaced (run again) when its spec changes, which is harmless: it backs
 * up nothing when the shard has a complete backup or a primary (lib/templates/backup.ts).
 */
function backupJobs(spec: Shard, scope: TabletScope): KubeObject[] {
  if (spec.backup === undefined || spec.backupJobs === undefined) return [];
  const object = shardObject(spec);
  const { schedule, initial } = spec.backupJobs;
  return asKubeObjects([
    ...(schedule === undefined ? [] : [backupCronJob(scope, object, schedule, spec.images.vitess, spec.vtctldAddress)]),
    ...(initial ? [initialBackupJob(scope, object, spec.backup, spec.backupFlags, spec.tablets.replica, spec.vtctldAddress)] : []),
  ]);
}

/** The backup CronJob is applied in place; the initial backup Job, like every Job, is replaced. */
function backupSlots(spec: Shard, desiredByKey: ReadonlyMap<string, KubeObject>, observed: ReadonlyMap<string, KubeObject>): Slot[] {
  const object = shardObject(spec);
  const slots: Slot[] = [];
  for (const key of [`CronJob/${backupCronJobName(object)}`, `Job/${initialBackupJobName(object)}`]) {
    const desired = desiredByKey.get(key);
    if (desired !== undefined) slots.push({ desired, observed: observed.get(key), method: desired.kind === 'Job' ? 'replace' : 'apply' });
  }
  return slots;
}

/**
 * What the hook can tell about the shard's backups from Kubernetes objects alone: where they go,
 * the initial backup Job's state and completion (which may have found a backup or a primary and made
 * none: its log says), and the latest successful scheduled backup (the CronJob's
 * status.lastSuccessfulTime). Backups made by hand are not seen; which backup a tablet restored is
 * in its vttablet log only.
 */
function backupStatus(spec: Shard, observed: ReadonlyMap<string, KubeObject>): Record<string, unknown> | undefined {
  if (spec.backup === undefined) return undefined;
  const location = describeLocation(spec.backup.location);
  if (spec.backupJobs === undefined) return { location, takenBy: "the keyspace's first cell" };
  const object = shardObject(spec);
  const job = observed.get(`Job/${initialBackupJobName(object)}`);
  const cron = observed.get(`CronJob/${backupCronJobName(object)}`);
  const cronStatus = (cron?.status ?? {}) as { lastScheduleTime?: string; lastSuccessfulTime?: string };
  const jobDone = job !== undefined && isReady(job) ? (job.status as { completionTime?: string } | undefined)?.completionTime : undefined;
  return {
    location,
    engine: spec.backup.engine,
    initialBackup: initialBackupState(spec.backupJobs.initial, job),
    schedule: spec.backupJobs.schedule?.cron,
    initialBackupCompletionTime: typeof jobDone === 'string' ? jobDone : undefined,
    lastScheduleTime: cronStatus.lastScheduleTime,
    // The latest successful BackupShard Job: the latest backup the hook can know of.
    lastSuccessfulBackupTime: cronStatus.lastSuccessfulTime,
  };
}

function initialBackupState(wanted: boolean, job: KubeObject | undefined): string {
  if (!wanted) return 'disabled';
  if (job === undefined) return 'creating';
  if (isFailedJob(job)) return `failed: see the logs of Job ${job.metadata.name}`;
  // Complete: a backup was made, or one existed, or the shard had a primary already (the Job's log says which).
  return isReady(job) ? 'complete' : 'running';
}

function describeLocation(location: NonNullable<Shard['backup']>['location']): string {
  if (location.s3 !== undefined) return `s3://${location.s3.bucket}/${location.s3.root ?? ''}`;
  if (location.gcs !== undefined) return `gs://${location.gcs.bucket}/${location.gcs.root ?? ''}`;
  if (location.azblob !== undefined) return `azblob://${location.azblob.account}/${location.azblob.container}/${location.azblob.root ?? ''}`;
  if (location.ceph !== undefined) return `ceph (config from Secret ${location.ceph.configSecret.name})`;
  if (location.file !== undefined) return `file: ${location.file.claimName !== undefined ? `PVC ${location.file.claimName}` : 'volume'}/${location.file.root ?? ''}`;
  return 'none';
}

function removedTablet(pod: KubeObject, type: TabletType): TabletIdentity {
  return { name: pod.metadata.name, uid: Number(pod.metadata.labels?.[LABEL.tabletUid] ?? 0), type };
}

/**
 * The gate of a replica tablet: a completed `PlannedReparentShard --avoid-primary` Job made for this
 * very change (its target revision). A Job made for another revision is stale and replaced first.
 */
function reparentGate(spec: Shard, tablet: TabletIdentity, forRevision: string, observed: ReadonlyMap<string, KubeObject>, now: Date): Gate {
  const alias = tabletAlias(spec.cell, tablet.uid);
  const name = reparentJobName(tablet.name);
  const job = observed.get(`Job/${name}`);
  if (job === undefined) {
    const wait = reparentSpacingWait(observed, now);
    if (wait !== undefined) return { state: 'pending', prerequisites: [], message: wait };
    const fresh = withRevision(asKubeObject(reparentJob(shardScope(spec), tablet, { avoidPrimary: alias }, spec.images.vitess, spec.vtctldAddress, forRevision)));
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

/** The MySQL image a tablet Pod's mysqld container runs. */
function mysqlImageOf(pod: KubeObject): string | undefined {
  const containers = (pod.spec as { containers?: { name?: string; image?: string }[] } | undefined)?.containers ?? [];
  return containers.find((container) => container.name === 'mysqld')?.image;
}

/**
 * A running tablet about to restart on another MySQL line (lib/vitess/mysql.ts). One not Ready is
 * left alone: its mysqld may not run, and could not take the statement.
 */
function slowShutdownNeeded(observedPod: KubeObject, desiredPod: KubeObject): boolean {
  const from = mysqlImageOf(observedPod);
  const to = mysqlImageOf(desiredPod);
  return from !== undefined && to !== undefined && needsSlowShutdown(from, to) && isReady(observedPod);
}

/** The gate of a tablet whose MySQL line changes: a completed slow-shutdown Job made for this very change. */
function slowShutdownGate(spec: Shard, tablet: TabletIdentity, forRevision: string, observed: ReadonlyMap<string, KubeObject>): Gate {
  const alias = tabletAlias(spec.cell, tablet.uid);
  const name = slowShutdownJobName(tablet.name);
  const job = observed.get(`Job/${name}`);
  if (job === undefined) {
    const fresh = withRevision(asKubeObject(slowShutdownJob(shardScope(spec), tablet, alias, spec.images.vitess, spec.vtctldAddress, forRevision)));
    return { state: 'pending', prerequisites: [fresh], message: `waiting for the slow shutdown of ${alias}'s mysqld to be set before its MySQL line changes (Job ${name})` };
  }
  if (job.metadata.annotations?.[SLOW_SHUTDOWN_FOR_ANNOTATION] !== forRevision) {
    return { state: 'pending', prerequisites: [], message: `replacing the stale slow-shutdown Job ${name}` };
  }
  if (isFailedJob(job)) {
    return { state: 'failed', prerequisites: [heldChild(job)], message: `setting innodb_fast_shutdown=0 on ${alias} failed (Job ${name}): fix the cause, then delete the Job to retry` };
  }
  if (isReady(job)) return { state: 'open', prerequisites: [heldChild(job)], message: '' };
  return { state: 'pending', prerequisites: [heldChild(job)], message: `waiting for the slow shutdown of ${alias}'s mysqld to be set before its MySQL line changes (Job ${name})` };
}

/** `first`, then `second`: the second is asked only once the first is open, and keeps the first's Jobs. */
function thenGate(first: Gate | undefined, second: Gate | undefined): Gate | undefined {
  if (first === undefined) return second;
  if (first.state !== 'open' || second === undefined) return first;
  return { ...second, prerequisites: [...first.prerequisites, ...second.prerequisites] };
}

/**
 * The least time between the end of one reparent of a shard and the start of the next: vtgate's
 * --buffer-min-time-between-failovers, plus a margin for vtgate seeing the new primary after the Job
 * completed (the harness saw a second failover 59.6 s after the first go unbuffered, and reads fail).
 */
const REPARENT_MARGIN_SECONDS = 10;
export const REPARENT_SPACING_MS = (VTGATE_MIN_TIME_BETWEEN_FAILOVERS_SECONDS + REPARENT_MARGIN_SECONDS) * 1000;

/**
 * When a reparent Job's failover ended, in ms: its completionTime; one still running is under way,
 * so ends now at the earliest. A failed Job, or one with an unreadable time, says nothing (the failed
 * gate pauses the rollout; an obsolete one is deleted).
 */
function failoverEnd(job: KubeObject, now: Date): number | undefined {
  if (!isReparentJob(job)) return undefined;
  if ((job.status as { completionTime?: unknown } | undefined)?.completionTime !== undefined) return completionOf(job);
  return isFailedJob(job) ? undefined : now.getTime();
}

function isReparentJob(child: KubeObject): boolean {
  return child.kind === 'Job' && child.metadata.annotations?.[REPARENT_FOR_ANNOTATION] !== undefined;
}

function completionOf(job: KubeObject): number | undefined {
  const completion = (job.status as { completionTime?: unknown } | undefined)?.completionTime;
  const end = typeof completion === 'string' ? Date.parse(completion) : NaN;
  return Number.isNaN(end) ? undefined : end;
}

/** A completed reparent Job whose failover ended less than the spacing ago. */
function isRecentReparent(job: KubeObject, now: Date): boolean {
  const end = isReparentJob(job) ? completionOf(job) : undefined;
  return end !== undefined && now.getTime() - end < REPARENT_SPACING_MS;
}

/** Why the shard's next reparent must wait, or undefined when it may start now. */
function reparentSpacingWait(observed: ReadonlyMap<string, KubeObject>, now: Date): string | undefined {
  let last: KubeObject | undefined;
  let lastEnd = -Infinity;
  for (const child of observed.values()) {
    const end = failoverEnd(child, now);
    if (end !== undefined && end > lastEnd) [last, lastEnd] = [child, end];
  }
  if (last === undefined) return undefined;
  const remaining = lastEnd + REPARENT_SPACING_MS - now.getTime();
  if (remaining <= 0) return undefined;
  const why = `vtgate buffers one failover per shard per ${VTGATE_MIN_TIME_BETWEEN_FAILOVERS_SECONDS}s (--buffer-min-time-between-failovers)`;
  if (completionOf(last) === undefined) return `waiting for reparent Job ${last.metadata.name} to finish before the next reparent: ${why}`;
  return `waiting ${Math.ceil(remaining / 1000)}s before the next reparent: ${why}`;
}
