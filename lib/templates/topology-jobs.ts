/**
 * The Jobs that make the topology follow the spec down (docs/decisions/0023-topology-follows-the-spec.md):
 * a removed tablet's record is deleted once its Pod is gone (by its shard's layer), a removed shard's
 * record once its tablets' records are gone (by its keyspace's layer), a removed keyspace's once its
 * shards are gone (by its cell's layer), a removed cell's CellInfo once its keyspaces are gone (by the
 * cluster's layer).
 *
 * Each Job is idempotent: an absent record is success, so a Job run again after a crash, or by a second
 * cell, does no harm. Names come in as environment variables and are read as "$X", never pasted into
 * the script. A record that names another keyspace or shard than the one the Job was made for is not
 * the operator's: it is left alone.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { TlsSpec } from '../api/access.ts';
import { objectName } from '../kube/names.ts';
import { CELL_HAS_KEYSPACES, KEYSPACE_HAS_SHARDS, SHARD_HAS_TABLETS, SHARD_NOT_SERVING_IN_CELL, TOPO_NO_NODE } from '../vitess/topology.ts';
import type { Scope } from './meta.ts';
import { type TabletIdentity, tabletLabels } from './tablet.ts';
import { vtctldclientJob } from './vtctldclient-job.ts';

export const TABLET_RECORD_COMPONENT = 'tablet-record';
export const SHARD_RECORD_COMPONENT = 'shard-record';
export const KEYSPACE_RECORD_COMPONENT = 'keyspace-record';
export const CELL_RECORD_COMPONENT = 'cell-record';

/** Retries before the Job is Failed: vtctld may be restarting; a lasting failure is reported. */
const BACKOFF_LIMIT = 6;

/** `Job/<object>-unregister`: deletes the record of a tablet, shard, keyspace or cell, named after its object. */
export function recordJobName(object: string): string {
  return objectName([object, 'unregister']);
}

export const tabletRecordJobName = recordJobName;

/**
 * A script's first lines: read the record with `get` (fixed text reading values as "$X"); an absent
 * record (NoNode) means there is nothing to delete and the Job is done; any other failure fails the
 * try. The record is left in `$out`.
 */
function readRecord(get: string, what: string): string[] {
  return [
    `if ! out=$(vtctldclient ${get} 2>&1); then`,
    `  case "$out" in *"${TOPO_NO_NODE}"*) echo "no record of ${what}: nothing to delete"; exit 0;; esac`,
    `  echo "$out" >&2; exit 1`,
    `fi`,
  ];
}

/**
 * Runs `command`; a failure whose text holds `expected` is what Vitess says in a known, harmless case:
 * `message` is printed and the script goes on (`then: 'next'`) or the Job is done (`then: 'done'`).
 * Any other failure fails the try.
 */
function tolerating(command: string, expected: string, message: string, then: 'next' | 'done'): string[] {
  return [
    `if ! out=$(vtctldclient ${command} 2>&1); then`,
    `  case "$out" in *"${expected}"*) echo "$out"; echo "${message}"${then === 'done' ? '; exit 0' : ''};; *) echo "$out" >&2; exit 1;; esac`,
    `fi`,
  ];
}

/**
 * The record as vtctldclient prints it (protojson, whose spacing varies by build, hence whitespace
 * removed) must hold `"field":"$VARIABLE"`, or it is not the operator's: left alone, the Job done.
 */
function ownedField(field: string, variable: string, what: string): string {
  return `case "$compact" in *'"${field}":"'"$${variable}"'"'*) ;; *) echo "${what}: not ours, left alone"; exit 0;; esac`;
}

const COMPACT = `compact=$(printf '%s' "$out" | tr -d ' \\t\\n')`;

/** What every record Job is given besides its names. */
export interface RecordJobBase {
  image: string;
  vtctldAddress: string;
  tls?: TlsSpec;
}

/** The record Job's vtctld connection and image, from a layer's spec (every layer passes them down). */
export function recordJobBase(spec: { images: { vitess: string }; vtctldAddress: string; tls?: TlsSpec }): RecordJobBase {
  return { image: spec.images.vitess, vtctldAddress: spec.vtctldAddress, ...(spec.tls === undefined ? {} : { tls: spec.tls }) };
}

function recordJob(base: RecordJobBase, scope: Scope, name: string, component: string, values: Record<string, string>, lines: readonly string[], labels?: Record<string, string>): V1Job {
  return vtctldclientJob({
    scope,
    name,
    component,
    image: base.image,
    vtctldAddress: base.vtctldAddress,
    tls: base.tls,
    run: { values, script: lines.join('\n') },
    ...(labels === undefined ? {} : { labels }),
    backoffLimit: BACKOFF_LIMIT,
  });
}

