/**
 * What a layer passes down to its children, already resolved (defaults applied, old spellings mapped),
 * so a child never reads its grandparent and never re-applies defaults.
 */
import * as v from 'valibot';
import { ResolvedMonitoring, Tls } from './access.ts';
import { ResolvedBackup } from './backup.ts';
import { Component, Vtgate, ConfirmRemoval, DnsLabel, VtgateOrder, Etcd, Flags, HostPort, Image, ObjectName, ShardName, TopoAddress, TopoRoot, InFlight, InitContainers, KeyRange, LabelSelector, MysqlContainer, Replicas, ReshardTraffic, RetentionPolicy, TabletContainer, TabletReplicas, MAX_ETCD_SIZE, Template, VolumeClaim } from './common.ts';
import { Placement } from './placement.ts';
import { PodSettings } from './pod.ts';

/** Where a topology server is reachable, and the root path inside it. */
export const TopoServer = v.object({
  address: TopoAddress,
  root: TopoRoot,
});

/** The topology every Vitess process of a cell is pointed at (the `--topo-*` flags). */
export const Topology = v.object({
  implementation: v.picklist(['etcd2']),
  global: TopoServer,
  /** The cell's own topology; for the global cell, the same as `global`. */
  cell: TopoServer,
});

/** A Deployment-backed component with its image and replica count decided. */
export const ResolvedComponent = v.object({
  ...Component.entries,
  image: Image,
  replicas: Replicas,
});

/** vtgate with its image and replica count decided (`replicas` unused while it autoscales). */
export const ResolvedVtgate = v.object({
  ...Vtgate.entries,
  image: Image,
  replicas: Replicas,
});

export const ResolvedEtcd = v.object({
  ...Etcd.entries,
  provider: v.picklist(['builtin', 'etcd-operator']),
  version: v.string(),
  size: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_ETCD_SIZE, (issue) => `(${String(issue.input)}) must be <= ${MAX_ETCD_SIZE} etcd members`)),
  image: Image,
});

/** One tablet pool of a shard, every setting decided (the seed's `defaults` already merged in). */
export const TabletPool = v.object({
  replicas: TabletReplicas,
  image: Image,
  mysqlImage: Image,
  volumeClaim: VolumeClaim,
  vttablet: TabletContainer,
  mysql: MysqlContainer,
  initContainers: v.optional(InitContainers),
  /** Placement with the cell's zone already in `nodeSelector`. */
  ...Placement,
  ...PodSettings,
});

/** The two pools of every shard: `replica` (primary-eligible, the seed's masterEligible) and `rdonly` (the seed's batch). */
export const ShardTablets = v.object({
  replica: TabletPool,
  rdonly: TabletPool,
  /** What happens to a tablet's PVC when its pool shrinks below it. */
  volumeRetention: v.optional(RetentionPolicy, 'Retain'),
});

export const ShardRef = v.object({
  /** The Vitess shard name: `-80`, `80-`, or `0` for an unsharded keyspace. */
  name: ShardName,
  keyRange: v.optional(KeyRange),
  /** A target of the keyspace's reshard: created beside the serving shards, serving only after the switch. */
  reshardTarget: v.optional(v.literal(true)),
});

/** How a keyspace's reshard runs, when its shards include targets (docs/decisions/0024-declarative-reshard.md). */
export const ResolvedReshard = v.object({
  /** The replication lag (seconds) under which traffic may switch. */
  maxLagSeconds: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3600)),
  /** The keyspace's first cell runs the workflow's Jobs; the others only run the target shards. */
  runsWorkflow: v.boolean(),
  /** Where traffic serves before completion (absent: `target`); `source` reverses a switch. */
  traffic: v.optional(ReshardTraffic),
  /**
   * Set by sync-cluster on the other cells once the first cell reports the workflow complete for these
   * targets: their copies of the sources retire too (lib/sync/reshard.ts).
   */
  complete: v.optional(v.literal(true)),
});

/**
 * The other cells in which a keyspace's shards run primary-eligible (replica) tablets, set by the
 * cluster and passed down to each VitessShard: a shard with one replica in its own cell may still move
 * its primary to another cell, so its rollout must never restart that primary without a reparent,
 * whatever the Vitess state shows at the moment (docs/decisions/0017). Absent: none.
 */
export const PeerCells = v.optional(v.pipe(v.array(DnsLabel), v.minLength(1)));

/** Rollout concurrency with every layer's value decided. */
export const ResolvedRollout = v.object({
  cells: InFlight,
  components: InFlight,
  shards: InFlight,
  tablets: InFlight,
  vtgate: v.optional(VtgateOrder, 'last'),
  /**
   * Set by the cluster on every cell while some cell's tablets have not rolled: the cell rolls its
   * tablets and holds vtctld, vtorc, vtgate and vtadmin (docs/decisions/0017). Never passed below a cell.
   */
  holdComponents: v.optional(v.literal(true)),
  /**
   * Set by the cluster on every cell in the first phase and passed down to the shards, for a primary
   * whose cell has no updated replica: `later`, it stays up, unrolled, while the other cells roll (a
   * reparent now could only move it onto an outdated replica of another cell, and back at that cell's
   * turn); `now`, the other cells' tablets rolled: one PlannedReparentShard --new-primary moves it onto
   * one of their replicas that vtgate serves from, then it restarts (docs/decisions/0017).
   */
  primaryAcrossCells: v.optional(v.picklist(['later', 'now'])),
});

/** Fields every internal layer (cell, keyspace, shard) carries. */
export const LayerBase = {
  selector: LabelSelector,
  template: v.optional(Template, {}),
  /** The VitessCluster's name: the prefix of tablet names and the root of every object name. */
  cluster: ObjectName,
  topology: Topology,
  /** vtctld's gRPC address (`host:15999`), for vtctldclient Jobs. */
  vtctldAddress: HostPort,
  images: v.object({ vitess: Image }),
  backupFlags: v.optional(Flags),
  /** The backup storage and engine (lib/api/backup.ts), when backups are configured. */
  backup: v.optional(ResolvedBackup),
  rollout: ResolvedRollout,
  confirmRemoval: v.optional(ConfirmRemoval, []),
  /** TLS (a cell's has vtgate's MySQL part too, the layers below gRPC only) and the tablets' metrics sidecar. */
  tls: v.optional(Tls),
  monitoring: v.optional(ResolvedMonitoring),
  /**
   * Set on every layer below a VitessCluster being deleted under deletionPolicy Retain: the layer
   * stops its tablets and lets its PVCs go out of the tree (lib/sync/release.ts). Absent otherwise.
   */
  releaseVolumes: v.optional(v.literal(true)),
};

export type ResolvedRolloutSpec = v.InferOutput<typeof ResolvedRollout>;
export type TopologySpec = v.InferOutput<typeof Topology>;
export type ResolvedComponentSpec = v.InferOutput<typeof ResolvedComponent>;
export type ResolvedVtgateSpec = v.InferOutput<typeof ResolvedVtgate>;
export type ResolvedEtcdSpec = v.InferOutput<typeof ResolvedEtcd>;
export type TabletPoolSpec = v.InferOutput<typeof TabletPool>;
export type ShardTabletsSpec = v.InferOutput<typeof ShardTablets>;
export type ShardRefSpec = v.InferOutput<typeof ShardRef>;
export { Component, Etcd, Flags, Image, KeyRange, LabelSelector, Replicas, TabletContainer, Template, VolumeClaim };
