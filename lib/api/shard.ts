/** VitessShard: one shard of a keyspace in one cell, written by sync-keyspace, expanded by sync-shard. */
import * as v from 'valibot';
import { DbCredentials, InitDbSql } from './access.ts';
import { BackupJobs } from './backup.ts';
import { DnsLabel, KeyspaceName, ShardName } from './common.ts';
import { KeyRange, LayerBase, PeerCells, ShardTablets } from './passdown.ts';

export const KIND = 'VitessShard';

export const ShardSpec = v.object({
  ...LayerBase,
  cell: DnsLabel,
  keyspace: KeyspaceName,
  /** The Vitess shard name: `-80`, `80-`, or `0`. */
  name: ShardName,
  keyRange: v.optional(KeyRange),
  tablets: ShardTablets,
  /** Backup Jobs of the shard(s), in the keyspace's first cell only. */
  backupJobs: v.optional(BackupJobs),
  /** The init SQL of the tablets and the initial backup (a Secret key); absent: Vitess' init_db.sql. */
  initDbSql: v.optional(InitDbSql),
  /**
   * Set by sync-keyspace on a shard it is removing (lib/sync/shard-removal.ts): the shard stops every
   * tablet without reparenting (the whole shard is leaving), deletes their topology records, and
   * reports `status.retired: true` once none is left. Absent otherwise.
   */
  retire: v.optional(v.literal(true)),
  /** A target of its keyspace's reshard: how the keyspace tells it apart once the reshard is cancelled. */
  reshardTarget: v.optional(v.literal(true)),
  /** The passwords the tablets and the initial backup log in to MySQL with (a Secret key); absent: none. */
  dbCredentials: v.optional(DbCredentials),
  /** The other cells in which this Vitess shard runs replica tablets: its primary can move there. */
  peerCells: PeerCells,
});

export type Shard = v.InferOutput<typeof ShardSpec>;
