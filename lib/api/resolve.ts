/**
 * From the user's VitessCluster to what each cell needs: defaults applied, the seed's old spellings
 * mapped onto today's Vitess (masterEligible -> replica, batch -> rdonly, orchestrator -> vtorc),
 * the topology and vtctld located. Everything below the cluster reads only these resolved values.
 */
import { overlay } from '../overlay.ts';
import { DEFAULT_VTADMIN_IMAGE, resolveMonitoring, type ResolvedVtadminSpec } from './access.ts';
import { DEFAULT_IMAGES, etcdImage, type ImageOverride, supportedVitessImage } from '../vitess/images.ts';
import { oldestMysqlVersion } from '../vitess/mysql.ts';
import { cellComponentName, cellObjectName, etcdClientAddress, GLOBAL_TOPOLOGY_ROOT, topologyRoot } from '../vitess/names.ts';
import { PORTS } from '../vitess/ports.ts';
import { shardName, UNSHARDED } from '../vitess/shards.ts';
import type { BackupJobsSpec, ResolvedBackupSpec } from './backup.ts';
import type { Cell, CellKeyspaceSpec } from './cell.ts';
import type { CellSpecValue, Cluster, DurabilityPolicyValue, KeyspaceSpecValue, TabletSettingsValue } from './cluster.ts';
import type { ComponentSpec } from './common.ts';
import { inZone, placementOf } from './placement.ts';
import { podSettingsOf } from './pod.ts';
import type { ResolvedComponentSpec, ResolvedEtcdSpec, ResolvedRolloutSpec, ShardRefSpec, ShardTabletsSpec, TabletPoolSpec, TopologySpec } from './passdown.ts';

/** The cell that holds the global topology and vtctld in the seed; it runs no tablets. */
export const GLOBAL_CELL = 'global';

const DEFAULT_REPLICAS = { vtctld: 1, vtgate: 2, vtorc: 1, vtadmin: 1 } as const;
const DEFAULT_TABLETS = { replica: 2, rdonly: 0 } as const;
const DEFAULT_ETCD_SIZE = 3;
/**
 * semi_sync makes a commit wait for one replica's ack, so a failover loses nothing; but with fewer
 * than 3 primary-eligible tablets per shard, the one replica restarting (every rollout does it) stalls
 * every write. So: semi_sync from 3 primary-eligible tablets per shard (all cells), none below.
 */
const SEMI_SYNC_MIN_TABLETS = 3;
/**
 * How many children move at once, unless the user asks otherwise (docs/decisions/0017). Cells one at
 * a time: a Vitess shard spans cells, and one cell at a time is what keeps two cells from each taking
 * down a tablet of the same shard. Components and keyspaces of a cell, and shards of a keyspace, in
 * parallel: each Vitess shard keeps its own budget (one tablet down), so 64 shards roll in about the
 * time of one. Tablets of a shard one at a time: that budget.
 */
const DEFAULT_IN_FLIGHT = { cells: 1, components: 16, shards: 64, tablets: 1 } as const;

/** The global topology: an external server, else the etcd of the `global` cell, else of the first cell with one. */
export function globalTopology(cluster: Cluster, name: string): { address: string; root: string } | undefined {
  const external = cluster.topology?.external;
  if (external !== undefined) return { address: external.address, root: external.globalRoot };
  const holder = cluster.cells.find((cell) => cell.name === GLOBAL_CELL && cell.etcd !== undefined) ?? cluster.cells.find((cell) => cell.etcd !== undefined);
  return holder === undefined ? undefined : { address: etcdClientAddress(cellObjectName(name, holder.name)), root: GLOBAL_TOPOLOGY_ROOT };
}

/** vtctld's gRPC address: the vtctld of the `global` cell, else of the first cell with one. */
export function vtctldAddress(cluster: Cluster, name: string): string | undefined {
  const holder = vtctldCell(cluster);
  return holder === undefined ? undefined : `${cellComponentName(cellObjectName(name, holder.name), 'vtctld')}:${PORTS.grpc}`;
}

