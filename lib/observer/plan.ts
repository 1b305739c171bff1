/**
 * What the observer writes after a poll: for each VitessShard, the state of its Vitess shard as the
 * vtgates of its cluster see it, written only when it changed or is STATE_HEARTBEAT_SECONDS old
 * (so a live observer keeps it fresh, lib/vitess/state.ts, and a quiet cluster costs one small
 * write per VitessShard every heartbeat).
 */
import { LABEL } from '../vitess/labels.ts';
import { parseVitessState, STATE_HEARTBEAT_SECONDS, VITESS_STATE_ANNOTATION, type ObservedStream, type VitessShardState, vitessStateText, type VReplicationState } from '../vitess/state.ts';
import { VARS_PATH, VARS_PORT } from '../vitess/vreplication.ts';
import type { GateView } from './gateway.ts';
import { mergeViews, shardKey, stateFor } from './merge.ts';

/** How often the observer asks the vtgates (hooks/observer.ts's default, metacontroller/observer.yaml's setting). */
export const POLL_INTERVAL_SECONDS = 5;

/** The fields of a VitessShard the observer reads. */
export interface ShardRef {
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** spec.keyspace and spec.name: the Vitess shard. */
  keyspace: string;
  shard: string;
  /** spec.reshardTarget: the shard's primary runs a Reshard workflow's streams, whose progress the observer reads. */
  reshardTarget?: boolean;
}

/** The vtgate Pods of one cluster (namespace and `vitess.io/cluster` label) that answered, and how many were asked. */
export interface ClusterViews {
  namespace: string;
  cluster: string;
  views: readonly GateView[];
  /** The VReplication streams read from primaries this poll, by `keyspace/shard` (varsTargets). */
  vreplication?: ReadonlyMap<string, VReplicationState>;
}

/** A primary tablet to ask for its `/debug/vars`: a reshard target's, found in vtgate's view. */
export interface VarsTarget {
  namespace: string;
  cluster: string;
  /** `keyspace/shard`. */
  shard: string;
  /** The primary's alias. */
  tablet: string;
  url: string;
}

/** One merge patch of a VitessShard's annotation. */
export interface StatePatch {
  namespace: string;
  name: string;
  text: string;
  /** Why: `changed` or `heartbeat`. */
  reason: 'changed' | 'heartbeat';
}

/** The merge patch body that sets the annotation and touches nothing else. */
export function annotationPatch(text: string): { metadata: { annotations: Record<string, string> } } {
  return { metadata: { annotations: { [VITESS_STATE_ANNOTATION]: text } } };
}

export function clusterKey(namespace: string, cluster: string): string {
  return `${namespace}/${cluster}`;
}

/**
 * The patches of one poll. A VitessShard whose cluster has no vtgate Pod at all is left alone (its
 * state goes stale, which the hooks read as unknown); one whose vtgates were asked but none
 * answered gets `gates: 0` (unknown at once).
 */
export function planPatches(shards: readonly ShardRef[], clusters: readonly ClusterViews[], now: Date): StatePatch[] {
  const observedAt = now.toISOString();
  const merged = new Map(clusters.map((c) => [clusterKey(c.namespace, c.cluster), { gates: c.views.length, states: mergeViews(c.views, observedAt), vreplication: c.vreplication }]));
  const patches: StatePatch[] = [];
  for (const shard of shards) {
    const cluster = shard.labels[LABEL.cluster];
    if (cluster === undefined) continue;
    const views = merged.get(clusterKey(shard.namespace, cluster));
    if (views === undefined) continue;
    const key = shardKey(shard.keyspace, shard.shard);
    const state = withStreams(stateFor(views.states, key, views.gates, observedAt), views.vreplication?.get(key));
    const reason = writeReason(shard.annotations[VITESS_STATE_ANNOTATION], state, now);
    if (reason !== undefined) patches.push({ namespace: shard.namespace, name: shard.name, text: vitessStateText(state), reason });
  }
  return patches;
}

/**
 * A stream's lag that moved by less than this is no change: under a steady writer vttablet's lag
 * jitters by a second from poll to poll, and a write per poll would sync the shard and its keyspace
 * every 5 s. The small move goes out with the next heartbeat.
 */
export const LAG_CHANGE_SECONDS = 5;

/** `next` with each stream's lag as `held` has it, when both are known and within LAG_CHANGE_SECONDS. */
function withHeldLag(next: VitessShardState, held: VitessShardState): VitessShardState {
  if (next.vreplication === undefined || held.vreplication === undefined) return next;
  const before = new Map(held.vreplication.streams.map((s) => [`${s.id}/${s.source}`, s.lagSeconds]));
  const streams = next.vreplication.streams.map((s) => {
    const lag = before.get(`${s.id}/${s.source}`);
    return lag !== undefined && s.lagSeconds !== undefined && Math.abs(lag - s.lagSeconds) < LAG_CHANGE_SECONDS ? { ...s, lagSeconds: lag } : s;
  });
  return { ...next, vreplication: { ...next.vreplication, streams } };
}

