/**
 * The primary-aware rollout of a shard's tablets, used while the Vitess state is fresh
 * (lib/vitess/state.ts; docs/decisions/0017-vitess-aware-rollout.md):
 * - the tablet vtgate serves as primary goes last; every other tablet restarts without a reparent;
 * - before the primary goes down, one PlannedReparentShard moves it onto a replica of this cell that
 *   is already updated and that vtgate serves from (the first such by alias: deterministic); when this
 *   cell has none, in the cluster's first phase the primary waits (`defersPrimary`) until the other
 *   cells rolled, then moves onto one of their served replicas: one reparent per Vitess shard;
 * - a tablet counts as back only once vtgate serves from it at its Pod's current IP, in a state
 *   observed after the Pod turned Ready (a recreated Pod has a new IP that vtgate learns at its next
 *   topology poll), so the next tablet goes down only then;
 * - a tablet goes down only while vtgate serves from every other tablet of the Vitess shard this
 *   rollout could take down with it (this cell's outdated tablets; other cells' too when
 *   `rollout.cells` > 1 lets cells roll at once).
 */
import type { Shard } from '../api/shard.ts';
import { type KubeObject, asKubeObject, isRecord } from '../kube/object.ts';
import { isFailedJob, isReady } from '../kube/readiness.ts';
import { heldChild } from '../metacontroller/hold.ts';
import { type Gate, revisionOf } from '../rollout/planner.ts';
import { REPARENT_FOR_ANNOTATION, reparentJob } from '../templates/reparent-job.ts';
import type { TabletIdentity, TabletScope } from '../templates/tablet.ts';
import { reparentJobName } from '../vitess/names.ts';
import { freshVitessState, VITESS_STATE_ANNOTATION, type VitessShardState } from '../vitess/state.ts';
import { tabletAlias } from '../vitess/tablets.ts';
import { withRevision } from './pipeline.ts';

/** What the shard's hook knows of Vitess this sync. */
export interface VitessView {
  /** The state when fresh; undefined when missing or stale (the hooks then fall back). */
  state?: VitessShardState;
  /** For status: `stale` covers an annotation that is old, unreadable, or from no vtgate. */
  freshness: 'fresh' | 'stale' | 'missing';
}

export function vitessView(annotations: Readonly<Record<string, string>> | undefined, now: Date): VitessView {
  const state = freshVitessState(annotations, now);
  if (state !== undefined) return { state, freshness: 'fresh' };
  return { freshness: annotations?.[VITESS_STATE_ANNOTATION] === undefined ? 'missing' : 'stale' };
}

/** The shard as this sync sees it with a fresh state. */
export interface KnownShard {
  state: VitessShardState;
  /** This cell's replica tablets on their latest revision that vtgate serves from, not the primary, by alias. */
  candidates: string[];
  /** `Pod/<name>` of this cell's tablets on their latest revision, Ready, that vtgate does not serve from at their IP yet. */
  notServing: string[];
  /** Aliases of tablets the rollout must not take down another beside: outdated here, or (cells > 1) not serving in another cell. */
  down: string[];
  /** Another primary-eligible tablet exists somewhere in the Vitess shard: the primary can be moved. */
  canReparent: boolean;
  /** vtgate serves from some tablet of the Vitess shard (not a reshard's target before the switch or after a reverse). */
  serves: boolean;
  /** Other cells' replica tablets vtgate serves from, not the primary, by alias. */
  elsewhere: string[];
}

/** The tablets in rollout order with the primary's tablet last. */
export function primaryLast(spec: Shard, tablets: readonly TabletIdentity[], state: VitessShardState): TabletIdentity[] {
  const isPrimary = (tablet: TabletIdentity): boolean => tabletAlias(spec.cell, tablet.uid) === state.primary;
  return [...tablets.filter((tablet) => !isPrimary(tablet)), ...tablets.filter(isPrimary)];
}

function podIp(pod: KubeObject): string | undefined {
  const ip = (pod.status as { podIP?: unknown } | undefined)?.podIP;
  return typeof ip === 'string' && ip !== '' ? ip : undefined;
}

