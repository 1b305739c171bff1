/**
 * sync-cell: a VitessCell becomes its topology etcd, vtctld, vtgate, vtorc, the tablets' headless
 * Service, the Job that registers the cell, and per keyspace deployed in it a Job that creates the
 * keyspace record with its durability policy, then its VitessKeyspace.
 * Rollout order is bottom-up (docs/decisions/0017): the keyspaces (every tablet), then vtctld and
 * vtorc, then vtgate, then vtadmin, each stage gated until the one before it settled; with
 * `rollout.vtgate: first`, vtgate goes first as a canary.
 * The `global` cell holds the global topology and vtctld only: it is no Vitess cell, so it is not registered.
 */
import { tabletTls } from '../api/access.ts';
import { type Cell, CellSpec, KIND as CELL_KIND } from '../api/cell.ts';
import { KIND as KEYSPACE_KIND } from '../api/keyspace.ts';
import { autoscalingProblems } from '../api/common.ts';
import { jobPodSettings, podSettingsProblems } from '../api/pod.ts';
import { GLOBAL_CELL } from '../api/resolve.ts';
import { asKubeObjects, isRecord, type KubeObject, objectKey } from '../kube/object.ts';
import type { ObservedParent } from '../metacontroller/request.ts';
import { cellInfoJob } from '../templates/cell-info-job.ts';
import type { CellScope } from '../templates/cell-scope.ts';
import { etcdObjects } from '../templates/etcd.ts';
import { keyspaceJob } from '../templates/keyspace-job.ts';
import { cellNetworkPolicies, NETWORK_POLICY_RESOURCE } from '../templates/network-policy.ts';
import { keyspacesResharding } from './resharding-summary.ts';
import { tabletService } from '../templates/tablet-service.ts';
import { vitessChild } from '../templates/vitess-child.ts';
import { vtctldObjects } from '../templates/vtctld.ts';
import { vtgateObjects } from '../templates/vtgate.ts';
import { vtadminObjects } from '../templates/vtadmin.ts';
import { vtorcDeployment } from '../templates/vtorc.ts';
import { keyspaceObjectName } from '../vitess/names.ts';
import { revisionOf, type Slot } from '../rollout/planner.ts';
import { descendantsOf, isSettled, type SlotSet } from '../rollout/slots.ts';
import { LABEL } from '../vitess/labels.ts';
import { exposureProblems } from './exposure.ts';
import { cellSlots } from './keyspace-removal.ts';
import { childDeferred, childList, childRolledOut, defineLayer } from './pipeline.ts';

export const cellLayer = defineLayer<Cell>({
  name: 'sync-cell',
  parentKind: CELL_KIND,
  schema: CellSpec,
  problems: cellProblems,
  children: cellChildren,
  maxInFlight: (spec) => spec.rollout.components,
  confirmRemoval: (spec) => spec.confirmRemoval,
  // Removed keyspaces leave the topology before they leave the cluster (lib/sync/keyspace-removal.ts);
  // the rest rolls bottom-up.
  slots: (spec, desired, observed) => bottomUpSlots(spec, cellSlots(spec, desired, observed)),
  status: (spec, observed, desired) => {
    const { removedKeyspaces } = cellSlots(spec, desired, observed);
    // A retiring cell is done once no keyspace of it is left (each left the topology first).
    const retired = spec.retire === true ? ![...observed.values()].some((child) => child.kind === KEYSPACE_KIND) : undefined;
    return {
      keyspaces: childList(desired.filter((child) => child.kind === KEYSPACE_KIND), observed),
      tablets: tabletsProgress(desired, observed),
      removedKeyspaces: removedKeyspaces.length > 0 ? removedKeyspaces.map(({ name, vitessName, state, message }) => ({ name, keyspace: vitessName, state, message })) : undefined,
      reshardsComplete: reshardsComplete(observed),
      retired,
      // Each keyspace's reshard, its copy's progress and lag (lib/sync/resharding-summary.ts).
      resharding: keyspacesResharding(observed),
    };
  },
});