/** The cell whose vtctld the cluster uses: the `global` cell's, else the first cell with one. */
function vtctldCell(cluster: Cluster): CellSpecValue | undefined {
  return cluster.cells.find((cell) => cell.name === GLOBAL_CELL && cell.vtctld !== undefined) ?? cluster.cells.find((cell) => cell.vtctld !== undefined);
}

/** vtadmin, for the cell that holds vtctld: its discovery is that vtctld and every cell's vtgate. */
function resolveVtadmin(cluster: Cluster, name: string): ResolvedVtadminSpec | undefined {
  const holder = vtctldCell(cluster);
  if (cluster.vtadmin === undefined || holder === undefined) return undefined;
  const vtctld = cellComponentName(cellObjectName(name, holder.name), 'vtctld');
  return {
    ...cluster.vtadmin,
    image: cluster.vtadmin.image ?? DEFAULT_VTADMIN_IMAGE,
    replicas: cluster.vtadmin.replicas ?? DEFAULT_REPLICAS.vtadmin,
    vtctld: { web: `${vtctld}:${PORTS.web}`, grpc: `${vtctld}:${PORTS.grpc}` },
    vtgates: cluster.cells.filter((cell) => cell.vtgate !== undefined).map((cell) => `${cellComponentName(cellObjectName(name, cell.name), 'vtgate')}:${PORTS.grpc}`),
  };
}

/** Everything one cell needs, without the selector and template its VitessCell object adds. */
export type ResolvedCell = Omit<Cell, 'selector' | 'template' | 'rollout'> & { rollout: ReturnType<typeof resolveRollout> };

/** Resolves every cell; call only once problems() found none, so the topology and vtctld exist. */
export function resolveCells(cluster: Cluster, name: string): ResolvedCell[] {
  const global = globalTopology(cluster, name)!;
  const vtctld = vtctldAddress(cluster, name)!;
  const vitessImage = vitessImageOf(cluster.images?.vitess) ?? DEFAULT_IMAGES.vitess;
  // What a vtgate watches: every cell that runs tablets, so it reaches each shard's primary wherever it is.
  const tabletCells = cluster.cells.map((cell) => cell.name).filter((cell) => cluster.keyspaces.some((keyspace) => keyspace.cells.includes(cell)));
  const defaultVtorc = vtorcOf(cluster.cells.find((cell) => cell.name === GLOBAL_CELL));
  const rollout = resolveRollout(cluster);
  const monitoring = resolveMonitoring(cluster.monitoring);
  const vtadmin = resolveVtadmin(cluster, name);
  const vtadminCell = vtctldCell(cluster)?.name;
  const mysqlServerVersion = clusterMysqlVersion(cluster);
  return cluster.cells.map((cell): ResolvedCell => {
    const cellObject = cellObjectName(name, cell.name);
    const keyspaces = cluster.keyspaces
      .filter((keyspace) => keyspace.cells.includes(cell.name))
      .map((keyspace) => withPeerCells(withReshard(withBackupJobs(keyspaceInZone(resolveKeyspace(cluster, keyspace), cell.zone), backupJobs(cluster, keyspace, cell.name)), keyspace, cell.name), keyspace, cell.name));
    const vtorc = vtorcOf(cell) ?? defaultVtorc;
    const topology: TopologySpec = {
      implementation: 'etcd2',
      global,
      cell:
        cell.name === GLOBAL_CELL
          ? global
          : { address: cell.etcd !== undefined ? etcdClientAddress(cellObject) : global.address, root: topologyRoot(cell.name) },
    };
    return {
      cluster: name,
      name: cell.name,
      topology,
      vtctldAddress: vtctld,
      tabletCells,
      images: { vitess: vitessImage },
      backupFlags: cluster.backupFlags,
      backup: resolveBackup(cluster),
      rollout,
      confirmRemoval: cluster.confirmRemoval ?? [],
      mysqlUsers: cluster.mysqlUsers,
      ...(mysqlServerVersion === undefined ? {} : { mysqlServerVersion }),
      tls: cluster.tls,
      monitoring,
      vtadmin: cell.name === vtadminCell ? vtadmin : undefined,
      etcd: cell.etcd === undefined ? undefined : inZone(resolveEtcd(cluster, cell.etcd), cell.zone),
      vtctld: component(cell.vtctld, vitessImage, DEFAULT_REPLICAS.vtctld, cell.zone),
      vtgate: component(cell.vtgate, vitessImage, DEFAULT_REPLICAS.vtgate, cell.zone),
      // vtorc watches tablets, so only cells that run tablets get one.
      vtorc: keyspaces.length > 0 ? component(vtorc, vitessImage, DEFAULT_REPLICAS.vtorc, cell.zone) : undefined,
      keyspaces,
    };
  });
}

