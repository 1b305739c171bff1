/**
 * The Jobs that make the topology follow the spec down (docs/decisions/0023-topology-follows-the-spec.md):
 * a removed tablet's record is deleted once its Pod is gone (by its shard's layer), a removed shard's
 * record once its tablets' records are gone (by its keyspace's layer).
 *
 * Each Job is idempotent: an absent record is success, so a Job run again after a crash, or by a second
 * cell, does no harm. Names come in as environment variables and are read as "$X", never pasted into
 * the script. A record that names another keyspace or shard than the one the Job was made for is not
 * the operator's: it is left alone.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { TlsSpec } from '../api/access.ts';
import { objectName } from '../kube/names.ts';
import { KEYSPACE_HAS_SHARDS, SHARD_HAS_TABLETS, SHARD_NOT_SERVING_IN_CELL, TOPO_NO_NODE } from '../vitess/topology.ts';
import type { Scope } from './meta.ts';
import { type TabletIdentity, tabletLabels } from './tablet.ts';
import { vtctldclientJob } from './vtctldclient-job.ts';

export const TABLET_RECORD_COMPONENT = 'tablet-record';
export const SHARD_RECORD_COMPONENT = 'shard-record';

/** Retries before the Job is Failed: vtctld may be restarting; a lasting failure is reported. */
const BACKOFF_LIMIT = 6;

/** `Job/<tablet>-unregister`: deletes the tablet's record. */
export function tabletRecordJobName(tablet: string): string {
  return objectName([tablet, 'unregister']);
}

/** `Job/<shard object>-unregister`: deletes the shard's record (a child of the keyspace). */
export function shardRecordJobName(shardObject: string): string {
  return objectName([shardObject, 'unregister']);
}

/**
 * The script's guard: the record as vtctldclient prints it (protojson, whose spacing varies by build,
 * hence whitespace removed) must name this keyspace and shard.
 */
const OWNED_CHECK = [
  `compact=$(printf '%s' "$record" | tr -d ' \\t\\n')`,
  `case "$compact" in *'"keyspace":"'"$KEYSPACE"'"'*) ;; *) echo "tablet $TABLET_ALIAS is not in keyspace $KEYSPACE: not ours, left alone"; exit 0;; esac`,
  `case "$compact" in *'"shard":"'"$SHARD"'"'*) ;; *) echo "tablet $TABLET_ALIAS is not in shard $SHARD: not ours, left alone"; exit 0;; esac`,
];

export interface TabletRecordJob {
  scope: Scope & { cell: string; keyspace: string; shard: string };
  tablet: TabletIdentity;
  alias: string;
  image: string;
  vtctldAddress: string;
  tls?: TlsSpec;
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
  return vtctldclientJob({
    scope,
    name: tabletRecordJobName(job.tablet.name),
    component: TABLET_RECORD_COMPONENT,
    image: job.image,
    vtctldAddress: job.vtctldAddress,
    tls: job.tls,
    run: {
      values: { TABLET_ALIAS: job.alias, KEYSPACE: scope.keyspace, SHARD: scope.shard },
      script: [
        `if ! record=$(vtctldclient GetTablet "$TABLET_ALIAS" 2>&1); then`,
        `  case "$record" in *"${TOPO_NO_NODE}"*) echo "no record of tablet $TABLET_ALIAS: nothing to delete"; exit 0;; esac`,
        `  echo "$record" >&2; exit 1`,
        `fi`,
        ...OWNED_CHECK,
        `vtctldclient DeleteTablets${job.allowPrimary ? ' --allow-primary' : ''} "$TABLET_ALIAS"`,
        `echo "deleted the record of tablet $TABLET_ALIAS"`,
      ].join('\n'),
    },
    labels: tabletLabels(job.tablet),
    backoffLimit: BACKOFF_LIMIT,
  });
}