export interface TabletRecordJob extends RecordJobBase {
  scope: Scope & { cell: string; keyspace: string; shard: string };
  tablet: TabletIdentity;
  alias: string;
  /**
   * `DeleteTablets --allow-primary`: only when the whole shard is leaving. A pool that shrinks moved
   * the primary away first (PlannedReparentShard), so a primary record there is a surprise: the Job
   * fails ("cannot delete tablet ... as it is a primary") and the status says so.
   */
  allowPrimary: boolean;
}

/** Deletes a removed tablet's record: GetTablet; absent is done; ours (keyspace and shard match) is deleted. */
export function tabletRecordJob(job: TabletRecordJob): V1Job {
  const { scope } = job;
  return recordJob(
    job,
    scope,
    tabletRecordJobName(job.tablet.name),
    TABLET_RECORD_COMPONENT,
    { TABLET_ALIAS: job.alias, KEYSPACE: scope.keyspace, SHARD: scope.shard },
    [
      ...readRecord('GetTablet "$TABLET_ALIAS"', 'tablet $TABLET_ALIAS'),
      COMPACT,
      ownedField('keyspace', 'KEYSPACE', 'tablet $TABLET_ALIAS is not in keyspace $KEYSPACE'),
      ownedField('shard', 'SHARD', 'tablet $TABLET_ALIAS is not in shard $SHARD'),
      `vtctldclient DeleteTablets${job.allowPrimary ? ' --allow-primary' : ''} "$TABLET_ALIAS"`,
      `echo "deleted the record of tablet $TABLET_ALIAS"`,
    ],
    tabletLabels(job.tablet),
  );
}

export interface ShardRecordJob extends RecordJobBase {
  scope: Scope & { cell: string; keyspace: string };
  /** The VitessShard's object name, which names the Job. */
  shardObject: string;
  shard: string;
  /**
   * Take the shard out of this cell's serving graph first (`RemoveShardCell`). Not when the whole
   * keyspace leaves the cell: its own Job's `RemoveKeyspaceCell` does it for every shard, and deletes
   * the cell's SrvKeyspace, which it refuses to do for a shard already taken out.
   */
  removeFromCell: boolean;
}

/**
 * Deletes a removed shard's record once its tablets' records are gone (the shard's layer deleted them).
 * First `RemoveShardCell` takes the shard out of this cell's SrvKeyspace partitions (a shard that no
 * longer serves there, as after a reshard, is not in them: fine); a rebuild would not do it, since
 * Vitess refuses to rebuild a serving graph with a hole in the key range, and a removed shard of a
 * sharded keyspace leaves one. Then `DeleteShards --even-if-serving` (the user confirmed the removal).
 * Without `--recursive`, DeleteShards refuses while another cell still has tablet records of the
 * shard: that cell's keyspace runs the same Job once its own are gone, and deletes the shard then.
 */
export function shardRecordJob(job: ShardRecordJob): V1Job {
  const { scope } = job;
  const removeFromCell = tolerating('RemoveShardCell "$KEYSPACE/$SHARD" "$CELL"', SHARD_NOT_SERVING_IN_CELL, 'shard $KEYSPACE/$SHARD does not serve in cell $CELL', 'next');
  return recordJob(
    job,
    { ...scope, shard: job.shard },
    recordJobName(job.shardObject),
    SHARD_RECORD_COMPONENT,
    { KEYSPACE: scope.keyspace, SHARD: job.shard, CELL: scope.cell },
    [
      ...readRecord('GetShard "$KEYSPACE/$SHARD"', 'shard $KEYSPACE/$SHARD'),
      ...(job.removeFromCell ? removeFromCell : []),
      ...tolerating('DeleteShards --even-if-serving "$KEYSPACE/$SHARD"', SHARD_HAS_TABLETS, 'another cell still has tablets of $KEYSPACE/$SHARD: its keyspace deletes the shard', 'done'),
      `echo "deleted the record of shard $KEYSPACE/$SHARD"`,
    ],
  );
}

export interface KeyspaceRecordJob extends RecordJobBase {
  scope: Scope & { cell: string };
  keyspaceObject: string;
  keyspace: string;
}