/**
 * The MySQL version every vtgate advertises: the oldest of the MySQL images the cluster's tablets run
 * (a vtgate routes to every keyspace); undefined without keyspaces or when a tag names no version.
 */
export function clusterMysqlVersion(cluster: Cluster): string | undefined {
  const images = cluster.keyspaces.flatMap((keyspace) => {
    const { replica, rdonly } = resolveTablets(cluster, keyspace);
    return [replica, ...(rdonly.replicas > 0 ? [rdonly] : [])].map((pool) => pool.mysqlImage);
  });
  return images.length === 0 ? undefined : oldestMysqlVersion(images)?.version;
}

/**
 * A cell's vtorc settings. The seed's `orchestrator` maps onto vtorc without its image: orchestrator
 * images do not contain vtorc, which ships in the Vitess image.
 */
function vtorcOf(cell: CellSpecValue | undefined): ComponentSpec | undefined {
  if (cell?.vtorc !== undefined) return cell.vtorc;
  if (cell?.orchestrator === undefined) return undefined;
  const { image: _orchestratorImage, ...settings } = cell.orchestrator;
  return settings;
}

function component<T extends ComponentSpec>(spec: T | undefined, image: string, replicas: number, zone: string | undefined): (T & ResolvedComponentSpec) | undefined {
  if (spec === undefined) return undefined;
  return inZone({ ...spec, image: vitessImageOf(spec.image) ?? image, replicas: spec.replicas ?? replicas }, zone);
}

/** A keyspace's tablet pools as they run in one cell: in the cell's zone, when it names one. */
function keyspaceInZone(keyspace: CellKeyspaceSpec, zone: string | undefined): CellKeyspaceSpec {
  if (zone === undefined) return keyspace;
  const { replica, rdonly } = keyspace.tablets;
  return { ...keyspace, tablets: { ...keyspace.tablets, replica: inZone(replica, zone), rdonly: inZone(rdonly, zone) } };
}

function resolveEtcd(cluster: Cluster, etcd: NonNullable<CellSpecValue['etcd']>): ResolvedEtcdSpec {
  const version = etcd.version ?? DEFAULT_IMAGES.etcdVersion;
  return {
    ...etcd,
    provider: etcd.provider ?? 'builtin',
    version,
    size: etcd.size ?? DEFAULT_ETCD_SIZE,
    image: etcd.image ?? cluster.images?.etcd ?? etcdImage(version),
  };
}

export function resolveRollout(cluster: Cluster): Omit<ResolvedRolloutSpec, 'vtgate'> & { vtgate?: 'first' } {
  const rollout = cluster.rollout ?? {};
  return {
    cells: rollout.cells ?? DEFAULT_IN_FLIGHT.cells,
    components: rollout.components ?? DEFAULT_IN_FLIGHT.components,
    shards: rollout.shards ?? DEFAULT_IN_FLIGHT.shards,
    tablets: rollout.tablets ?? DEFAULT_IN_FLIGHT.tablets,
    // `last` is the cell's default: said only when it differs, so it reaches no object's spec otherwise.
    ...(rollout.vtgate === 'first' ? { vtgate: 'first' as const } : {}),
  };
}