export interface ShardRecordJob {
  scope: Scope & { cell: string; keyspace: string };
  /** The VitessShard's object name, which names the Job. */
  shardObject: string;
  shard: string;
  image: string;
  vtctldAddress: string;
  tls?: TlsSpec;
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
  return vtctldclientJob({
    scope: { ...scope, shard: job.shard },
    name: shardRecordJobName(job.shardObject),
    component: SHARD_RECORD_COMPONENT,
    image: job.image,
    vtctldAddress: job.vtctldAddress,
    tls: job.tls,
    run: {
      values: { KEYSPACE: scope.keyspace, SHARD: job.shard, CELL: scope.cell },
      script: [
        `if ! out=$(vtctldclient GetShard "$KEYSPACE/$SHARD" 2>&1); then`,
        `  case "$out" in *"${TOPO_NO_NODE}"*) echo "no record of shard $KEYSPACE/$SHARD: nothing to delete"; exit 0;; esac`,
        `  echo "$out" >&2; exit 1`,
        `fi`,
        `if ! out=$(vtctldclient RemoveShardCell "$KEYSPACE/$SHARD" "$CELL" 2>&1); then`,
        `  case "$out" in *"${SHARD_NOT_SERVING_IN_CELL}"*) echo "shard $KEYSPACE/$SHARD does not serve in cell $CELL";; *) echo "$out" >&2; exit 1;; esac`,
        `fi`,
        `if ! out=$(vtctldclient DeleteShards --even-if-serving "$KEYSPACE/$SHARD" 2>&1); then`,
        `  case "$out" in *"${SHARD_HAS_TABLETS}"*) echo "$out"; echo "another cell still has tablets of $KEYSPACE/$SHARD: its keyspace deletes the shard"; exit 0;; esac`,
        `  echo "$out" >&2; exit 1`,
        `fi`,
        `echo "deleted the record of shard $KEYSPACE/$SHARD"`,
      ].join('\n'),
    },
    backoffLimit: BACKOFF_LIMIT,
  });
}

export const KEYSPACE_RECORD_COMPONENT = 'keyspace-record';

/** `Job/<keyspace object>-unregister`: deletes the keyspace's record (a child of the cell). */
export function keyspaceRecordJobName(keyspaceObject: string): string {
  return objectName([keyspaceObject, 'unregister']);
}

export interface KeyspaceRecordJob {
  scope: Scope & { cell: string };
  keyspaceObject: string;
  keyspace: string;
  image: string;
  vtctldAddress: string;
  tls?: TlsSpec;
}

/**
 * Deletes a removed keyspace's record once its shards in this cell are gone (its layer removed them,
 * each out of this cell's serving graph). `DeleteKeyspace` without `--recursive` deletes the keyspace's
 * SrvKeyspace in every cell and its record, and refuses while shards remain ("keyspace k still has N
 * shards"): the keyspace still lives in another cell, whose removal deletes it in turn.
 */
export function keyspaceRecordJob(job: KeyspaceRecordJob): V1Job {
  return vtctldclientJob({
    scope: { ...job.scope, keyspace: job.keyspace },
    name: keyspaceRecordJobName(job.keyspaceObject),
    component: KEYSPACE_RECORD_COMPONENT,
    image: job.image,
    vtctldAddress: job.vtctldAddress,
    tls: job.tls,
    run: {
      values: { KEYSPACE: job.keyspace },
      script: [
        `if ! out=$(vtctldclient GetKeyspace "$KEYSPACE" 2>&1); then`,
        `  case "$out" in *"${TOPO_NO_NODE}"*) echo "no record of keyspace $KEYSPACE: nothing to delete"; exit 0;; esac`,
        `  echo "$out" >&2; exit 1`,
        `fi`,
        `if ! out=$(vtctldclient DeleteKeyspace "$KEYSPACE" 2>&1); then`,
        `  case "$out" in *"${KEYSPACE_HAS_SHARDS}"*) echo "$out"; echo "keyspace $KEYSPACE still has shards (another cell's): kept"; exit 0;; esac`,
        `  echo "$out" >&2; exit 1`,
        `fi`,
        `echo "deleted the record of keyspace $KEYSPACE"`,
      ].join('\n'),
    },
    backoffLimit: BACKOFF_LIMIT,
  });
}
