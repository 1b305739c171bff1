/**
 * vtgate's health-check cache, as its web port serves it (Vitess v24, go/vt/discovery):
 * `GET /debug/gateway` on the web port answers JSON, the cache sorted by cell/keyspace/shard/type:
 *
 *   [{"Cell": "zone1", "Target": {"keyspace": "commerce", "shard": "0", "tablet_type": 1},
 *     "TabletsStats": [{"Tablet": {"alias": {"cell": "zone1", "uid": 101}, "hostname": "10.0.0.7",
 *                                  "keyspace": "commerce", "shard": "0", "type": 1, ...},
 *                       "Target": {...}, "Serving": true, "PrimaryTermStartTime": 1733580000,
 *                       "Stats": {...}, "LastError": null}]}]
 *
 * healthcheck.go registers the handler (`servenv.HTTPHandle("/debug/gateway", hc)`) and marshals
 * `CacheStatus()` with encoding/json; tablet_health.go's MarshalJSON names the fields of each tablet.
 * The protobuf messages go through encoding/json too, so their fields carry the generated `json` tags
 * (snake case, omitempty) and enums are numbers (topodata.proto's TabletType). The serving type is
 * the Target's (the tablet's health stream): the Tablet record is the one vtgate read from the
 * topology and may lag (seen on v24.0.3: a primary listed under tablet_type 1 with Tablet.type 2).
 */
import { PORTS } from './ports.ts';

export const GATEWAY_PATH = '/debug/gateway';
/** The vtgate container's port that serves it (its `web` port). */
export const GATEWAY_PORT_NAME = 'web';
export const GATEWAY_PORT = PORTS.web;

/** topodata.proto's TabletType, by number (MASTER and BATCH are older names of 1 and 3). */
export const TABLET_TYPES: Readonly<Record<number, string>> = {
  0: 'unknown',
  1: 'primary',
  2: 'replica',
  3: 'rdonly',
  4: 'spare',
  5: 'experimental',
  6: 'backup',
  7: 'restore',
  8: 'drained',
};

/** A TabletType as vtgate writes it (a number; a name from a marshaller that names enums), lower case. */
export function tabletTypeName(value: number | string | undefined): string {
  if (value === undefined) return TABLET_TYPES[0] as string;
  if (typeof value === 'number') return TABLET_TYPES[value] ?? 'unknown';
  const name = value.toLowerCase();
  return name === 'master' ? 'primary' : name === 'batch' ? 'rdonly' : name;
}
