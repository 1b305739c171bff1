/**
 * sync-cluster: a VitessCluster becomes one VitessCell per cell, each with everything it needs
 * resolved (lib/api/resolve.ts). Status aggregates the cells' Ready conditions: the top object's
 * Ready is the whole app's.
 */
import { type CellKeyspaceSpec, KIND as CELL_KIND } from '../api/cell.ts';
import { FILE_VOLUME_SOURCES } from '../api/backup.ts';
import { ClusterSpec, type Cluster, KIND as CLUSTER_KIND } from '../api/cluster.ts';
import { autoscalingProblems } from '../api/common.ts';
import { podSettingsProblems } from '../api/pod.ts';
import { xtrabackupProblems } from '../vitess/mysql.ts';
import { globalTopology, GLOBAL_CELL, imageOverrides, resolveCells, resolveKeyspace, resolveRollout, vtctldAddress } from '../api/resolve.ts';
import { selectorMatches } from '../kube/labels.ts';
import { type KubeObject, objectKey } from '../kube/object.ts';
import { revisionOf } from '../rollout/planner.ts';
import type { ObservedParent } from '../metacontroller/request.ts';
import { vitessChild } from '../templates/vitess-child.ts';
import { cellObjectName } from '../vitess/names.ts';
import { reshardProblems } from '../vitess/reshard.ts';
import { keyRangeProblems, shardName, UNSHARDED } from '../vitess/shards.ts';
import { conditionSettled, descendantsOf } from '../rollout/slots.ts';
import { clusterSlots } from './cell-removal.ts';
import { exposureProblems } from './exposure.ts';
import { childList, defineLayer, withRevision } from './pipeline.ts';
import { cellsResharding } from './resharding-summary.ts';

export const clusterLayer = defineLayer<Cluster, string>({
  name: 'sync-cluster',
  parentKind: CLUSTER_KIND,
  schema: ClusterSpec,
  problems: clusterProblems,
  maxInFlight: (spec) => resolveRollout(spec).cells,
  confirmRemoval: (spec) => spec.confirmRemoval ?? [],
  // The cluster's name: cell names, vtctld's address and the removed cells' Jobs are made from it.
  derive: (_spec, parent) => parent.metadata.name,
  children: clusterChildren,
  // Removed cells leave the topology before they leave the cluster (lib/sync/cell-removal.ts).
  slots: (spec, desired, observed, _now, name) => ({ ...clusterSlots(spec, name, desired, observed), settledByLayer: tabletsSettledCells(desired, observed) }),
  // Vitess images too old to run, replaced by the pinned default (lib/vitess/images.ts): said here, never silent.
  status: (spec, observed, desired, name) => {
    const overrides = imageOverrides(spec);
    const { removedCells } = clusterSlots(spec, name, desired, observed);
    return {
      cells: childList(desired, observed),
      ...(overrides.length > 0 ? { imageOverrides: overrides } : {}),
      ...(removedCells.length > 0 ? { removedCells: removedCells.map(({ name: object, vitessName, state, message }) => ({ name: object, cell: vitessName, state, message })) } : {}),
      // The reshards of every cell's keyspaces, with the copy's progress and lag (lib/sync/resharding-summary.ts).
      resharding: cellsResharding(observed),
    };
  },
});

/**
 * The cells, in two phases (docs/decisions/0017), so that across cells the order is the Vitess upgrade
 * order: first every cell's tablets, cells with tablets first, one cell at a time (`rollout.cells`),
 * each cell holding its vtctld, vtorc, vtgate and vtadmin (`rollout.holdComponents`); once every
 * cell's tablets rolled, the components, cells without tablets first (the `global` cell's vtctld and
 * vtorc), then each data cell's vtorc and vtgate. With `rollout.vtgate: first` (a canary) there are no
 * phases: each cell rolls whole, vtgate first, cells with tablets first.
 */
