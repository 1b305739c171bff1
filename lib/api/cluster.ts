/**
 * VitessCluster: the user's API. It keeps the seed example's shape (examples/seed-my-vitess.yaml is
 * accepted unchanged) and its old spellings: `masterEligible`/`batch` tablets, `orchestrator`, `backupFlags`.
 */
import * as v from 'valibot';
import { GLOBAL_TOPOLOGY_ROOT } from '../vitess/names.ts';
import { DbCredentials, InitDbSql, Monitoring, MysqlUsers, Tls, Vtadmin } from './access.ts';
import { Backup, KeyspaceBackup } from './backup.ts';
import { Component, Vtgate, ConfirmRemoval, DeletionPolicy, DnsLabel, KeyspaceName, ReshardTraffic, TopoAddress, TopoRoot, Etcd, Flags, Image, InitContainers, KeyRange, LabelSelector, MysqlContainer, RetentionPolicy, Rollout, shardList, TabletContainer, TabletReplicas, Template, VolumeClaim } from './common.ts';
import { Placement } from './placement.ts';
import { PodSettings } from './pod.ts';

export const KIND = 'VitessCluster';

export const CellSpec = v.object({
  name: DnsLabel,
  etcd: v.optional(Etcd),
  vtctld: v.optional(Component),
  vtgate: v.optional(Vtgate),
  vtorc: v.optional(Component),
  /** The seed's spelling of vtorc (orchestrator was replaced by vtorc in Vitess). */
  orchestrator: v.optional(Component),
  /**
   * The availability zone the cell runs in: every Pod of the cell (etcd, vtctld, vtgate, vtorc,
   * tablets) gets the node selector `topology.kubernetes.io/zone: <zone>`, so a shard whose cells
   * name different zones has its tablets in those zones.
   */
  zone: v.optional(v.pipe(v.string(), v.regex(/^([A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?)$/, 'must be a label value such as us-east-1a'), v.maxLength(63))),
});

/** Tablet settings shared by a keyspace's pools (the seed's `tablets.defaults`). */
export const TabletSettings = v.object({
  image: v.optional(Image),
  /** The MySQL image that runs mysqld under mysqlctld (lib/templates/tablet.ts). */
  mysqlImage: v.optional(Image),
  volumeClaim: v.optional(VolumeClaim),
  vttablet: v.optional(TabletContainer),
  mysql: v.optional(MysqlContainer),
  initContainers: v.optional(InitContainers),
  ...Placement,
  ...PodSettings,
});

export const TabletPoolSettings = v.object({
  ...TabletSettings.entries,
  replicas: v.optional(TabletReplicas),
});

export const TabletsSpec = v.object({
  defaults: v.optional(TabletSettings),
  /** Primary-eligible tablets. */
  replica: v.optional(TabletPoolSettings),
  /** Read-only (batch, analytics) tablets. */
  rdonly: v.optional(TabletPoolSettings),
  /** The seed's spelling of `replica`. */
  masterEligible: v.optional(TabletPoolSettings),
  /** The seed's spelling of `rdonly`. */
  batch: v.optional(TabletPoolSettings),
  /** What happens to a tablet's PVC when its pool shrinks below it (default Retain). */
  volumeRetention: v.optional(RetentionPolicy),
});

/**
 * How a keyspace's primaries acknowledge writes (Vitess' durability policies): `none` (asynchronous
 * replication), `semi_sync` (a commit waits for one replica's ack), `cross_cell` (for one replica in
 * another cell). vtorc elects and repairs primaries only in keyspaces that have one.
 */
export const DurabilityPolicy = v.picklist(['none', 'semi_sync', 'cross_cell']);

/** The target partitioning of a reshard, and how it runs. */
export const Reshard = v.object({
  shards: v.pipe(shardList(v.object({ keyRange: KeyRange })), v.minLength(1)),
  /** The replication lag (seconds) under which traffic may switch to the targets (Vitess' own default: 30). */
  maxLagSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3600)), 30),
  /**
   * Where traffic serves until the workflow completes (docs/decisions/0026-reshard-reverse-traffic.md):
   * `target` switches reads then writes to the targets and completes; `source` reverses what was
   * switched (writes, then reads) and holds the workflow, the targets kept in step, until set back.
   */
  traffic: v.optional(ReshardTraffic, 'target'),
});

