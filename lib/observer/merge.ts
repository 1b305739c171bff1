/**
 * Several vtgates' views merged into one state per Vitess shard (lib/vitess/state.ts), the view a
 * rollout may trust: a tablet serves only when every vtgate that answered serves from it (a client
 * may reach any of them), and the primary is the tablet with the newest primary term (after a
 * reparent a slow vtgate may still list the old primary; the term start time orders them).
 */
import type { ObservedTablet, VitessShardState } from '../vitess/state.ts';
import type { GateTablet, GateView } from './gateway.ts';

/** `keyspace/shard`, as Vitess names a shard. */
export function shardKey(keyspace: string, shard: string): string {
  return `${keyspace}/${shard}`;
}

/**
 * One state per Vitess shard any vtgate reports, `observedAt` the time of the poll. `views` are the
 * vtgates that answered; a shard none of them reports has no entry (see stateFor).
 */
export function mergeViews(views: readonly GateView[], observedAt: string): Map<string, VitessShardState> {
  const byShard = new Map<string, Map<string, GateTablet[]>>();
  for (const view of views) {
    for (const tablet of view.values()) {
      const key = shardKey(tablet.keyspace, tablet.shard);
      const tablets = byShard.get(key) ?? new Map<string, GateTablet[]>();
      byShard.set(key, tablets);
      tablets.set(tablet.alias, [...(tablets.get(tablet.alias) ?? []), tablet]);
    }
  }
  const states = new Map<string, VitessShardState>();
  for (const [key, tablets] of byShard) states.set(key, shardState(tablets, views.length, observedAt));
  return states;
}

/** The state of a shard the merged views may not mention: known to have no tablets when vtgates answered. */
export function stateFor(states: ReadonlyMap<string, VitessShardState>, key: string, gates: number, observedAt: string): VitessShardState {
  return states.get(key) ?? { observedAt, gates, primary: null, tablets: [] };
}

function shardState(tablets: ReadonlyMap<string, readonly GateTablet[]>, gates: number, observedAt: string): VitessShardState {
  const primary = newestPrimary(tablets);
  const observed: ObservedTablet[] = [];
  for (const [alias, seen] of tablets) observed.push(mergeTablet(alias, seen, gates, alias === primary));
  observed.sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0));
  return { observedAt, gates, primary, tablets: observed };
}

/** The tablet some vtgate lists as primary with the newest term (ties: the smaller alias), or null. */
function newestPrimary(tablets: ReadonlyMap<string, readonly GateTablet[]>): string | null {
  let best: { alias: string; term: number } | undefined;
  for (const [alias, seen] of tablets) {
    for (const t of seen) {
      if (t.type !== 'primary') continue;
      if (best === undefined || t.primaryTermStartTime > best.term || (t.primaryTermStartTime === best.term && alias < best.alias)) best = { alias, term: t.primaryTermStartTime };
    }
  }
  return best?.alias ?? null;
}

/**
 * One tablet over every view. Serving: listed by every answering vtgate, serving in each, all at one
 * address, and (unless it is the primary) not still taken for a primary by some vtgate. Type: the
 * primary's is `primary`; another's is the type most vtgates report that is not `primary` (ties: by
 * name), or `unknown` for an old primary no vtgate has seen demoted yet. Hostname: the one most vtgates reach it at (ties: by name).
 */
function mergeTablet(alias: string, seen: readonly GateTablet[], gates: number, isPrimary: boolean): ObservedTablet {
  const hostnames = new Set(seen.map((t) => t.hostname));
  const types = seen.map((t) => t.type);
  const stalePrimary = !isPrimary && types.includes('primary');
  const serving = seen.length === gates && seen.every((t) => t.serving) && hostnames.size === 1 && !stalePrimary;
  const type = isPrimary ? 'primary' : mostCommon(types.filter((t) => t !== 'primary')) ?? 'unknown';
  return { alias, cell: (seen[0] as GateTablet).cell, type, serving, hostname: mostCommon(seen.map((t) => t.hostname)) ?? '' };
}

function mostCommon(values: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: [string, number] | undefined;
  for (const [value, count] of counts) if (best === undefined || count > best[1] || (count === best[1] && value < best[0])) best = [value, count];
  return best?.[0];
}
