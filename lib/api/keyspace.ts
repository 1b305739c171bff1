/** VitessKeyspace: one keyspace in one cell, written by sync-cell, expanded by sync-keyspace. */
import * as v from 'valibot';
import { DbCredentials, InitDbSql } from './access.ts';
import { BackupJobs } from './backup.ts';
import { DnsLabel, KeyspaceName, shardList } from './common.ts';
import { LayerBase, PeerCells, ResolvedReshard, ShardRef, ShardTablets } from './passdown.ts';

export const KIND = 'VitessKeyspace';

export const KeyspaceSpec = v.object({
  ...LayerBase,
  cell: DnsLabel,
  name: KeyspaceName,
  shards: v.pipe(shardList(ShardRef), v.minLength(1)),
  tablets: ShardTablets,
  /** Backup Jobs of the shard(s), in the keyspace's first cell only. */
  backupJobs: v.optional(BackupJobs),
  /** The init SQL of the tablets and the initial backup (a Secret key); absent: Vitess' init_db.sql. */
  initDbSql: v.optional(InitDbSql),
  /** The keyspace's reshard, when `shards` holds targets (lib/sync/reshard.ts). */
  reshard: v.optional(ResolvedReshard),
  /**
   * Set by sync-cell on a keyspace it is removing (lib/sync/keyspace-removal.ts): the keyspace removes
   * every shard (each out of the topology first) and reports `status.retired: true` once none is left.
   */
  retire: v.optional(v.literal(true)),
  /** The passwords the tablets and the initial backup log in to MySQL with (a Secret key); absent: none. */
  dbCredentials: v.optional(DbCredentials),
  /** The keyspace's other cells with replica tablets, passed to every shard. */
  peerCells: PeerCells,
});

export type Keyspace = v.InferOutput<typeof KeyspaceSpec>;
