/**
 * A vttablet's `/debug/vars` (lib/vitess/vreplication.ts), validated at the edge and reduced to what
 * the state channel carries of its VReplication streams: per stream its source, workflow, state, lag,
 * and rows and tables copied. The rest of the answer (hundreds of other variables) is ignored.
 */
import * as v from 'valibot';
import type { ObservedStream } from '../vitess/state.ts';
import { UNKNOWN_LAG_SECONDS, VARS } from '../vitess/vreplication.ts';

/** A JSON object, not an array (valibot's record and looseObject take arrays too). */
const JsonObject = v.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'an object, not an array');
const Numbers = v.optional(v.pipe(JsonObject, v.record(v.string(), v.number())), {});
const Strings = v.optional(v.pipe(JsonObject, v.record(v.string(), v.string())), {});

/** The variables read; a vttablet without VReplication (an old build, the engine closed) lacks them: no stream. */
const Vars = v.pipe(
  JsonObject,
  v.looseObject({
    [VARS.source]: Strings,
    [VARS.state]: Strings,
    [VARS.lag]: Numbers,
    [VARS.rowsCopied]: Numbers,
    [VARS.tableRowsCopied]: Numbers,
  }),
);

export type ParsedVars = { ok: true; streams: ObservedStream[] } | { ok: false; error: string };

/** The key's last "."-separated segment: a stream's id in every VReplication variable but the per-table one. */
function lastSegment(key: string): string {
  return key.slice(key.lastIndexOf('.') + 1);
}

function count(value: number | undefined): number {
  return value !== undefined && Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/**
 * The streams a vttablet's `/debug/vars` JSON reports, by id. A stream is one `VReplicationSource`
 * lists; its other figures are found by id (the last segment of their keys), and its tables by its
 * gauge key (`<ks>.<shard>.<workflow>.<type>.<id>`) as a prefix.
 */
export function parseVars(json: unknown): ParsedVars {
  const parsed = v.safeParse(Vars, json);
  if (!parsed.success) return { ok: false, error: `not vttablet's /debug/vars: ${v.summarize(parsed.issues).slice(0, 300)}` };
  const vars = parsed.output;
  const byId = <T>(record: Readonly<Record<string, T>>): Map<string, { key: string; value: T }> => new Map(Object.entries(record).map(([key, value]) => [lastSegment(key), { key, value }]));
  const states = byId(vars[VARS.state]);
  const lags = byId(vars[VARS.lag]);
  const rows = byId(vars[VARS.rowsCopied]);
  const streams: ObservedStream[] = [];
  for (const [id, source] of Object.entries(vars[VARS.source])) {
    if (!/^\d{1,9}$/u.test(id)) continue;
    const state = states.get(id);
    // `<workflow>.<type>.<id>`: the workflow is what precedes the type (type names have no dot).
    const workflow = state === undefined ? '' : state.key.split('.').slice(0, -2).join('.');
    const lag = lags.get(id)?.value;
    const gaugeKey = lags.get(id)?.key ?? rows.get(id)?.key;
    const tables = gaugeKey === undefined ? [] : Object.keys(vars[VARS.tableRowsCopied]).filter((key) => key.startsWith(`${gaugeKey}.`) && count(vars[VARS.tableRowsCopied][key]) > 0);
    streams.push({
      id: Number(id),
      source: source.slice(0, 200),
      workflow: workflow.slice(0, 128),
      state: state !== undefined && /^[A-Za-z]{1,32}$/u.test(state.value) ? state.value : 'Unknown',
      ...(lag !== undefined && Number.isSafeInteger(lag) && lag >= 0 && lag < UNKNOWN_LAG_SECONDS ? { lagSeconds: lag } : {}),
      rowsCopied: count(rows.get(id)?.value),
      tablesCopied: tables.length,
    });
  }
  streams.sort((a, b) => a.id - b.id);
  return { ok: true, streams: streams.slice(0, 256) };
}