/** Why the annotation must be written, or undefined when what it holds is the same state and recent. */
export function writeReason(current: string | undefined, next: VitessShardState, now: Date): StatePatch['reason'] | undefined {
  const held = parseVitessState(current);
  if (held === undefined) return 'changed';
  if (vitessStateText({ ...held, observedAt: next.observedAt }) !== vitessStateText(withHeldLag(next, held))) return 'changed';
  const age = now.getTime() - Date.parse(held.observedAt);
  return age >= STATE_HEARTBEAT_SECONDS * 1000 || age < 0 ? 'heartbeat' : undefined;
}

/**
 * The views of one poll grouped by cluster: every cluster with a vtgate asked appears, with the views
 * of the vtgates that answered (answers[i] is targets[i]'s, undefined when it did not answer).
 */
export function groupViews(targets: readonly { namespace: string; cluster: string }[], answers: readonly (GateView | undefined)[]): ClusterViews[] {
  const clusters = new Map<string, ClusterViews & { views: GateView[] }>();
  targets.forEach((target, i) => {
    const key = clusterKey(target.namespace, target.cluster);
    const entry = clusters.get(key) ?? { namespace: target.namespace, cluster: target.cluster, views: [] };
    clusters.set(key, entry);
    const answer = answers[i];
    if (answer !== undefined) entry.views.push(answer);
  });
  return [...clusters.values()];
}

/** The state with the primary's streams, when they were read from the tablet the state names primary. */
function withStreams(state: VitessShardState, record: VReplicationState | undefined): VitessShardState {
  return record !== undefined && record.tablet === state.primary ? { ...state, vreplication: record } : state;
}

/**
 * The primaries whose `/debug/vars` a poll reads: one per Vitess shard that some VitessShard marks a
 * reshard target, at the address and as the primary the merged vtgate view names (none when no vtgate
 * lists a primary for it), on the web port its tablet record gives (our tablets' default otherwise). Every VitessShard of the shard (one per cell) carries what it answers.
 */
export function varsTargets(shards: readonly ShardRef[], clusters: readonly ClusterViews[]): VarsTarget[] {
  const targets = new Map<string, VarsTarget>();
  const merged = new Map(clusters.map((c) => [clusterKey(c.namespace, c.cluster), mergeViews(c.views, '')]));
  for (const shard of shards) {
    const cluster = shard.labels[LABEL.cluster];
    if (shard.reshardTarget !== true || cluster === undefined) continue;
    const key = shardKey(shard.keyspace, shard.shard);
    const state = merged.get(clusterKey(shard.namespace, cluster))?.get(key);
    const primary = state?.tablets.find((t) => t.alias === state.primary);
    if (primary === undefined || primary.hostname === '') continue;
    const host = primary.hostname.includes(':') ? `[${primary.hostname}]` : primary.hostname;
    const port = webPort(clusters, shard.namespace, cluster, primary.alias) || VARS_PORT;
    targets.set(`${clusterKey(shard.namespace, cluster)}/${key}`, { namespace: shard.namespace, cluster, shard: key, tablet: primary.alias, url: `http://${host}:${port}${VARS_PATH}` });
  }
  return [...targets.values()];
}

/** The web port a vtgate of the cluster has for the tablet in its record, 0 when none says. */
function webPort(clusters: readonly ClusterViews[], namespace: string, cluster: string, alias: string): number {
  const views = clusters.find((c) => c.namespace === namespace && c.cluster === cluster)?.views ?? [];
  for (const view of views) {
    const port = view.get(alias)?.webPort ?? 0;
    if (port > 0) return port;
  }
  return 0;
}

/** The poll's clusters with the streams each primary answered (answers[i] is targets[i]'s, undefined when it did not answer). */
export function withVReplication(clusters: readonly ClusterViews[], targets: readonly VarsTarget[], answers: readonly (readonly ObservedStream[] | undefined)[]): ClusterViews[] {
  return clusters.map((c) => {
    const records = new Map<string, VReplicationState>();
    targets.forEach((target, i) => {
      const streams = answers[i];
      if (streams !== undefined && target.namespace === c.namespace && target.cluster === c.cluster) records.set(target.shard, { tablet: target.tablet, streams: [...streams] });
    });
    return records.size === 0 ? c : { ...c, vreplication: records };
  });
}
