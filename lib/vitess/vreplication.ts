/**
 * What a vttablet reports of its VReplication streams on its web port (Vitess v24.0.3,
 * go/vt/vttablet/tabletmanager/vreplication/stats.go, `vrStats.register`): `GET /debug/vars` answers
 * expvar JSON, one key per variable. A Reshard workflow runs its streams on the target shards'
 * primaries, one stream per source shard, so a target primary's variables are the copy's progress.
 *
 *   "VReplicationSource":             {"<id>": "<source keyspace>/<source shard>"}
 *   "VReplicationStreamState":        {"<workflow>.<type>.<id>": "Copying"}           (string map)
 *   "VReplicationLagSeconds":         {"<ks>.<shard>.<workflow>.<type>.<id>": 3}       (gauges)
 *   "VReplicationCopyRowCount":       {"<ks>.<shard>.<workflow>.<type>.<id>": 1200}    (gauges)
 *   "VReplicationTableCopyRowCounts": {"<ks>.<shard>.<workflow>.<type>.<id>.<table>": 1200}
 *
 * <ks>/<shard> are the stream's source, <type> the workflow type's name (binlogdata's
 * VReplicationWorkflowType: `Reshard`, `MoveTables`, ...), <id> the row of _vt.vreplication. The keys
 * are joined with "." by the stats functions themselves (no escaping), so a stream is matched by its
 * id, the last segment, and a table by the stream's key as a prefix.
 *
 * - State: binlogdata's VReplicationWorkflowState names: Unknown, Init, Stopped, Copying, Running,
 *   Error, Lagging.
 * - Lag: binlogplayer.NewStats starts it at math.MaxInt64 and vplayer sets it back there when it
 *   stops, so a huge value means "not known" (no event applied yet), not a lag.
 * - Copied rows: the stream's counter, restored from _vt.vreplication.rows_copied when the tablet
 *   restarts; per table, only since the tablet started (vcopier adds as it inserts).
 */
import { PORTS } from './ports.ts';

export const VARS_PATH = '/debug/vars';
/**
 * The vttablet container's port that serves it (lib/templates/tablet.ts names it `web`), used when
 * vtgate's copy of the tablet record gives none: the record's `port_map.vt` is vttablet's own HTTP
 * port (go/cmd/vttablet/cli: BuildTabletFromInput(alias, servenv.Port(), ...)).
 */
export const VARS_PORT = PORTS.web;

export const VARS = {
  source: 'VReplicationSource',
  state: 'VReplicationStreamState',
  lag: 'VReplicationLagSeconds',
  rowsCopied: 'VReplicationCopyRowCount',
  tableRowsCopied: 'VReplicationTableCopyRowCounts',
} as const;

export const STREAM_STATES = ['Unknown', 'Init', 'Stopped', 'Copying', 'Running', 'Error', 'Lagging'] as const;

/** A lag at or above this is vttablet's "not known" (math.MaxInt64, read by JSON.parse as ~9.2e18). */
export const UNKNOWN_LAG_SECONDS = 2 ** 53;
