/** VitessCell: one Vitess cell, written by sync-cluster, expanded by sync-cell. */
import * as v from 'valibot';
import { DbCredentials, InitDbSql, MysqlUsers, ResolvedVtadmin } from './access.ts';
import { BackupJobs } from './backup.ts';
import { DurabilityPolicy } from './cluster.ts';
import { DnsLabel, KeyspaceName, shardList } from './common.ts';
import { LayerBase, PeerCells, ResolvedComponent, ResolvedVtgate, ResolvedEtcd, ResolvedReshard, ResolvedRollout, ShardRef, ShardTablets } from './passdown.ts';

export const KIND = 'VitessCell';

export const CellKeyspace = v.object({
  name: KeyspaceName,
  durabilityPolicy: DurabilityPolicy,
  shards: v.pipe(shardList(ShardRef), v.minLength(1)),
  tablets: ShardTablets,
  rollout: v.object({ shards: ResolvedRollout.entries.shards, tablets: ResolvedRollout.entries.tablets }),
  /** Backup Jobs of the keyspace's shards, in its first cell only. */
  backupJobs: v.optional(BackupJobs),
  /** The init SQL of every tablet and initial backup of the keyspace, in every cell; absent: Vitess' init_db.sql. */
  initDbSql: v.optional(InitDbSql),
  /** The keyspace's reshard, when `shards` holds targets. */
  reshard: v.optional(ResolvedReshard),
  /** The passwords of the keyspace's tablets and initial backup (a Secret key); absent: none. */
  dbCredentials: v.optional(DbCredentials),
  /** The keyspace's other cells with replica tablets. */
  peerCells: PeerCells,
});

export const CellSpec = v.object({
  ...LayerBase,
  /** The Vitess cell name (`global` for the cell that holds the global topology and vtctld). */
  name: DnsLabel,
  etcd: v.optional(ResolvedEtcd),
  vtctld: v.optional(ResolvedComponent),
  vtgate: v.optional(ResolvedVtgate),
  vtorc: v.optional(ResolvedComponent),
  /** Every cell of the cluster that runs tablets: the cells this cell's vtgate watches. */
  tabletCells: v.optional(v.array(DnsLabel), []),
  /**
   * What vtgate advertises as the MySQL version (`--mysql-server-version`, `8.4.6-Vitess`): the oldest
   * MySQL image of the cluster's tablets; absent when a tablet image's tag names no version.
   */
  mysqlServerVersion: v.optional(v.pipe(v.string(), v.regex(/^\d+\.\d+\.\d+$/, 'must be a MySQL version such as 8.4.6'))),
  /** vtgate's MySQL users (static auth); absent: any user. */
  mysqlUsers: v.optional(MysqlUsers),
  /** vtadmin, in the cell that holds vtctld. */
  vtadmin: v.optional(ResolvedVtadmin),
  /** Keyspaces deployed in this cell. */
  keyspaces: v.optional(v.array(CellKeyspace), []),
  /**
   * Set by sync-cluster on a cell it is removing (lib/sync/cell-removal.ts): the cell removes every
   * keyspace (each out of the topology first), keeps only its topology etcd and vtctld, and reports
   * `status.retired: true` once no keyspace is left.
   */
  retire: v.optional(v.literal(true)),
});

export type Cell = v.InferOutput<typeof CellSpec>;
export type CellKeyspaceSpec = v.InferOutput<typeof CellKeyspace>;