function clusterChildren(spec: Cluster, parent: ObservedParent, _name: string, observed: ReadonlyMap<string, KubeObject>): KubeObject[] {
  const name = parent.metadata.name;
  const completed = completedReshards(observed);
  const cells = resolveCells(spec, name).map(({ keyspaces: resolved, ...cell }) => {
    const keyspaces = resolved.map((keyspace) => withReshardComplete(keyspace, completed));
    const object = cellObjectName(name, cell.name);
    const confirmRemoval = descendantsOf(object, cell.confirmRemoval);
    const scope = { cluster: name, cell: cell.name, template: spec.template };
    const make = (hold: boolean, primary?: 'later' | 'now'): KubeObject =>
      vitessChild(CELL_KIND, scope, spec.selector, object, { ...cell, rollout: { ...cell.rollout, ...(hold ? { holdComponents: true as const } : {}), ...(primary === undefined ? {} : { primaryAcrossCells: primary }) }, confirmRemoval, keyspaces });
    // The released spec keeps `later`, so that the shards' specs do not change again at the release
    // (every tablet rolled by then: nothing is left to defer); a canary has no phases, so no deferral.
    const canary = spec.rollout?.vtgate === 'first';
    return { tablets: keyspaces.length > 0, free: make(false, canary ? undefined : 'later'), held: make(true, 'later'), heldNow: make(true, 'now') };
  });
  const dataFirst = [...cells.filter((cell) => cell.tablets), ...cells.filter((cell) => !cell.tablets)];
  if (spec.rollout?.vtgate === 'first') return dataFirst.map((cell) => cell.free);
  // Release the components once every cell's tablets rolled, and every held cell's tablets are back
  // (Ready and Updated): no vtgate moves while a tablet of the first phase is still coming up.
  const tabletsRolled = cells.every((cell) => {
    const seen = observed.get(objectKey(cell.free));
    return cellTabletsRolled(seen, cell) && (seen === undefined || !isHeld(seen) || tabletsSettled(seen));
  });
  // A cell already on the spec unheld stays so: taking back a release would move it again mid-flight.
  const onFree = (cell: { free: KubeObject }): boolean => {
    const seen = observed.get(objectKey(cell.free));
    return seen !== undefined && revisionOf(seen) === revisionOf(withRevision(cell.free));
  };
  // Every cell rolled its tablets but for primaries that had no updated replica in their cell, left for
  // now: the primaries may go, each onto another cell's updated replica (one reparent per Vitess shard).
  // A cell once told `now` stays so.
  const onNow = (cell: { heldNow: KubeObject }): boolean => {
    const seen = observed.get(objectKey(cell.heldNow));
    return seen !== undefined && revisionOf(seen) === revisionOf(withRevision(cell.heldNow));
  };
  const primariesLeft = cells.every((cell) => {
    const seen = observed.get(objectKey(cell.free));
    const rolled = cellTabletsRolled(seen, cell) && (seen === undefined || !isHeld(seen) || tabletsSettled(seen));
    return rolled || (seen !== undefined && onCellSpec(seen, cell) && tabletsDeferred(seen));
  });
  if (!tabletsRolled) return dataFirst.map((cell) => (onFree(cell) ? cell.free : primariesLeft || onNow(cell) ? cell.heldNow : cell.held));
  return [...cells.filter((cell) => !cell.tablets), ...cells.filter((cell) => cell.tablets)].map((cell) => cell.free);
}

/** `keyspace targets` of every reshard a cell reports complete (lib/sync/cell.ts). */
function completedReshards(observed: ReadonlyMap<string, KubeObject>): ReadonlySet<string> {
  const done = new Set<string>();
  for (const child of observed.values()) {
    if (child.kind !== CELL_KIND) continue;
    const reported = (child.status as { reshardsComplete?: unknown } | undefined)?.reshardsComplete;
    if (!Array.isArray(reported)) continue;
    for (const entry of reported as { keyspace?: unknown; targets?: unknown }[]) {
      if (typeof entry?.keyspace === 'string' && Array.isArray(entry.targets)) done.add(`${entry.keyspace} ${entry.targets.join(',')}`);
    }
  }
  return done;
}

/**
 * A keyspace's reshard in a cell that does not run the workflow, marked complete once the first cell
 * reports it complete for the same targets: that cell's copies of the sources retire too
 * (docs/decisions/0024-declarative-reshard.md).
 */
function withReshardComplete(keyspace: CellKeyspaceSpec, completed: ReadonlySet<string>): CellKeyspaceSpec {
  if (keyspace.reshard === undefined || keyspace.reshard.runsWorkflow) return keyspace;
  const targets = keyspace.shards.filter((shard) => shard.reshardTarget === true).map((shard) => shard.name);
  return completed.has(`${keyspace.name} ${targets.join(',')}`) ? { ...keyspace, reshard: { ...keyspace.reshard, complete: true } } : keyspace;
}