export function resolveKeyspace(cluster: Cluster, keyspace: KeyspaceSpecValue): CellKeyspaceSpec {
  const rollout = resolveRollout(cluster);
  // Per keyspace, never per cell or pool: every tablet of a Vitess shard must start from the same SQL
  // (replicas restore backups others made), so one value goes to all the keyspace's cells.
  const initDbSql = keyspace.initDbSql ?? cluster.initDbSql;
  // The passwords that SQL sets: per keyspace too.
  const dbCredentials = keyspace.dbCredentials ?? cluster.dbCredentials;
  return {
    name: keyspace.name,
    durabilityPolicy: durabilityPolicy(cluster, keyspace),
    shards: shardRefs(keyspace),
    tablets: resolveTablets(cluster, keyspace),
    rollout: { shards: keyspace.rollout?.shards ?? rollout.shards, tablets: keyspace.rollout?.tablets ?? rollout.tablets },
    ...(initDbSql === undefined ? {} : { initDbSql }),
    ...(dbCredentials === undefined ? {} : { dbCredentials }),
  };
}

/** Without an initial backup, new tablets of a new shard have nothing to wait for: they start empty. */
const DEFAULT_WAIT_FOR_BACKUP = '10s';

/** The storage and engine every process touching backups gets; undefined without `spec.backup`. */
export function resolveBackup(cluster: Cluster): ResolvedBackupSpec | undefined {
  const backup = cluster.backup;
  if (backup === undefined) return undefined;
  const wait = backup.waitForBackupInterval ?? (backup.initialBackup === false ? undefined : DEFAULT_WAIT_FOR_BACKUP);
  return {
    location: backup.location,
    engine: backup.engine ?? 'builtin',
    xtrabackup: backup.xtrabackup,
    // `0` is Vitess' own "do not wait": said by leaving the flag out.
    waitForBackupInterval: wait === '0' ? undefined : wait,
  };
}

/**
 * A keyspace's backup Jobs, in its first cell only: the initial backup and BackupShard act on the
 * Vitess shard, which spans the keyspace's cells, and two initial backups would give two histories.
 */
export function backupJobs(cluster: Cluster, keyspace: KeyspaceSpecValue, cell: string): BackupJobsSpec | undefined {
  const backup = cluster.backup;
  if (backup === undefined || keyspace.cells[0] !== cell) return undefined;
  const schedule = overlay(backup.schedule ?? {}, keyspace.backup?.schedule);
  const { cron, ...rest } = schedule;
  return { initial: backup.initialBackup ?? true, schedule: cron === undefined ? undefined : { ...rest, cron } };
}

/**
 * A keyspace's reshard settings; its first cell runs the workflow (a workflow spans the keyspace's
 * cells). `traffic` goes down only when it is `source`: the default leaves a running reshard's
 * objects as they were.
 */
function withReshard(resolved: CellKeyspaceSpec, keyspace: KeyspaceSpecValue, cell: string): CellKeyspaceSpec {
  if (keyspace.reshard === undefined) return resolved;
  const traffic = keyspace.reshard.traffic === 'source' ? { traffic: 'source' as const } : {};
  return { ...resolved, reshard: { maxLagSeconds: keyspace.reshard.maxLagSeconds, runsWorkflow: keyspace.cells[0] === cell, ...traffic } };
}

/** The keyspace's other cells, when its shards run replica tablets (the same pools in every cell). */
function withPeerCells(resolved: CellKeyspaceSpec, keyspace: KeyspaceSpecValue, cell: string): CellKeyspaceSpec {
  const peers = keyspace.cells.filter((other) => other !== cell);
  return peers.length === 0 || resolved.tablets.replica.replicas === 0 ? resolved : { ...resolved, peerCells: peers };
}