/**
 * The keyspaces of this cell whose reshard workflow completed, with its targets: the cluster tells
 * the keyspace's other cells, whose copies of the sources then retire (lib/sync/reshard.ts).
 */
function reshardsComplete(observed: ReadonlyMap<string, KubeObject>): { keyspace: string; targets: string[] }[] | undefined {
  const complete = [...observed.values()].flatMap((child) => {
    if (child.kind !== KEYSPACE_KIND || !isRecord(child.spec) || typeof child.spec.name !== 'string') return [];
    const resharding = (child.status as { resharding?: { state?: unknown; targets?: unknown } } | undefined)?.resharding;
    const targets = resharding?.targets;
    if (resharding?.state !== 'Complete' || !Array.isArray(targets) || !targets.every((t) => typeof t === 'string')) return [];
    return [{ keyspace: child.spec.name, targets: targets as string[] }];
  });
  return complete.length > 0 ? complete : undefined;
}

/**
 * Pod settings a VitessCell's Pods cannot take (lib/api/pod.ts), checked here too: a VitessCell can
 * be written by hand, and every layer validates what it renders.
 */
export function cellProblems(spec: Cell): string[] {
  const problems: string[] = [];
  for (const component of ['etcd', 'vtctld', 'vtgate', 'vtorc', 'vtadmin'] as const) {
    const settings = spec[component];
    if (settings !== undefined) problems.push(...podSettingsProblems(settings, `spec.${component}`));
  }
  problems.push(...autoscalingProblems(spec.vtgate?.autoscaling, 'spec.vtgate.autoscaling'));
  problems.push(...exposureProblems({ path: 'spec', vtgate: spec.vtgate, vtctld: spec.vtctld, etcd: spec.etcd }, spec.mysqlUsers, spec.tls));
  return problems;
}

/** The stages of a cell's rollout, bottom-up (the Vitess upgrade order): tablets, then vtctld and vtorc, then vtgate, then vtadmin. */
type Stage = 'tablets' | 'control' | 'vtgate' | 'vtadmin';

const STAGE_OF_COMPONENT: Readonly<Record<string, Stage>> = { vtctld: 'control', vtorc: 'control', vtgate: 'vtgate', vtadmin: 'vtadmin' };

/**
 * The stage a child belongs to; undefined for what is not ordered (topology, Services, Jobs, ConfigMaps)
 * and for a keyspace being removed (lib/sync/keyspace-removal.ts): its retirement is no rollout of
 * tablets, and vtctld, vtorc or vtgate waiting for it while it waits for their in-flight place stalls both.
 */
function stageOf(child: KubeObject): Stage | undefined {
  if (child.kind === KEYSPACE_KIND) return isRecord(child.spec) && child.spec.retire === true ? undefined : 'tablets';
  if (child.kind !== 'Deployment') return undefined;
  return STAGE_OF_COMPONENT[child.metadata.labels?.[LABEL.component] ?? ''];
}

/**
 * The order a stage waits for: every tablet first (its keyspaces settled), then vtctld and vtorc,
 * then vtgate. With `rollout.vtgate: first` vtgate is the canary: it goes first and the rest waits
 * for it. A stage waits only when it has something outdated to move; creation is never held.
 */
function stagesBefore(stage: Stage, vtgate: 'first' | 'last'): Stage[] {
  const order: Stage[] = vtgate === 'first' ? ['vtgate', 'tablets', 'control', 'vtadmin'] : ['tablets', 'control', 'vtgate', 'vtadmin'];
  return order.slice(0, order.indexOf(stage));
}

/**
 * How far the cell's tablets got, for the cluster: `rolledOut`, no keyspace (nor tablet below) waits
 * to move to a newer revision; `settled`, and every keyspace is there, Ready and Updated; `deferred`
 * (not rolled out): every keyspace is so or, on its latest revision, reports a primary left for the
 * cluster's next phase (`rollout.primaryAcrossCells: later`).
 */