/**
 * A cell whose tablets rolled for the cluster's current spec: it is on that spec (held or not: its
 * revision is one of the two), synced, and reports every tablet on its latest revision (or it is
 * being created). Revision-level, not readiness: a tablet crashing later does not hold the components
 * again.
 */
function cellTabletsRolled(seen: KubeObject | undefined, cell: CellSpecs): boolean {
  // A cell being created has nothing to hold: everything in it is created at once.
  if (seen === undefined) return true;
  const revision = revisionOf(seen);
  const status = (seen.status ?? {}) as { observedGeneration?: number; tablets?: { rolledOut?: unknown } };
  // On the spec, not held, and never reported how far its tablets got (just created, or synced by an
  // older hook): nothing of it is being rolled.
  if (revision === revisionOf(withRevision(cell.free)) && status.tablets === undefined) return true;
  if (!onCellSpec(seen, cell)) return false;
  const synced = seen.metadata.generation === undefined || (status.observedGeneration ?? -1) >= seen.metadata.generation;
  return synced && status.tablets?.rolledOut === true;
}

/** A cell's spec for the cluster's current spec, per phase: free, held with primaries left for later, held with them going now. */
interface CellSpecs {
  free: KubeObject;
  held: KubeObject;
  heldNow: KubeObject;
}

/** An observed cell on one of its specs for the cluster's current spec. */
function onCellSpec(seen: KubeObject, cell: CellSpecs): boolean {
  const revision = revisionOf(seen);
  return [cell.free, cell.held, cell.heldNow].some((spec) => revisionOf(withRevision(spec)) === revision);
}

/**
 * Cells in the first phase whose tablets rolled and settled (every keyspace Ready and Updated) and that
 * are Ready: as far as that phase takes them, so the next cell's tablets may go (their components
 * wait for the second phase, so the cell itself is not Updated yet).
 */
function tabletsSettledCells(desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>): string[] {
  return desired.flatMap((cell) => {
    const seen = observed.get(objectKey(cell));
    if (!isHeld(cell) || seen === undefined || revisionOf(seen) !== revisionOf(cell)) return [];
    return tabletsSettled(seen) || tabletsDeferred(seen) ? [objectKey(cell)] : [];
  });
}

/** A cell whose spec holds its components (the first phase). */
function isHeld(cell: KubeObject): boolean {
  return (cell.spec as { rollout?: { holdComponents?: boolean } } | undefined)?.rollout?.holdComponents === true;
}

/** An observed cell synced, Ready, its tablets rolled and back but for primaries left for the next phase. */
function tabletsDeferred(seen: KubeObject): boolean {
  const status = (seen.status ?? {}) as { observedGeneration?: number; tablets?: { deferred?: unknown } };
  const synced = seen.metadata.generation === undefined || (status.observedGeneration ?? -1) >= seen.metadata.generation;
  return synced && status.tablets?.deferred === true && conditionSettled(seen, 'Ready');
}

/** An observed cell synced, Ready (or waiting only for a removal to be confirmed), its keyspaces Ready and Updated. */
function tabletsSettled(seen: KubeObject): boolean {
  const status = (seen.status ?? {}) as { observedGeneration?: number; tablets?: { settled?: unknown } };
  const synced = seen.metadata.generation === undefined || (status.observedGeneration ?? -1) >= seen.metadata.generation;
  return synced && status.tablets?.settled === true && conditionSettled(seen, 'Ready');
}

