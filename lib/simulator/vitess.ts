/**
 * A fake Vitess, standing in for vtgate's view and the observer that writes it (lib/vitess/state.ts):
 * per Vitess shard (the VitessShards of one cluster, keyspace and shard, one per cell), it writes the
 * state annotation from the simulated world, after the fake kubelet in each round:
 * - a tablet serves once its Pod is Ready (and has been for `discoveryLagSeconds`: vtgate's topology
 *   poll), at the Pod's IP; a tablet whose Pod is gone stays listed, not serving, while its volume
 *   exists (its topology record outlives the Pod);
 * - the primary moves when a completed PlannedReparentShard Job names it (`NEW_PRIMARY`) or avoids
 *   the current one (`AVOID_PRIMARY`: the first serving replica by alias takes over), as vtctld would;
 * - a shard without a primary gets the first serving replica by alias, as vtorc would elect one.
 * Nothing else moves the primary: a primary whose Pod restarts without a reparent stays primary,
 * not serving, which is the outage the rollout laws look for.
 * - a reshard target's primary runs one VReplication stream per source shard (the `vreplication`
 *   record, as the observer reads it from vttablet) from the round its keyspace's `create` Job
 *   completed until its `complete` or `cancel` Job did: Copying, lag unknown, until the
 *   `wait-for-copy` Job completed, then Running, 0 s behind. No rows: the fake world holds no data.
 */
import { KIND as SHARD_KIND } from '../api/shard.ts';
import { isRecord, type KubeObject } from '../kube/object.ts';
import { isReady } from '../kube/readiness.ts';
import { LABEL } from '../vitess/labels.ts';
import { parseVitessState, STATE_HEARTBEAT_SECONDS, STATE_MAX_AGE_SECONDS, VITESS_STATE_ANNOTATION, type ObservedTablet, type VitessShardState, vitessStateText, type VReplicationState } from '../vitess/state.ts';
import { RESHARD_COMPONENT, RESHARD_STEP_LABEL, RESHARD_TARGETS_ANNOTATION, type ReshardStep } from '../templates/reshard-jobs.ts';
import { tabletAlias } from '../vitess/tablets.ts';
import { REPARENT_ENV, REPARENT_FOR_ANNOTATION } from '../templates/reparent-job.ts';
import { type Action, objectRef } from './metacontroller.ts';
import { allObjects, type ClusterState, getObject, storeKey, timestamp, updateObject } from './store.ts';

export interface FakeVitessOptions {
  /** How long after its Pod turned Ready vtgate starts serving from a tablet (default 0). */
  discoveryLagSeconds?: number;
  /**
   * Write every state already stale (dated past STATE_MAX_AGE_SECONDS): the hooks fall back as without
   * one, while the fake Vitess still tracks the primary, so tests can check the fallback against it.
   */
  stale?: boolean;
  /**
   * A flaky channel, seeded: of the states written, about one in four is already stale (an observer
   * that paused) and one in four leaves out the tablets vtgate does not serve from (a recreated tablet
   * vtgate dropped before it learnt the new address). The primary is tracked as ever.
   */
  flakySeed?: number;
}

/** 0-3 from the seed, the shard and the time: which fault, if any, a flaky write has. */
function flakyFault(seed: number, key: string, now: Date): number {
  let h = seed;
  for (const c of `${key}@${now.toISOString()}`) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return Math.abs(h) % 4;
}

const NEW_PRIMARY_ENV = REPARENT_ENV.newPrimary;
const AVOID_PRIMARY_ENV = REPARENT_ENV.avoidPrimary;

interface ShardSpecFields {
  cluster: string;
  cell: string;
  keyspace: string;
  name: string;
}

function shardFields(shard: KubeObject): ShardSpecFields | undefined {
  const spec = isRecord(shard.spec) ? shard.spec : {};
  const { cluster, cell, keyspace, name } = spec;
  if (typeof cluster !== 'string' || typeof cell !== 'string' || typeof keyspace !== 'string' || typeof name !== 'string') return undefined;
  return { cluster, cell, keyspace, name };
}

function ownedBy(object: KubeObject, owner: KubeObject): boolean {
  return object.metadata.ownerReferences?.some((ref) => ref.controller === true && ref.uid === owner.metadata.uid) === true;
}

/** The state an object carries, whatever its age (the fake Vitess remembers the primary through it). */
function previousState(shard: KubeObject): VitessShardState | undefined {
  return parseVitessState(shard.metadata.annotations?.[VITESS_STATE_ANNOTATION]);
}