/** When the Pod last turned Ready (its Ready condition's lastTransitionTime), in ms. */
function readySince(pod: KubeObject): number | undefined {
  const conditions = (pod.status as { conditions?: unknown } | undefined)?.conditions;
  const ready = Array.isArray(conditions) ? conditions.find((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True') : undefined;
  const time = isRecord(ready) && typeof ready.lastTransitionTime === 'string' ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isNaN(time) ? undefined : time;
}

/**
 * vtgate serves from this Pod's tablet: Ready, and the state, observed since the Pod turned Ready,
 * shows the tablet serving at the Pod's IP.
 */
export function servedByVtgate(pod: KubeObject | undefined, alias: string, state: VitessShardState): boolean {
  if (pod === undefined || pod.metadata.deletionTimestamp !== undefined || !isReady(pod)) return false;
  const tablet = state.tablets.find((t) => t.alias === alias);
  const ip = podIp(pod);
  const since = readySince(pod);
  return tablet !== undefined && tablet.serving && ip !== undefined && tablet.hostname === ip && since !== undefined && Date.parse(state.observedAt) >= since;
}

export function knownShard(spec: Shard, tablets: readonly TabletIdentity[], desired: ReadonlyMap<string, KubeObject>, observed: ReadonlyMap<string, KubeObject>, state: VitessShardState): KnownShard {
  const candidates: string[] = [];
  const notServing: string[] = [];
  const down: string[] = [];
  // A shard vtgate serves from no tablet of (a reshard's target before the switch or after a reverse:
  // its tablets report not serving) has nothing to wait for: its tablets count as back once Ready.
  const serves = state.tablets.some((t) => t.serving);
  for (const tablet of tablets) {
    const alias = tabletAlias(spec.cell, tablet.uid);
    const key = `Pod/${tablet.name}`;
    const pod = observed.get(key);
    if (pod === undefined) continue;
    const current = revisionOf(pod) === revisionOf(desired.get(key) as KubeObject);
    const served = serves ? servedByVtgate(pod, alias, state) : pod.metadata.deletionTimestamp === undefined && isReady(pod);
    if (current && served && tablet.type === 'replica' && alias !== state.primary) candidates.push(alias);
    if (current && !served && isReady(pod)) notServing.push(key);
    if (!current && !served) down.push(alias);
  }
  if (spec.rollout.cells > 1) {
    for (const tablet of state.tablets) if (serves && tablet.cell !== spec.cell && !tablet.serving) down.push(tablet.alias);
  }
  const eligible = new Set(state.tablets.filter((t) => t.type === 'replica' || t.type === 'primary').map((t) => t.alias));
  for (const tablet of tablets) if (tablet.type === 'replica') eligible.add(tabletAlias(spec.cell, tablet.uid));
  // Other cells' replicas count by spec too: vtgate may not list one at the moment (recreated, at a
  // new IP), and a primary taken for alone would restart without a reparent.
  const canReparent = eligible.size > 1 || spec.peerCells !== undefined;
  const elsewhere = state.tablets.filter((t) => t.cell !== spec.cell && t.type === 'replica' && t.serving && t.alias !== state.primary).map((t) => t.alias);
  return { state, candidates: candidates.sort(), notServing, down, canReparent, serves, elsewhere: elsewhere.sort() };
}

/**
 * The primary's tablet waits for a later phase of the cluster's rollout (`rollout.primaryAcrossCells:
 * later`): it is this cell's, it can be moved, and this cell has no updated replica to move it onto. A
 * reparent now could only land on another cell's outdated replica, and move again at that cell's turn.
 */
export function defersPrimary(spec: Shard, tablet: TabletIdentity, known: KnownShard): boolean {
  return spec.rollout.primaryAcrossCells === 'later' && tabletAlias(spec.cell, tablet.uid) === known.state.primary && known.canReparent && known.candidates.length === 0;
}

/**
 * The gate of a tablet's restart or removal with a fresh state: others of the shard must be served
 * first; the primary moves first, by one PlannedReparentShard onto an updated replica (or, when this
 * cell has none, away from it: Vitess then picks among the other cells' replicas). A primary that can
 * move restarts only after it moved: while vtgate serves from no other replica, it waits.
 */
export function primaryAwareGate(scope: TabletScope, spec: Shard, tablet: TabletIdentity, forRevision: string, observed: ReadonlyMap<string, KubeObject>, known: KnownShard, deferrable: boolean): Gate | undefined {
  const alias = tabletAlias(spec.cell, tablet.uid);
  const shard = `${spec.keyspace}/${spec.name}`;
  const others = known.down.filter((other) => other !== alias);
  if (others.length > 0) {
    return { state: 'pending', prerequisites: [], message: `waiting for vtgate to serve from ${others.join(', ')} before taking down another tablet of ${shard}` };
  }
  if (alias !== known.state.primary || !known.canReparent) return undefined;
  if (deferrable && defersPrimary(spec, tablet, known)) {
    return { state: 'pending', prerequisites: [], message: `the primary ${alias} of ${shard} waits for another cell's tablets to roll: this cell has no updated replica to move it onto` };
  }
  const name = reparentJobName(tablet.name);
  const job = observed.get(`Job/${name}`);
  // The primary can move, but vtgate serves from no other replica right now (one is restarting, in
  // this cell or another, or not yet listed): a reparent would fail, a restart would be an outage.
  if (job === undefined && known.serves && !known.state.tablets.some((t) => t.alias !== alias && t.type === 'replica' && t.serving)) {
    return { state: 'pending', prerequisites: [], message: `the primary ${alias} of ${shard} waits for vtgate to serve from another replica to move it onto` };
  }
  // The other cells rolled (`now`): their replicas vtgate serves from are updated; PlannedReparentShard
  // takes a --new-primary in any cell (Vitess v24's reparentutil skips the same-cell filter for it).
  const [target] = known.candidates.length > 0 || spec.rollout.primaryAcrossCells !== 'now' ? known.candidates : known.elsewhere;
  const what = target === undefined ? `PlannedReparentShard away from the primary ${alias}` : `PlannedReparentShard of ${shard} from ${alias} onto ${target}`;
  if (job === undefined) {
    const made = reparentJob(scope, tablet, target === undefined ? { avoidPrimary: alias } : { newPrimary: target }, spec.images.vitess, spec.vtctldAddress, forRevision);
    return { state: 'pending', prerequisites: [withRevision(asKubeObject(made))], message: `waiting for ${what} (Job ${name})` };
  }
  if (job.metadata.annotations?.[REPARENT_FOR_ANNOTATION] !== forRevision) {
    return { state: 'pending', prerequisites: [], message: `replacing the stale reparent Job ${name}` };
  }
  if (isFailedJob(job)) {
    return { state: 'failed', prerequisites: [heldChild(job)], message: `PlannedReparentShard away from the primary ${alias} failed (Job ${name}): fix the cause, then delete the Job to retry` };
  }
  const message = isReady(job) ? `Job ${name} completed; waiting for vtgate to serve a new primary of ${shard}` : `waiting for ${what} (Job ${name})`;
  return { state: 'pending', prerequisites: [heldChild(job)], message };
}