/** What makes a VitessCluster impossible to honour, each with the path of the field at fault. */
export function clusterProblems(spec: Cluster, parent: ObservedParent): string[] {
  const name = parent.metadata.name;
  const problems: string[] = [];
  if (!/^[a-z]/.test(name)) {
    problems.push(`metadata.name: '${name}' must start with a letter: Services are named after the cluster, and a Service name must be a DNS-1035 label`);
  }
  const cellNames = spec.cells.map((cell) => cell.name);
  duplicates(cellNames).forEach((index) => problems.push(`spec.cells[${index}].name: duplicate cell name '${cellNames[index]}'`));
  duplicates(spec.keyspaces.map((k) => k.name)).forEach((index) => problems.push(`spec.keyspaces[${index}].name: duplicate keyspace name '${spec.keyspaces[index]?.name}'`));
  if (!selectorMatches(spec.selector.matchLabels, spec.template.metadata?.labels)) {
    problems.push('spec.template.metadata.labels: must include every label of spec.selector.matchLabels, or no child would match the selector');
  }
  if (globalTopology(spec, name) === undefined) {
    problems.push('spec.cells: no cell runs etcd and spec.topology.external is not set: there is no global topology');
  }
  if (vtctldAddress(spec, name) === undefined) {
    problems.push('spec.cells: no cell runs vtctld: cells cannot be registered');
  }
  if (spec.vtadmin !== undefined) {
    // vtadmin refuses to start without one of --rbac and --no-rbac; allowing everyone is never a default.
    if (spec.vtadmin.rbac === undefined && !spec.vtadmin.allowAll) problems.push('spec.vtadmin: set rbac (a Secret with vtadmin\'s RBAC config) or allowAll: true');
    if (spec.vtadmin.rbac !== undefined && spec.vtadmin.allowAll) problems.push('spec.vtadmin: set rbac or allowAll, not both');
    if (spec.tls?.grpc !== undefined) problems.push('spec.vtadmin: not supported with spec.tls.grpc yet (vtadmin\'s gRPC clients get no certificate)');
  }
  spec.cells.forEach((cell, i) => {
    problems.push(...exposureProblems({ path: `spec.cells[${i}]`, vtgate: cell.vtgate, vtctld: cell.vtctld, etcd: cell.etcd }, spec.mysqlUsers, spec.tls));
    if (cell.vtorc !== undefined && cell.orchestrator !== undefined) problems.push(`spec.cells[${i}]: set vtorc or its old spelling orchestrator, not both`);
    problems.push(...etcdOperatorProblems(cell, `spec.cells[${i}].etcd`));
    for (const component of ['etcd', 'vtctld', 'vtgate', 'vtorc', 'orchestrator'] as const) {
      const settings = cell[component];
      if (settings !== undefined) problems.push(...podSettingsProblems(settings, `spec.cells[${i}].${component}`));
    }
    problems.push(...autoscalingProblems(cell.vtgate?.autoscaling, `spec.cells[${i}].vtgate.autoscaling`));
    // The HPA owns the count: a replicas beside it would be a second, silently ignored owner.
    if (cell.vtgate?.autoscaling !== undefined && cell.vtgate.replicas !== undefined) problems.push(`spec.cells[${i}].vtgate.replicas: set replicas or autoscaling, not both (the HorizontalPodAutoscaler sets vtgate's replicas)`);
  });
  if (spec.vtadmin !== undefined) problems.push(...podSettingsProblems(spec.vtadmin, 'spec.vtadmin'));
  problems.push(...backupProblems(spec));
  spec.keyspaces.forEach((keyspace, i) => {
    const path = `spec.keyspaces[${i}]`;
    keyspace.cells.forEach((cell, j) => {
      if (!cellNames.includes(cell)) problems.push(`${path}.cells[${j}]: unknown cell '${cell}'`);
      if (cell === GLOBAL_CELL) problems.push(`${path}.cells[${j}]: the '${GLOBAL_CELL}' cell holds the global topology and runs no tablets`);
    });
    keyRangeProblems((keyspace.shards ?? []).map((shard) => shard.keyRange)).forEach(({ index, message }) => problems.push(`${path}.shards[${index}].keyRange: ${message}`));
    duplicates((keyspace.shards ?? []).map((shard) => shardName(shard.keyRange))).forEach((index) => problems.push(`${path}.shards[${index}].keyRange: duplicate shard`));
    if (keyspace.reshard !== undefined) {
      const serving = (keyspace.shards ?? []).length === 0 ? [{ name: UNSHARDED }] : (keyspace.shards ?? []).map((shard) => ({ name: shardName(shard.keyRange), keyRange: shard.keyRange }));
      const targets = keyspace.reshard.shards.map((shard) => ({ name: shardName(shard.keyRange), keyRange: shard.keyRange }));
      reshardProblems(serving, targets).forEach(({ index, message }) => problems.push(`${path}.reshard.shards[${index}].keyRange: ${message}`));
    }
    const tablets = keyspace.tablets;
    if (tablets.replica !== undefined && tablets.masterEligible !== undefined) problems.push(`${path}.tablets: set replica or its old spelling masterEligible, not both`);
    if (tablets.rdonly !== undefined && tablets.batch !== undefined) problems.push(`${path}.tablets: set rdonly or its old spelling batch, not both`);
    // Each pool as it runs, `defaults` merged in: a mount in `defaults` may name a pool's own volume.
    const pools = resolveKeyspace(spec, keyspace).tablets;
    problems.push(...podSettingsProblems(pools.replica, `${path}.tablets.replica (with defaults)`), ...podSettingsProblems(pools.rdonly, `${path}.tablets.rdonly (with defaults)`));
    problems.push(...xtrabackupProblems(spec.backup, pools, `${path}.tablets`));
  });
  return problems;
}