/**
 * Deletes a removed keyspace's record once its shards in this cell are gone (its layer removed them).
 * `DeleteKeyspace` without `--recursive` deletes the keyspace's SrvKeyspace in every cell and its
 * record, and refuses while shards remain ("keyspace k still has N shards"): the keyspace still lives
 * in another cell. Then only this cell leaves it: `RemoveKeyspaceCell` takes every shard out of this
 * cell's serving graph and deletes the cell's SrvKeyspace (the only vtctldclient command that deletes
 * one cell's SrvKeyspace). It refuses a shard that does not serve in the cell (a reshard's target not
 * serving yet): the SrvKeyspace is then left, and the Job says so.
 */
export function keyspaceRecordJob(job: KeyspaceRecordJob): V1Job {
  return recordJob(
    job,
    { ...job.scope, keyspace: job.keyspace },
    recordJobName(job.keyspaceObject),
    KEYSPACE_RECORD_COMPONENT,
    { KEYSPACE: job.keyspace, CELL: job.scope.cell },
    [
      ...readRecord('GetKeyspace "$KEYSPACE"', 'keyspace $KEYSPACE'),
      `if out=$(vtctldclient DeleteKeyspace "$KEYSPACE" 2>&1); then echo "deleted the record of keyspace $KEYSPACE"; exit 0; fi`,
      `case "$out" in *"${KEYSPACE_HAS_SHARDS}"*) echo "$out"; echo "keyspace $KEYSPACE still has shards (another cell's): kept; taking it out of cell $CELL";; *) echo "$out" >&2; exit 1;; esac`,
      ...tolerating('RemoveKeyspaceCell "$KEYSPACE" "$CELL"', SHARD_NOT_SERVING_IN_CELL, 'a shard of $KEYSPACE does not serve in cell $CELL: its SrvKeyspace there is left', 'done'),
      `echo "took keyspace $KEYSPACE out of cell $CELL (its SrvKeyspace there is deleted)"`,
    ],
  );
}

export interface CellRecordJob extends RecordJobBase {
  scope: Scope & { cell: string };
  cellObject: string;
  /** The cell's topology root, as the operator registered it: a CellInfo with another root is not ours. */
  root: string;
}

/**
 * Deletes a removed cell's CellInfo once its keyspaces are gone (the cell's layer removed them, each
 * SrvKeyspace with them). `GetCellInfo`; absent is done; a CellInfo whose root is not the one the
 * operator registered is not ours: left alone. Then `DeleteSrvVSchema` (vtctld writes one per cell; it
 * lives in the cell's topology, which may be the global etcd under the cell's root, so it would outlive
 * the CellInfo), then `DeleteCellInfo` without `--force`. It refuses while the cell's topology lists
 * a keyspace, which a keyspace's leftover does too (the ShardReplication of a shard that never served
 * in the cell, which no vtctldclient command deletes then). So, on that refusal only: a cell with a
 * tablet record left (ours are all deleted by now) is someone's, and the Job fails and says so; a cell
 * without one serves nothing, and `DeleteCellInfo --force` deletes it.
 */
export function cellRecordJob(job: CellRecordJob): V1Job {
  return recordJob(
    job,
    job.scope,
    recordJobName(job.cellObject),
    CELL_RECORD_COMPONENT,
    { CELL: job.scope.cell, CELL_ROOT: job.root },
    [
      ...readRecord('GetCellInfo "$CELL"', 'cell $CELL'),
      COMPACT,
      ownedField('root', 'CELL_ROOT', 'cell $CELL has another topology root than $CELL_ROOT'),
      ...tolerating('DeleteSrvVSchema "$CELL"', TOPO_NO_NODE, 'no SrvVSchema in cell $CELL', 'next'),
      `if out=$(vtctldclient DeleteCellInfo "$CELL" 2>&1); then echo "deleted the CellInfo of cell $CELL"; exit 0; fi`,
      `case "$out" in *"${CELL_HAS_KEYSPACES}"*) echo "$out";; *) echo "$out" >&2; exit 1;; esac`,
      // --strict: a cell whose tablets cannot be read is no empty cell.
      `tablets=$(vtctldclient GetTablets --strict --cell "$CELL")`,
      `if [ -n "$tablets" ]; then echo "cell $CELL still has tablets, its CellInfo stays:" >&2; echo "$tablets" >&2; exit 1; fi`,
      `echo "no tablet left in cell $CELL: what is left of keyspaces there serves nothing"`,
      `vtctldclient DeleteCellInfo --force "$CELL"`,
      `echo "deleted the CellInfo of cell $CELL"`,
    ],
  );
}
