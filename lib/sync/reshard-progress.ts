/**
 * How far a reshard's copy got and how far its streams lag, for `status.resharding`
 * (docs/decisions/0025-reshard-progress.md): read from the Vitess state channel each target
 * VitessShard carries (lib/vitess/state.ts, its `vreplication` record: what the target primary's
 * vttablet reports of its streams), by the same freshness rules as the rollout's. Unknown (a target
 * without a fresh record, or no stream of the workflow yet) says nothing: no field, never a zero.
 */
import { KIND as SHARD_KIND } from '../api/shard.ts';
import { isRecord, type KubeObject } from '../kube/object.ts';
import { freshVitessState, type ObservedStream } from '../vitess/state.ts';

/** One stream of the workflow: from a source shard into a target shard. */
export interface ReshardStream {
  target: string;
  source: string;
  /** Init, Copying, Running, Lagging, Stopped, Error (Vitess' names). */
  state: string;
  lagSeconds?: number;
  rowsCopied: number;
  tablesCopied: number;
}

export interface ReshardProgress {
  /** When the oldest of the records read was observed. */
  observedAt: string;
  /** Rows copied over every stream; streams still in their copy phase (Init or Copying). */
  copy: { rowsCopied: number; streamsCopying: number };
  /** The largest lag of the streams, present only when every stream's is known. */
  lagSeconds?: number;
  streams: ReshardStream[];
}

const COPYING = new Set(['Init', 'Copying']);

/** The streams of `workflow` on the target shards of `keyspace`, or undefined while any target's are unknown or none exists. */
export function reshardProgress(observed: ReadonlyMap<string, KubeObject>, keyspace: string, targets: readonly string[], workflow: string, now: Date): ReshardProgress | undefined {
  const streams: ReshardStream[] = [];
  let observedAt: string | undefined;
  for (const target of targets) {
    const child = targetShard(observed, keyspace, target);
    const state = child === undefined ? undefined : freshVitessState(child.metadata.annotations, now);
    if (state?.vreplication === undefined) return undefined;
    if (observedAt === undefined || state.observedAt < observedAt) observedAt = state.observedAt;
    for (const stream of state.vreplication.streams) if (stream.workflow === workflow) streams.push(streamOf(target, keyspace, stream));
  }
  if (streams.length === 0 || observedAt === undefined) return undefined;
  const lags = streams.map((s) => s.lagSeconds);
  const known = lags.every((lag): lag is number => lag !== undefined);
  return {
    observedAt,
    copy: { rowsCopied: streams.reduce((sum, s) => sum + s.rowsCopied, 0), streamsCopying: streams.filter((s) => COPYING.has(s.state)).length },
    ...(known ? { lagSeconds: Math.max(...lags) } : {}),
    streams,
  };
}

/** One of this cell's VitessShards of the keyspace, by Vitess shard name (every cell's carries the whole shard's record). */
function targetShard(observed: ReadonlyMap<string, KubeObject>, keyspace: string, shard: string): KubeObject | undefined {
  for (const child of observed.values()) {
    if (child.kind === SHARD_KIND && isRecord(child.spec) && child.spec.keyspace === keyspace && child.spec.name === shard) return child;
  }
  return undefined;
}

function streamOf(target: string, keyspace: string, stream: ObservedStream): ReshardStream {
  // `keyspace/shard`: a Reshard's source is in the same keyspace, shown by its shard name.
  const source = stream.source.startsWith(`${keyspace}/`) ? stream.source.slice(keyspace.length + 1) : stream.source;
  return { target, source, state: stream.state, ...(stream.lagSeconds === undefined ? {} : { lagSeconds: stream.lagSeconds }), rowsCopied: stream.rowsCopied, tablesCopied: stream.tablesCopied };
}