function tabletsProgress(desired: readonly KubeObject[], observed: ReadonlyMap<string, KubeObject>): { rolledOut: boolean; settled: boolean; deferred?: true } {
  const keyspaces = desired.filter((child) => child.kind === KEYSPACE_KIND).map((child) => ({ child, seen: observed.get(objectKey(child)) }));
  // A keyspace being created has nothing to roll.
  const rolled = keyspaces.every(({ child, seen }) => seen === undefined || (revisionOf(seen) === revisionOf(child) && childRolledOut(seen)));
  const settled = rolled && keyspaces.every(({ seen }) => seen !== undefined && isSettled(seen));
  const current = ({ child, seen }: { child: KubeObject; seen: KubeObject | undefined }): boolean => seen !== undefined && revisionOf(seen) === revisionOf(child);
  const deferring = keyspaces.filter((k) => current(k) && childDeferred(k.seen as KubeObject));
  const deferred = !settled && deferring.length > 0 && keyspaces.every((k) => deferring.includes(k) || (current(k) && childRolledOut(k.seen) && isSettled(k.seen as KubeObject)));
  return { rolledOut: rolled, settled, ...(deferred ? { deferred: true as const } : {}) };
}

/** The stages the cluster holds while some cell's tablets have not rolled (`rollout.holdComponents`). */
const HELD_BY_CLUSTER: readonly Stage[] = ['control', 'vtgate', 'vtadmin'];

function bottomUpSlots(spec: Cell, slotSet: SlotSet): SlotSet {
  const unsettled = new Map<Stage, string[]>();
  for (const slot of slotSet.slots) {
    const child = slot.desired ?? slot.observed;
    const stage = child === undefined || slot.desired === undefined ? undefined : stageOf(child);
    if (stage === undefined) continue;
    const done = slot.observed !== undefined && revisionOf(slot.observed) === revisionOf(slot.desired as KubeObject) && isSettled(slot.observed);
    if (!done) unsettled.set(stage, [...(unsettled.get(stage) ?? []), `${(child as KubeObject).kind}/${(child as KubeObject).metadata.name}`]);
  }
  const slots = slotSet.slots.map((slot): Slot => {
    const child = slot.desired ?? slot.observed;
    const stage = child === undefined ? undefined : stageOf(child);
    if (stage === undefined) return slot;
    const name = `${(child as KubeObject).kind}/${(child as KubeObject).metadata.name}`;
    if (spec.rollout.holdComponents === true && HELD_BY_CLUSTER.includes(stage)) {
      return { ...slot, gate: { state: 'pending', prerequisites: [], message: `${name} waits for every cell's tablets (the cluster holds vtctld, vtorc, vtgate and vtadmin until they rolled)` } };
    }
    const waitFor = stagesBefore(stage, spec.rollout.vtgate).flatMap((before) => unsettled.get(before) ?? []);
    if (waitFor.length === 0) return slot;
    const named = waitFor.slice(0, 3).join(', ') + (waitFor.length > 3 ? ` and ${waitFor.length - 3} more` : '');
    return { ...slot, gate: { state: 'pending', prerequisites: [], message: `${(child as KubeObject).kind}/${(child as KubeObject).metadata.name} waits for ${named} (rollout order: ${spec.rollout.vtgate === 'first' ? 'vtgate first, as a canary' : 'tablets, then vtctld and vtorc, then vtgate'})` } };
  });
  return { ...slotSet, slots };
}