function withBackupJobs(keyspace: CellKeyspaceSpec, jobs: BackupJobsSpec | undefined): CellKeyspaceSpec {
  return jobs === undefined ? keyspace : { ...keyspace, backupJobs: jobs };
}

/** The serving shards, then the targets of a reshard (marked). */
function shardRefs(keyspace: KeyspaceSpecValue): ShardRefSpec[] {
  const shards = keyspace.shards ?? [];
  const serving: ShardRefSpec[] = shards.length === 0 ? [{ name: UNSHARDED }] : shards.map((shard) => ({ name: shardName(shard.keyRange), keyRange: shard.keyRange }));
  const targets = (keyspace.reshard?.shards ?? []).map((shard): ShardRefSpec => ({ name: shardName(shard.keyRange), keyRange: shard.keyRange, reshardTarget: true }));
  return [...serving, ...targets];
}

function resolveTablets(cluster: Cluster, keyspace: KeyspaceSpecValue): ShardTabletsSpec {
  const tablets = keyspace.tablets;
  const defaults = tablets.defaults ?? {};
  const pool = (settings: (TabletSettingsValue & { replicas?: number }) | undefined, replicas: number): TabletPoolSpec => {
    const merged = overlay<TabletSettingsValue>(defaults, settings);
    return {
      replicas: settings?.replicas ?? replicas,
      image: vitessImageOf(merged.image ?? cluster.images?.vitess) ?? DEFAULT_IMAGES.vitess,
      mysqlImage: merged.mysqlImage ?? cluster.images?.mysql ?? DEFAULT_IMAGES.mysql,
      volumeClaim: merged.volumeClaim ?? {},
      vttablet: merged.vttablet ?? {},
      mysql: merged.mysql ?? {},
      initContainers: merged.initContainers,
      ...placementOf(merged),
      ...podSettingsOf(merged),
    };
  };
  return {
    replica: pool(tablets.replica ?? tablets.masterEligible, DEFAULT_TABLETS.replica),
    rdonly: pool(tablets.rdonly ?? tablets.batch, DEFAULT_TABLETS.rdonly),
    volumeRetention: tablets.volumeRetention ?? 'Retain',
  };
}

/** The keyspace's durability policy: the user's, else semi_sync when a shard has enough tablets to ack (SEMI_SYNC_MIN_TABLETS). */
export function durabilityPolicy(cluster: Cluster, keyspace: KeyspaceSpecValue): DurabilityPolicyValue {
  if (keyspace.durabilityPolicy !== undefined) return keyspace.durabilityPolicy;
  const tablets = resolveTablets(cluster, keyspace);
  return tablets.replica.replicas * keyspace.cells.length >= SEMI_SYNC_MIN_TABLETS ? 'semi_sync' : 'none';
}

function vitessImageOf(image: string | undefined): string | undefined {
  return image === undefined ? undefined : supportedVitessImage(image).image;
}

/** A Vitess image of the spec replaced by the pinned default, with the path of the field that asked for it. */
export interface ImageOverrideAt extends ImageOverride {
  path: string;
}

/** Every Vitess image of the spec too old to run, where it is asked for: reported in the VitessCluster's status. */
export function imageOverrides(cluster: Cluster): ImageOverrideAt[] {
  const requests: [string, string | undefined][] = [['spec.images.vitess', cluster.images?.vitess]];
  cluster.cells.forEach((cell, i) => {
    for (const component of ['vtctld', 'vtgate', 'vtorc'] as const) requests.push([`spec.cells[${i}].${component}.image`, cell[component]?.image]);
  });
  cluster.keyspaces.forEach((keyspace, i) => {
    for (const pool of ['defaults', 'replica', 'rdonly', 'masterEligible', 'batch'] as const) requests.push([`spec.keyspaces[${i}].tablets.${pool}.image`, keyspace.tablets[pool]?.image]);
  });
  return requests.flatMap(([path, image]) => {
    const override = image === undefined ? undefined : supportedVitessImage(image).override;
    return override === undefined ? [] : [{ path, ...override }];
  });
}
