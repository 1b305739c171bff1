/**
 * One vtgate's view: its `/debug/gateway` answer (lib/vitess/gateway.ts), validated at the edge and
 * reduced to what the state channel carries, one entry per tablet.
 */
import * as v from 'valibot';
import { tabletTypeName } from '../vitess/gateway.ts';
import { tabletAlias } from '../vitess/tablets.ts';

const TabletType = v.optional(v.union([v.pipe(v.number(), v.integer()), v.string()]));
const Target = v.looseObject({
  keyspace: v.optional(v.string(), ''),
  shard: v.optional(v.string(), ''),
  tablet_type: TabletType,
});
const Tablet = v.looseObject({
  alias: v.looseObject({ cell: v.optional(v.string(), ''), uid: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0) }),
  hostname: v.optional(v.string(), ''),
  /** The ports vttablet registered: `vt` is its web port (servenv.Port, go/cmd/vttablet/cli), `grpc`. */
  port_map: v.optional(v.nullable(v.record(v.string(), v.number()))),
  keyspace: v.optional(v.string(), ''),
  shard: v.optional(v.string(), ''),
  type: TabletType,
});
const TabletHealth = v.looseObject({
  Tablet,
  Target: v.optional(v.nullable(Target)),
  Serving: v.optional(v.boolean(), false),
  PrimaryTermStartTime: v.optional(v.number(), 0),
});
/** The whole answer: the cache, one entry per cell/keyspace/shard/type (null when the cache is empty). */
export const GatewayStatus = v.nullable(
  v.array(
    v.looseObject({
      Cell: v.optional(v.string(), ''),
      Target: v.optional(v.nullable(Target)),
      TabletsStats: v.optional(v.nullable(v.array(TabletHealth))),
    }),
  ),
);

/** A tablet as one vtgate sees it. */
export interface GateTablet {
  alias: string;
  cell: string;
  keyspace: string;
  shard: string;
  /** The type the tablet serves as (its health stream's target), lower case. */
  type: string;
  serving: boolean;
  hostname: string;
  /** When the tablet became primary (seconds since the epoch), 0 when it is not one. */
  primaryTermStartTime: number;
  /** The web port the tablet registered (its record's `port_map.vt`), 0 when not given. */
  webPort: number;
}

/** What one vtgate answered: its tablets, by alias. */
export type GateView = ReadonlyMap<string, GateTablet>;

export type ParsedGateway = { ok: true; view: GateView } | { ok: false; error: string };

/**
 * A vtgate's `/debug/gateway` JSON as a view. A tablet listed twice (vtgate lists a tablet under its
 * current target only, but a cache caught mid-change may not) counts once: serving if either entry serves.
 */
export function parseGateway(json: unknown): ParsedGateway {
  const parsed = v.safeParse(GatewayStatus, json);
  if (!parsed.success) return { ok: false, error: `not vtgate's /debug/gateway: ${v.summarize(parsed.issues).slice(0, 300)}` };
  const view = new Map<string, GateTablet>();
  for (const entry of parsed.output ?? []) {
    for (const health of entry.TabletsStats ?? []) {
      const tablet = tabletOf(health, entry.Target ?? undefined);
      if (tablet === undefined) continue;
      const seen = view.get(tablet.alias);
      if (seen === undefined || (!seen.serving && tablet.serving)) view.set(tablet.alias, tablet);
    }
  }
  return { ok: true, view };
}

function tabletOf(health: v.InferOutput<typeof TabletHealth>, entryTarget: v.InferOutput<typeof Target> | undefined): GateTablet | undefined {
  const { Tablet: t } = health;
  const target = health.Target ?? entryTarget;
  const cell = t.alias.cell;
  const keyspace = target?.keyspace || t.keyspace;
  const shard = target?.shard || t.shard;
  if (cell === '' || keyspace === '' || shard === '') return undefined;
  return {
    alias: tabletAlias(cell, t.alias.uid),
    cell,
    keyspace,
    shard,
    type: tabletTypeName(target?.tablet_type ?? t.type),
    serving: health.Serving,
    hostname: t.hostname,
    primaryTermStartTime: health.PrimaryTermStartTime,
    webPort: webPortOf(t.port_map),
  };
}

function webPortOf(ports: Readonly<Record<string, number>> | null | undefined): number {
  const port = ports?.vt;
  return port !== undefined && Number.isInteger(port) && port > 0 && port < 65536 ? port : 0;
}
