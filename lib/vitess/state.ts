/**
 * The Vitess state channel: what Vitess itself reports about a shard, written by the observer
 * (hooks/observer.ts) as an annotation on every VitessShard of that Vitess shard (one per cell), and
 * read by sync-shard. The hooks stay pure functions of what Metacontroller sends them: this annotation
 * is part of the parent object in the sync request.
 *
 * The view is vtgate's (its `/debug/gateway` health-check cache): which tablet serves as primary,
 * each tablet's serving type, whether vtgate serves from it, and at which address vtgate reaches it.
 * That is what a rollout must pace on: a recreated tablet counts only once vtgate serves from it.
 *
 * For a shard that is a reshard target the observer adds what its primary's vttablet reports of its
 * VReplication streams (`vreplication`: lib/vitess/vreplication.ts), the copy's progress and lag,
 * which the keyspace reports in `status.resharding`. Absent when not read (not a target, the
 * primary unknown or not answering): unknown, never zero.
 *
 * Missing, unparsable or stale state is unknown: the hooks fall back to the behaviour that needs no
 * Vitess state (a reparent before every primary-eligible tablet, spaced by vtgate's buffer window).
 */
import * as v from 'valibot';

/** The annotation on a VitessShard that carries the Vitess shard's state, as JSON. */
export const VITESS_STATE_ANNOTATION = 'vitess.io/vitess-state';

/**
 * State older than this is unknown. The observer rewrites the annotation on every change and at
 * least every STATE_HEARTBEAT_SECONDS, so a live observer never lets it go stale.
 */
export const STATE_MAX_AGE_SECONDS = 60;
export const STATE_HEARTBEAT_SECONDS = 20;

/** A tablet alias as Vitess prints it: `<cell>-<uid>`, the uid zero-padded to 10 digits. */
const Alias = v.pipe(v.string(), v.regex(/^[a-z0-9]([a-z0-9_-]{0,62})-\d{10}$/u));

export const ObservedTablet = v.object({
  alias: Alias,
  cell: v.pipe(v.string(), v.minLength(1), v.maxLength(63)),
  /** The serving type vtgate reports (`primary`, `replica`, `rdonly`, `spare`, `backup`, ...), lower case. */
  type: v.pipe(v.string(), v.regex(/^[a-z_]{1,32}$/u)),
  /** True only when every vtgate that answered serves from this tablet. */
  serving: v.boolean(),
  /** The address vtgate reaches the tablet at (the tablet record's hostname: the Pod IP). */
  hostname: v.pipe(v.string(), v.maxLength(253)),
});
export type ObservedTablet = v.InferOutput<typeof ObservedTablet>;

const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

/** One VReplication stream on the shard's primary, as its vttablet reports it. */
export const ObservedStream = v.object({
  /** The stream's row in _vt.vreplication. */
  id: Count,
  /** The source shard, `keyspace/shard`. */
  source: v.pipe(v.string(), v.maxLength(200)),
  workflow: v.pipe(v.string(), v.maxLength(128)),
  /** Init, Stopped, Copying, Running, Error, Lagging (binlogdata's VReplicationWorkflowState), or Unknown. */
  state: v.pipe(v.string(), v.regex(/^[A-Za-z]{1,32}$/u)),
  /** Seconds behind the source; absent while vttablet does not know (no event applied yet). */
  lagSeconds: v.optional(Count),
  /** Rows the copy phase inserted so far (kept once the copy is done). */
  rowsCopied: Count,
  /** Tables the copy inserted rows into since the tablet started. */
  tablesCopied: Count,
});
export type ObservedStream = v.InferOutput<typeof ObservedStream>;

export const VReplicationState = v.object({
  /** The tablet whose streams these are: the shard's primary. */
  tablet: Alias,
  /** Its streams, by id. */
  streams: v.pipe(v.array(ObservedStream), v.maxLength(256)),
});
export type VReplicationState = v.InferOutput<typeof VReplicationState>;

export const VitessShardState = v.object({
  /** When the observer read it (RFC 3339). */
  observedAt: v.pipe(v.string(), v.isoTimestamp()),
  /** How many vtgate Pods answered; 0 means nothing is known. */
  gates: v.pipe(v.number(), v.integer(), v.minValue(0)),
  /** The alias of the tablet vtgate serves as primary (the newest primary term), or null when none. */
  primary: v.nullable(Alias),
  /** Every tablet of the Vitess shard (all cells) vtgate knows, sorted by alias. */
  tablets: v.pipe(v.array(ObservedTablet), v.maxLength(2048)),
  /** The primary's VReplication streams, read at the same poll (reshard targets only); absent when unknown. */
  vreplication: v.optional(VReplicationState),
});
export type VitessShardState = v.InferOutput<typeof VitessShardState>;

/**
 * The Vitess state an object carries, or undefined when it carries none, it does not parse, no vtgate
 * answered, or it is older than STATE_MAX_AGE_SECONDS at `now` (or dated in the future beyond the
 * same bound: a clock that disagrees that much is not to be trusted either).
 */
export function freshVitessState(annotations: Readonly<Record<string, string>> | undefined, now: Date): VitessShardState | undefined {
  const state = parseVitessState(annotations?.[VITESS_STATE_ANNOTATION]);
  if (state === undefined || state.gates === 0) return undefined;
  const age = now.getTime() - Date.parse(state.observedAt);
  return Math.abs(age) <= STATE_MAX_AGE_SECONDS * 1000 ? state : undefined;
}

/** The annotation's text read as a state, whatever its age; undefined when absent or not a state. */
export function parseVitessState(text: string | undefined): VitessShardState | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = v.safeParse(VitessShardState, JSON.parse(text));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}

/** The annotation's text for a state: stable key order, so an unchanged state writes the same bytes. */
export function vitessStateText(state: VitessShardState): string {
  const tablets = [...state.tablets]
    .sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0))
    .map((t) => ({ alias: t.alias, cell: t.cell, type: t.type, serving: t.serving, hostname: t.hostname }));
  const vreplication = state.vreplication === undefined ? {} : { vreplication: vreplicationText(state.vreplication) };
  return JSON.stringify({ observedAt: state.observedAt, gates: state.gates, primary: state.primary, tablets, ...vreplication });
}

function vreplicationText(record: VReplicationState): VReplicationState {
  const streams = [...record.streams]
    .sort((a, b) => a.id - b.id)
    .map((s) => ({ id: s.id, source: s.source, workflow: s.workflow, state: s.state, ...(s.lagSeconds === undefined ? {} : { lagSeconds: s.lagSeconds }), rowsCopied: s.rowsCopied, tablesCopied: s.tablesCopied }));
  return { tablet: record.tablet, streams };
}