function readyTime(pod: KubeObject): number | undefined {
  const conditions = isRecord(pod.status) ? pod.status.conditions : undefined;
  const ready = Array.isArray(conditions) ? conditions.find((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True') : undefined;
  const time = isRecord(ready) && typeof ready.lastTransitionTime === 'string' ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isNaN(time) ? undefined : time;
}

function podIpOf(pod: KubeObject): string {
  const ip = isRecord(pod.status) ? pod.status.podIP : undefined;
  return typeof ip === 'string' ? ip : '';
}

function jobEnv(job: KubeObject, name: string): string | undefined {
  const spec = isRecord(job.spec) && isRecord(job.spec.template) && isRecord(job.spec.template.spec) ? job.spec.template.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers.filter(isRecord) : [];
  for (const container of containers) {
    const env = Array.isArray(container.env) ? container.env.filter(isRecord) : [];
    const found = env.find((e) => e.name === name);
    if (found !== undefined && typeof found.value === 'string') return found.value;
  }
  return undefined;
}

function completion(job: KubeObject): number {
  const time = isRecord(job.status) && typeof job.status.completionTime === 'string' ? Date.parse(job.status.completionTime) : NaN;
  return Number.isNaN(time) ? 0 : time;
}

/** The tablets of one Vitess shard as vtgate would see them now. */
function observedTablets(shards: readonly KubeObject[], objects: readonly KubeObject[], previous: VitessShardState | undefined, now: Date, lagMs: number, lagging: string[], up: Set<string>): ObservedTablet[] {
  const before = new Map((previous?.tablets ?? []).map((t) => [t.alias, t]));
  const tablets = new Map<string, ObservedTablet>();
  for (const shard of shards) {
    const fields = shardFields(shard) as ShardSpecFields;
    const owned = objects.filter((o) => ownedBy(o, shard));
    for (const pod of owned.filter((o) => o.kind === 'Pod')) {
      const uid = Number(pod.metadata.labels?.[LABEL.tabletUid]);
      const type = pod.metadata.labels?.[LABEL.tabletType];
      if (!Number.isInteger(uid) || type === undefined) continue;
      const alias = tabletAlias(fields.cell, uid);
      const since = readyTime(pod);
      const running = pod.metadata.deletionTimestamp === undefined && isReady(pod) && since !== undefined;
      const discovered = running && now.getTime() - since >= lagMs;
      if (running && !discovered) lagging.push(alias);
      if (running) up.add(alias);
      const hostname = discovered ? podIpOf(pod) : (before.get(alias)?.hostname ?? '');
      tablets.set(alias, { alias, cell: fields.cell, type, serving: discovered, hostname });
    }
    // A tablet whose Pod is gone keeps its topology record (and vtgate its entry) while its volume is there.
    for (const old of before.values()) {
      if (tablets.has(old.alias) || old.cell !== fields.cell) continue;
      const claimed = owned.some((o) => o.kind === 'PersistentVolumeClaim' && tabletAlias(fields.cell, Number(o.metadata.labels?.[LABEL.tabletUid])) === old.alias);
      if (claimed) tablets.set(old.alias, { ...old, type: old.type === 'primary' ? 'replica' : old.type, serving: false });
    }
  }
  return [...tablets.values()];
}

/** A reshard target's streams on its primary, or undefined for a shard that runs none. */
function fakeStreams(shards: readonly KubeObject[], objects: readonly KubeObject[], primary: string): VReplicationState | undefined {
  const first = shards[0];
  const fields = first === undefined ? undefined : shardFields(first);
  if (first === undefined || fields === undefined || !isRecord(first.spec) || first.spec.reshardTarget !== true) return undefined;
  const jobs = objects.filter(
    (o) =>
      o.kind === 'Job' &&
      o.metadata.labels?.[LABEL.component] === RESHARD_COMPONENT &&
      o.metadata.labels?.[LABEL.cluster] === fields.cluster &&
      o.metadata.labels?.[LABEL.keyspace] === fields.keyspace &&
      (o.metadata.annotations?.[RESHARD_TARGETS_ANNOTATION] ?? '').split(',').includes(fields.name),
  );
  const done = (step: ReshardStep): KubeObject | undefined => jobs.find((job) => job.metadata.labels?.[RESHARD_STEP_LABEL] === step && isReady(job));
  const created = done('create');
  if (created === undefined || done('complete') !== undefined || done('cancel') !== undefined) return undefined;
  const copied = done('wait-for-copy') !== undefined;
  const sources = (jobEnv(created, 'SOURCE_SHARDS') ?? '').split(',').filter(Boolean);
  const streams = sources.map((source, i) => ({ id: i + 1, source: `${fields.keyspace}/${source}`, workflow: 'reshard', state: copied ? 'Running' : 'Copying', ...(copied ? { lagSeconds: 0 } : {}), rowsCopied: 0, tablesCopied: 0 }));
  return { tablet: primary, streams };
}

/**
 * Who is primary after this round: the previous one, moved by completed reparent Jobs, or elected.
 * A PlannedReparentShard promotes a replica that runs (vtctld reaches tablets directly, whether or not
 * vtgate has discovered them yet), as vtctld would; vtorc elects among the served ones.
 */
function primaryOf(tablets: readonly ObservedTablet[], jobs: readonly KubeObject[], previous: string | null, up: ReadonlySet<string>): string | null {
  const running = (alias: string): boolean => up.has(alias);
  const candidates = tablets.filter((t) => t.type === 'replica' && running(t.alias)).map((t) => t.alias).sort();
  const replicas = tablets.filter((t) => t.type === 'replica' && t.serving).map((t) => t.alias).sort();
  let primary = previous !== null && tablets.some((t) => t.alias === previous) ? previous : null;
  const done = jobs.filter((job) => isReady(job)).sort((a, b) => completion(a) - completion(b) || (a.metadata.name < b.metadata.name ? -1 : 1));
  for (const job of done) {
    const target = jobEnv(job, NEW_PRIMARY_ENV);
    const avoid = jobEnv(job, AVOID_PRIMARY_ENV);
    if (target !== undefined && target !== primary && running(target)) primary = target;
    else if (avoid !== undefined && avoid === primary) primary = candidates.find((alias) => alias !== avoid) ?? primary;
  }
  return primary ?? replicas[0] ?? null;
}

function withAnnotation(shard: KubeObject, text: string): KubeObject {
  return { ...shard, metadata: { ...shard.metadata, annotations: { ...shard.metadata.annotations, [VITESS_STATE_ANNOTATION]: text } } };
}

/** The state without its time, to tell a change from a heartbeat. */
function content(state: VitessShardState | undefined): string {
  return state === undefined ? '' : vitessStateText({ ...state, observedAt: '' });
}

export interface FakeVitessOutcome {
  state: ClusterState;
  /** `update` for a change of the state, `heartbeat` for a rewrite of the same state (not a write that keeps a simulation going). */
  actions: Action[];
  /** Tablets Ready but not yet served (the discovery lag): the world is not at rest while any remain. */
  pending: string[];
}

/** One pass of the fake Vitess over every Vitess shard. */
export function vitessStep(state: ClusterState, now: Date, options: FakeVitessOptions = {}): FakeVitessOutcome {
  const objects = allObjects(state);
  const groups = new Map<string, KubeObject[]>();
  for (const shard of objects.filter((o) => o.kind === SHARD_KIND && o.metadata.deletionTimestamp === undefined)) {
    const fields = shardFields(shard);
    if (fields === undefined) continue;
    const key = JSON.stringify([shard.metadata.namespace ?? '', fields.cluster, fields.keyspace, fields.name]);
    groups.set(key, [...(groups.get(key) ?? []), shard]);
  }
  let current = state;
  const actions: Action[] = [];
  const pending: string[] = [];
  const lagMs = (options.discoveryLagSeconds ?? 0) * 1000;
  for (const key of [...groups.keys()].sort()) {
    const shards = groups.get(key) as KubeObject[];
    const previous = shards.map(previousState).find((s) => s !== undefined);
    const up = new Set<string>();
    const tablets = observedTablets(shards, objects, previous, now, lagMs, pending, up);
    const jobs = objects.filter((o) => o.kind === 'Job' && o.metadata.annotations?.[REPARENT_FOR_ANNOTATION] !== undefined && shards.some((s) => ownedBy(o, s)));
    const primary = primaryOf(tablets, jobs, previous?.primary ?? null, up);
    const typed = tablets.map((t) => ({ ...t, type: t.alias === primary ? 'primary' : t.type === 'primary' ? 'replica' : t.type }));
    const fault = options.flakySeed === undefined ? -1 : flakyFault(options.flakySeed, key, now);
    const observedAt = options.stale === true || fault === 0 ? new Date(now.getTime() - (STATE_MAX_AGE_SECONDS + 1) * 1000) : now;
    const listed = fault === 1 ? typed.filter((t) => t.serving || t.alias === primary) : typed;
    const streams = primary === null ? undefined : fakeStreams(shards, objects, primary);
    const next: VitessShardState = { observedAt: timestamp(observedAt), gates: 1, primary, tablets: listed, ...(streams === undefined ? {} : { vreplication: streams }) };
    const changed = content(next) !== content(previous);
    const age = previous === undefined ? Infinity : observedAt.getTime() - Date.parse(previous.observedAt);
    for (const shard of shards) {
      const stale = shard.metadata.annotations?.[VITESS_STATE_ANNOTATION] === undefined || content(previousState(shard)) !== content(next);
      if (!changed && !stale && age < STATE_HEARTBEAT_SECONDS * 1000) continue;
      const live = getObject(current, storeKey(shard)) as KubeObject;
      current = updateObject(current, withAnnotation(live, vitessStateText(next))).state;
      actions.push({ verb: changed || stale ? 'update' : 'heartbeat', object: objectRef(shard), by: 'vitess' });
    }
  }
  return { state: current, actions, pending };
}

/**
 * A saved state as a world without the observer would hold it: no Vitess state on any VitessShard
 * (`render --no-vitess --from`), so the hooks fall back from the first round.
 */
export function withoutVitessState(objects: readonly KubeObject[]): KubeObject[] {
  return objects.map((object) => {
    const annotations = object.metadata.annotations;
    if (object.kind !== SHARD_KIND || annotations?.[VITESS_STATE_ANNOTATION] === undefined) return object;
    const { [VITESS_STATE_ANNOTATION]: _state, ...rest } = annotations;
    return { ...object, metadata: { ...object.metadata, annotations: rest } };
  });
}