/** A backup location names exactly one storage; a keyspace's schedule needs the cluster's location and a cron. */
function backupProblems(spec: Cluster): string[] {
  const problems: string[] = [];
  const backup = spec.backup;
  if (backup !== undefined) {
    const kinds = Object.keys(backup.location).filter((kind) => backup.location[kind as keyof typeof backup.location] !== undefined);
    if (kinds.length !== 1) problems.push(`spec.backup.location: (${kinds.length === 0 ? 'none' : kinds.join(', ')}) must set exactly one of s3, gcs, azblob, ceph, file`);
    const file = backup.location.file;
    if (file !== undefined && (file.claimName === undefined) === (file.volume === undefined)) problems.push('spec.backup.location.file: must set exactly one of claimName, volume');
    const sources = Object.keys(file?.volume ?? {});
    if (file?.volume !== undefined && sources.length !== 1) problems.push(`spec.backup.location.file.volume: (${sources.length === 0 ? 'none' : sources.join(', ')}) must set exactly one of ${FILE_VOLUME_SOURCES.join(', ')}`);
    if (backup.xtrabackup !== undefined && backup.engine !== 'xtrabackup') problems.push(`spec.backup.xtrabackup: set only with engine: xtrabackup (engine is ${backup.engine ?? 'builtin'})`);
  }
  spec.keyspaces.forEach((keyspace, i) => {
    const own = keyspace.backup?.schedule;
    if (backup === undefined) {
      if (keyspace.backup !== undefined) problems.push(`spec.keyspaces[${i}].backup: needs spec.backup (the storage location)`);
      return;
    }
    if ((own !== undefined || backup.schedule !== undefined) && (own?.cron ?? backup.schedule?.cron) === undefined) {
      problems.push(`${own !== undefined ? `spec.keyspaces[${i}].backup` : 'spec.backup'}.schedule.cron: required for keyspace '${keyspace.name}' (neither spec.backup.schedule nor the keyspace's sets one)`);
    }
  });
  return problems;
}

/**
 * Placement an EtcdCluster cannot carry: etcd-operator's PodPolicy (v1beta2 `spec.pod`) has
 * nodeSelector, tolerations and affinity (lib/templates/etcd.ts maps them), but no topology spread
 * and no priority class. Refused rather than dropped, like any setting the chosen provider cannot
 * honour: a spread the user asked for would otherwise silently not exist. `[]` asks for nothing.
 */
function etcdOperatorProblems(cell: Cluster['cells'][number], path: string): string[] {
  const etcd = cell.etcd;
  if (etcd?.provider !== 'etcd-operator') return [];
  const problems: string[] = [];
  if (etcd.topologySpreadConstraints !== undefined && etcd.topologySpreadConstraints.length > 0) {
    const count = etcd.topologySpreadConstraints.length;
    problems.push(
      `${path}.topologySpreadConstraints: (${count} constraint${count === 1 ? '' : 's'}) not supported with provider etcd-operator: an EtcdCluster's pod policy has no topology spread; use affinity (podAntiAffinity on the label etcd_cluster) or provider builtin`,
    );
  }
  for (const field of ['imagePullSecrets', 'imagePullPolicy', 'podLabels', 'podAnnotations', 'extraEnv', 'extraVolumes', 'extraVolumeMounts', 'securityContext'] as const) {
    if (etcd[field] !== undefined) problems.push(`${path}.${field}: not supported with provider etcd-operator: set it in etcd-operator's own deployment, or use provider builtin`);
  }
  if (etcd.priorityClassName !== undefined) {
    problems.push(`${path}.priorityClassName: ('${etcd.priorityClassName}') not supported with provider etcd-operator: an EtcdCluster's pod policy has no priority class; remove it or use provider builtin`);
  }
  return problems;
}

/** Indexes of items that repeat an earlier item. */
function duplicates(items: readonly string[]): number[] {
  return items.flatMap((item, index) => (items.indexOf(item) < index ? [index] : []));
}