export const KeyspaceSpec = v.object({
  name: KeyspaceName,
  cells: v.pipe(v.array(DnsLabel), v.minLength(1)),
  /** Key ranges of the shards; absent or empty for an unsharded keyspace (one shard `0`). */
  shards: v.optional(shardList(v.object({ keyRange: KeyRange }))),
  /**
   * A reshard to run (docs/decisions/0024-declarative-reshard.md): the target shards, created beside
   * the serving ones (`shards`), which keep serving until the workflow switches traffic to the targets.
   * Each target replaces the serving shards it overlaps; together they must cover exactly their key range.
   */
  reshard: v.optional(Reshard),
  tablets: v.optional(TabletsSpec, {}),
  /** Default: semi_sync with 3 or more primary-eligible tablets per shard (over all its cells), else none. */
  durabilityPolicy: v.optional(DurabilityPolicy),
  /** Overrides of the cluster's rollout concurrency for this keyspace (`shards`, `tablets`). */
  rollout: v.optional(v.object({ shards: Rollout.entries.shards, tablets: Rollout.entries.tablets })),
  /** Backups: this keyspace's schedule over the cluster's (lib/api/backup.ts). */
  backup: v.optional(KeyspaceBackup),
  /** This keyspace's init SQL instead of the cluster's `initDbSql` (the whole reference, not merged). */
  initDbSql: v.optional(InitDbSql),
  /** This keyspace's database credentials instead of the cluster's `dbCredentials` (the whole reference), as its init SQL sets them. */
  dbCredentials: v.optional(DbCredentials),
});

/** An external topology server (instead of an etcd run by the operator). */
export const ExternalTopology = v.object({
  implementation: v.optional(v.picklist(['etcd2']), 'etcd2'),
  address: TopoAddress,
  globalRoot: v.optional(TopoRoot, GLOBAL_TOPOLOGY_ROOT),
});

export const ClusterSpec = v.object({
  selector: LabelSelector,
  template: v.optional(Template, {}),
  /** Default images for every component; each component's own `image` wins. */
  images: v.optional(
    v.object({
      vitess: v.optional(Image),
      mysql: v.optional(Image),
      etcd: v.optional(Image),
    }),
  ),
  topology: v.optional(v.object({ external: v.optional(ExternalTopology) })),
  cells: v.pipe(v.array(CellSpec), v.minLength(1)),
  keyspaces: v.optional(v.array(KeyspaceSpec), []),
  /** Flags added to every Vitess binary that needs backups (the seed's `backupFlags`). */
  backupFlags: v.optional(Flags),
  /** Backups and restore, typed (lib/api/backup.ts); `backupFlags` of the same flag win. */
  backup: v.optional(Backup),
  rollout: v.optional(Rollout),
  confirmRemoval: v.optional(ConfirmRemoval),
  /** Access and observability (lib/api/access.ts): vtgate's MySQL users, TLS, the tablets' metrics sidecar. */
  mysqlUsers: v.optional(MysqlUsers),
  tls: v.optional(Tls),
  monitoring: v.optional(Monitoring),
  vtadmin: v.optional(Vtadmin),
  /**
   * A Secret key whose SQL replaces Vitess' init_db.sql for every keyspace without its own: what every
   * tablet and the initial backup run when they initialize an empty data directory (lib/api/access.ts).
   */
  initDbSql: v.optional(InitDbSql),
  /**
   * The passwords the tablets log in to MySQL with, for every keyspace without its own (lib/api/access.ts):
   * a Secret key, mounted as Vitess' `--db-credentials-file`. Password flags in `extraFlags` are refused.
   */
  dbCredentials: v.optional(DbCredentials),
  /**
   * What `kubectl delete vt` does to the tablets' PVCs (default Retain): Retain keeps them, released
   * from the tree before it is deleted; Delete lets garbage collection delete them with everything else.
   */
  deletionPolicy: v.optional(DeletionPolicy),
});

export type ClusterSpecInput = v.InferInput<typeof ClusterSpec>;
export type Cluster = v.InferOutput<typeof ClusterSpec>;
export type CellSpecValue = v.InferOutput<typeof CellSpec>;
export type DurabilityPolicyValue = v.InferOutput<typeof DurabilityPolicy>;
export type KeyspaceSpecValue = v.InferOutput<typeof KeyspaceSpec>;
export type TabletsSpecValue = v.InferOutput<typeof TabletsSpec>;
export type TabletSettingsValue = v.InferOutput<typeof TabletSettings>;