function cellChildren(spec: Cell, parent: ObservedParent, _derived: undefined, _observed: ReadonlyMap<string, KubeObject>, declared: ReadonlySet<string>): KubeObject[] {
  const scope: CellScope = {
    cluster: spec.cluster,
    cell: spec.name,
    template: spec.template,
    cellObject: parent.metadata.name,
    topology: spec.topology,
    vtctldAddress: spec.vtctldAddress,
    vitessImage: spec.images.vitess,
    backupFlags: spec.backupFlags,
    tls: spec.tls,
    mysqlUsers: spec.mysqlUsers,
    backup: spec.backup,
    // The cell's Jobs (registration, keyspace records) run the Vitess image as vtctld does.
    jobPod: jobPodSettings(spec.vtctld ?? spec.vtgate ?? spec.vtorc),
  };
  const objects: KubeObject[] = [];
  // Where the component declares them: who may connect, before anything listens.
  if (declared.has(NETWORK_POLICY_RESOURCE)) objects.push(...asKubeObjects(cellNetworkPolicies(scope, spec.vtgate !== undefined && spec.retire !== true, spec.name !== GLOBAL_CELL)));
  // Order matters to the rollout: topology first, then the tablets (keyspaces), then what runs above them.
  if (spec.etcd !== undefined) objects.push(...etcdObjects(scope, spec.etcd));
  // A retiring cell wants no keyspace (each leaves the topology, then the cluster: lib/sync/keyspace-removal.ts)
  // and serves nothing; its etcd (the cell's topology, where its records live) and vtctld (the keyspaces'
  // Jobs may call it) run until the cluster deleted its CellInfo (lib/sync/cell-removal.ts).
  if (spec.retire === true) return spec.vtctld === undefined ? objects : [...objects, ...asKubeObjects(vtctldObjects(scope, spec.vtctld))];
  if (spec.name !== GLOBAL_CELL) objects.push(...asKubeObjects([tabletService(scope), cellInfoJob(scope)]));
  // The keyspace records (and their durability policies) before the tablets that register in them.
  objects.push(...asKubeObjects(spec.keyspaces.map((keyspace) => keyspaceJob(scope, keyspace.name, keyspace.durabilityPolicy))));
  // The order of components is the cell's own business: the keyspaces get the bounds only.
  const { vtgate: _vtgate, holdComponents: _hold, ...rollout } = spec.rollout;
  for (const keyspace of spec.keyspaces) {
    objects.push(
      vitessChild(KEYSPACE_KIND, { ...scope, keyspace: keyspace.name }, spec.selector, keyspaceObjectName(scope.cellObject, keyspace.name), {
        cluster: spec.cluster,
        cell: spec.name,
        name: keyspace.name,
        topology: spec.topology,
        vtctldAddress: spec.vtctldAddress,
        images: spec.images,
        backupFlags: spec.backupFlags,
        tls: tabletTls(spec.tls),
        monitoring: spec.monitoring,
        backup: spec.backup,
        backupJobs: keyspace.backupJobs,
        initDbSql: keyspace.initDbSql,
        dbCredentials: keyspace.dbCredentials,
        peerCells: keyspace.peerCells,
        rollout: { ...rollout, ...keyspace.rollout },
        confirmRemoval: descendantsOf(keyspaceObjectName(scope.cellObject, keyspace.name), spec.confirmRemoval),
        shards: keyspace.shards,
        tablets: keyspace.tablets,
        ...(keyspace.reshard === undefined ? {} : { reshard: keyspace.reshard }),
      }),
    );
  }
  // Then the processes above the tablets, in the Vitess upgrade order (bottomUpSlots gates them):
  // vtctld and vtorc, then vtgate; vtadmin last: a console should never hold up the data plane.
  if (spec.vtctld !== undefined) objects.push(...asKubeObjects(vtctldObjects(scope, spec.vtctld)));
  if (spec.vtorc !== undefined) objects.push(...asKubeObjects([vtorcDeployment(scope, spec.vtorc, spec.keyspaces.map((k) => k.name))]));
  if (spec.vtgate !== undefined) objects.push(...asKubeObjects(vtgateObjects(scope, spec.vtgate, spec.tabletCells, spec.mysqlServerVersion)));
  if (spec.vtadmin !== undefined) objects.push(...asKubeObjects(vtadminObjects(scope, spec.vtadmin)));
  return objects;
}
