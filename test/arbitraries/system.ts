/**
 * Whole-system scenarios for the property tests in test/properties/:
 *
 * - Layer cases (cheap: one sync of one layer): a random cluster, a random edit of it, one parent on
 *   a random path down the tree (cluster, cell, keyspace or shard), and a random observed state of its
 *   children: each child missing, on its old revision or its new one, ready or not, being deleted or
 *   not, reporting volumes or not; reparent Jobs for replica tablets in every state. The parent's
 *   spec and the children are what the layers above would have written (the tree is expanded by
 *   syncing the real layers), and observed children look exactly like what Metacontroller creates
 *   (applyChild's last-applied annotation, server fields, a controller reference, a status).
 * - Simulation traces (expensive): a random cluster converged under the simulator, a random edit, and
 *   every round of the rollout recorded (state before and after, actions), with a fake kubelet that
 *   delays readiness by a bounded, seeded number of rounds per object version.
 */
import fc from 'fast-check';
import { applyChild } from '../../lib/apply.ts';
import { hasTrueCondition } from '../../lib/kube/conditions.ts';
import { canonicalJson, type KubeObject, objectKey } from '../../lib/kube/object.ts';
import { LAST_APPLIED_ANNOTATION } from '../../lib/metacontroller/hold.ts';
import { parseSyncRequest, type SyncResponse } from '../../lib/metacontroller/request.ts';
import { REVISION_ANNOTATION } from '../../lib/rollout/planner.ts';
import type { ControllerSpec } from '../../lib/simulator/controllers.ts';
import { readyStatus, type KubeletOptions } from '../../lib/simulator/kubelet.ts';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { WRITE_VERBS, type Action } from '../../lib/simulator/metacontroller.ts';
import { DEFAULT_START, runRound, simulate, type SimulationResult } from '../../lib/simulator/simulate.ts';
import { EMPTY_STATE, getObject, storeKey, updateObject, type ClusterState } from '../../lib/simulator/store.ts';
import { layers } from '../../lib/sync/index.ts';
import type { Layer } from '../../lib/sync/layer.ts';
import { REPARENT_FOR_ANNOTATION } from '../../lib/templates/reparent-job.ts';
import { reparentJobName } from '../../lib/vitess/names.ts';
import { sharedSeed } from './index.ts';
import { applyEdits, applyInvalidEdit, buildSpec, clusterName, clusterObject, type Edit, type InvalidEdit, invalidEdit, type KeyspaceBlueprint, LAYER_LIMITS, SIMULATION_LIMITS, type Spec, specBlueprint, specEdits, type SpecLimits } from './cluster.ts';

export const NAMESPACE = 'default';
/** The clock of one-sync cases. */
export const NOW = new Date('2024-01-01T01:00:00Z');
export const VITESS_KINDS = new Set(['VitessCluster', 'VitessCell', 'VitessKeyspace', 'VitessShard']);
export const DEPTH_KINDS = ['VitessCluster', 'VitessCell', 'VitessKeyspace', 'VitessShard'] as const;

export function layerFor(kind: string): Layer {
  const layer = layers.find((l) => l.parentKind === kind);
  if (layer === undefined) throw new Error(`no layer for ${kind}`);
  return layer;
}

// ---------- one sync ----------

/** The request body Metacontroller sends (hook v1 child keys), children grouped by type and sorted by name. */
export function requestBody(parent: KubeObject, children: readonly KubeObject[]): Record<string, unknown> {
  const map: Record<string, Record<string, KubeObject>> = {};
  for (const child of [...children].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))) {
    (map[`${child.kind}.${child.apiVersion}`] ??= {})[child.metadata.name] = child;
  }
  return { controller: {}, parent, children: map, related: {}, finalizing: false };
}

/** One sync of a parent by its layer, through the same edge parsing as the HTTP hooks; the answer as it crosses the wire. */
export function syncBody(body: unknown, kind: string, now: Date = NOW): SyncResponse {
  const request = parseSyncRequest(JSON.parse(JSON.stringify(body)) as unknown, kind);
  return JSON.parse(JSON.stringify(layerFor(kind).sync(request, { now }))) as SyncResponse;
}

export function syncOnce(parent: KubeObject, children: readonly KubeObject[], now: Date = NOW): SyncResponse {
  return syncBody(requestBody(parent, children), parent.kind, now);
}

/** A desired child turned into an observed parent (the layer above created it). */
export function asParent(desired: KubeObject, generation = 1): KubeObject {
  return { ...desired, metadata: { ...desired.metadata, namespace: NAMESPACE, uid: `uid-${desired.kind}-${desired.metadata.name}`, generation } };
}

/** Every child the layer wants for this parent, as answered with nothing observed yet (all are created at once). */
export function desiredOf(parent: KubeObject): KubeObject[] {
  return syncOnce(parent, []).children.map(withNamespace);
}

function withNamespace(child: KubeObject): KubeObject {
  return child.metadata.namespace === undefined ? { ...child, metadata: { ...child.metadata, namespace: NAMESPACE } } : child;
}

export function clusterParent(name: string, spec: Spec, generation = 1): KubeObject {
  return asParent(clusterObject(name, spec), generation);
}

export interface LayerView {
  parent: KubeObject;
  desired: KubeObject[];
}

/** The parent at each depth along a path (picks choose among the Vitess children), as far down as it goes. */
export function pathViews(cluster: KubeObject, depth: number, picks: readonly number[]): LayerView[] {
  const views: LayerView[] = [];
  let parent: KubeObject | undefined = cluster;
  for (let d = 0; parent !== undefined && d <= depth; d++) {
    const desired = desiredOf(parent);
    views.push({ parent, desired });
    const next = desired.filter((child) => child.kind === DEPTH_KINDS[d + 1]);
    const chosen = next.length === 0 ? undefined : next[(picks[d] ?? 0) % next.length];
    parent = chosen === undefined ? undefined : asParent(chosen);
  }
  return views;
}

/** Every parent of the tree with its desired children, top down (for validity and the desired state). */
export function expandTree(cluster: KubeObject): LayerView[] {
  const views: LayerView[] = [];
  let queue: KubeObject[] = [cluster];
  while (queue.length > 0) {
    const next: KubeObject[] = [];
    for (const parent of queue) {
      const desired = desiredOf(parent);
      views.push({ parent, desired });
      next.push(...desired.filter((c) => VITESS_KINDS.has(c.kind)).map((c) => asParent(c)));
    }
    queue = next;
  }
  return views;
}

// ---------- observed children ----------

export interface ObserveOptions {
  ready: boolean;
  generation?: number;
  /** observedGeneration one behind (a Vitess child whose own hook has not seen its new spec yet). */
  lagging?: boolean;
  deleting?: boolean;
  /** status.volumes of a Vitess child (undefined: not reported yet). */
  volumes?: number;
  /** For Vitess children that are not ready: is their rollout done anyway? */
  updated?: boolean;
  /** Drop the last-applied annotation (an object Metacontroller did not create, or an old one). */
  withoutAnnotation?: boolean;
}

/** What Metacontroller would have created for a desired child of `owner`, with a status written by its controller. */
export function observe(desired: KubeObject, owner: KubeObject, options: ObserveOptions): KubeObject {
  const { object } = applyChild(undefined, withNamespace(desired));
  const generation = options.generation ?? 1;
  const annotations = { ...object.metadata.annotations };
  if (options.withoutAnnotation === true) delete annotations[LAST_APPLIED_ANNOTATION];
  const observed: KubeObject = {
    ...object,
    metadata: {
      ...object.metadata,
      annotations,
      uid: `uid-${object.kind}-${object.metadata.name}`,
      resourceVersion: '100',
      generation,
      creationTimestamp: '2024-01-01T00:00:10Z',
      ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
      ...(options.deleting === true ? { deletionTimestamp: '2024-01-01T00:59:00Z' } : {}),
    },
  };
  const status = statusFor(observed, options, generation);
  return status === undefined ? observed : { ...observed, status };
}

function statusFor(object: KubeObject, options: ObserveOptions, generation: number): Record<string, unknown> | undefined {
  if (VITESS_KINDS.has(object.kind)) {
    const ready = options.ready;
    const updated = ready || options.updated === true;
    return {
      observedGeneration: options.lagging === true ? generation - 1 : generation,
      ...(options.volumes === undefined ? {} : { volumes: options.volumes }),
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'AllChildrenReady' : 'ChildrenNotReady', message: '', lastTransitionTime: '2024-01-01T00:00:20Z' },
        { type: 'Updated', status: updated ? 'True' : 'False', reason: updated ? 'RolloutComplete' : 'RollingOut', message: '', lastTransitionTime: '2024-01-01T00:00:20Z' },
      ],
    };
  }
  if (!options.ready) return object.kind === 'Pod' ? { phase: 'Pending' } : undefined;
  const status = readyStatus(object, EMPTY_STATE, new Date('2024-01-01T00:00:30Z'));
  return status === undefined ? undefined : { ...status, ...('observedGeneration' in status ? { observedGeneration: generation } : {}) };
}

// ---------- layer cases ----------

export interface ChildChoice {
  /** Index into the presences this child can have (missing, on its old revision, on its new one). */
  presence: number;
  ready: boolean;
  deleting: boolean;
  lagging: boolean;
  updated: boolean;
  volumes: 'unknown' | 'zero' | 'some';
  job: 'none' | 'complete' | 'stale' | 'running' | 'failed';
  /** For invalid cases: an observed child without the last-applied annotation. */
  annotated: boolean;
}

export const childChoice: fc.Arbitrary<ChildChoice> = fc.record({
  presence: fc.nat(5),
  ready: fc.boolean(),
  deleting: fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  lagging: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  updated: fc.boolean(),
  volumes: fc.constantFrom('unknown', 'zero', 'some', 'some'),
  job: fc.constantFrom('none', 'complete', 'complete', 'stale', 'running', 'failed'),
  annotated: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});

/** The same choice with every observed child Ready and settled (for the progress law). */
export function readyVariant(choice: ChildChoice): ChildChoice {
  return { ...choice, ready: true, deleting: false, lagging: false, job: choice.job === 'running' || choice.job === 'failed' ? 'complete' : choice.job };
}

/** A lower layer's spec broken in a way its schema refuses (someone edited the object by hand). */
export type Corruption = 'zeroInFlight' | 'noTopology' | 'negativeReplicas' | 'badSelector';

/**
 * One random situation: a cluster, an edit of it, a path down its tree (picks), random observed
 * states of the children along the path (choices), and, for the invalid-spec laws, an invalid edit
 * of the cluster and a corruption of the lower layers' specs.
 */
export interface LayerScenario {
  name: string;
  base: Spec;
  edits: Edit[];
  picks: number[];
  choices: ChildChoice[];
  invalid: InvalidEdit;
  corruption: Corruption;
}

/** A keyspace for trees that must reach the keyspace and shard layers. */
const FALLBACK_KEYSPACE: KeyspaceBlueprint = {
  name: 'main',
  cellMask: 1,
  cuts: [128],
  unsharded: false,
  replica: { spelling: 'new', replicas: 2 },
  rdonly: { spelling: 'new', replicas: 1 },
};

/**
 * Layer scenarios. Three in four trees without keyspaces get one, so that most paths reach the
 * keyspace and shard layers; the rest test clusters of cells only.
 */
export function layerScenario(limits: SpecLimits = LAYER_LIMITS): fc.Arbitrary<LayerScenario> {
  return fc
    .record({
      name: clusterName,
      blueprint: specBlueprint(limits),
      edits: specEdits(limits),
      picks: fc.array(fc.nat(50), { minLength: 4, maxLength: 4 }),
      choices: fc.array(childChoice, { minLength: 1, maxLength: 24 }),
      invalid: invalidEdit,
      corruption: fc.constantFrom<Corruption>('zeroInFlight', 'noTopology', 'negativeReplicas', 'badSelector'),
    })
    .map(({ name, blueprint, ...rest }) => {
      const deep = blueprint.keyspaces.length === 0 && (rest.picks[3] ?? 0) % 4 !== 0 ? { ...blueprint, keyspaces: [FALLBACK_KEYSPACE] } : blueprint;
      return { name, base: buildSpec(deep, name), ...rest };
    });
}

export type Presence = 'missing' | 'old' | 'new';

export interface ObservedEntry {
  key: string;
  presence: Presence;
  choice: ChildChoice;
  old?: KubeObject;
  new?: KubeObject;
  observed?: KubeObject;
}

export interface LayerCase {
  depth: number;
  kind: string;
  /** The parent as observed: its new spec (written by the layer above, or edited by the user). */
  parent: KubeObject;
  oldDesired: KubeObject[];
  newDesired: KubeObject[];
  entries: ObservedEntry[];
  observed: KubeObject[];
  body: Record<string, unknown>;
  /** The layer's answer to `body` (computed once). */
  readonly answer: SyncResponse;
}

/** The old and new trees along one path: computed once per scenario and shared by every law. */
export interface Expansion {
  oldSpec: Spec;
  newSpec: Spec;
  /** Parents at depths 0.. along the path in the edited tree, with their desired children. */
  views: LayerView[];
  /** The same parents (by name) in the tree before the edit; undefined where the edit created them. */
  oldViews: (LayerView | undefined)[];
  cases: Map<string, LayerCase>;
}

const expansions = new Map<string, Expansion>();
/**
 * Expansions kept: one property's whole run (FC_RUNS, 1000 by default), so the next property (same seed)
 * reuses them; but never more than 11,000 (FC_RUNS=10000), as each holds whole trees: a 100,000-case run
 * of one file kept all of them and grew past 20 GiB (about 1 MiB each). Beyond the cap a later property
 * recomputes, slower only; FC_EXPANSION_CACHE sets the cap (1000 kept a 100,000-case run of one file at 1.3 GiB).
 */
const EXPANSION_CACHE = Number(process.env.FC_EXPANSION_CACHE ?? Math.min(11_000, Math.ceil(Number(process.env.FC_RUNS ?? 1000) * 1.1)));

export function expansionOf(scenario: LayerScenario): Expansion {
  const key = canonicalJson([scenario.name, scenario.base, scenario.edits, scenario.picks]);
  let expansion = expansions.get(key);
  if (expansion === undefined) {
    const newSpec = applyEdits(scenario.base, scenario.edits, scenario.name);
    const views = pathViews(clusterParent(scenario.name, newSpec, 2), 3, scenario.picks);
    const oldViews: (LayerView | undefined)[] = [];
    let oldParent: KubeObject | undefined = clusterParent(scenario.name, scenario.base, 1);
    for (const view of views) {
      if (oldParent === undefined || oldParent.metadata.name !== view.parent.metadata.name) oldParent = undefined;
      const oldView: LayerView | undefined = oldParent === undefined ? undefined : { parent: oldParent, desired: desiredOf(oldParent) };
      oldViews.push(oldView);
      const nextName = views[oldViews.length]?.parent.metadata.name;
      const nextOld: KubeObject | undefined = oldView?.desired.find((c) => VITESS_KINDS.has(c.kind) && c.metadata.name === nextName);
      oldParent = nextOld === undefined ? undefined : asParent(nextOld);
    }
    expansion = { oldSpec: scenario.base, newSpec, views, oldViews, cases: new Map() };
    expansions.set(key, expansion);
    if (expansions.size > EXPANSION_CACHE) expansions.delete(expansions.keys().next().value as string);
  }
  return expansion;
}

/** The depths the scenario's path reaches (0 cluster .. 3 shard). */
export function depthsOf(scenario: LayerScenario): number[] {
  return expansionOf(scenario).views.map((_, depth) => depth);
}

function presenceOptions(hasOld: boolean, hasNew: boolean, sameRevision: boolean): Presence[] {
  if (hasOld && hasNew) return sameRevision ? ['new', 'new', 'missing'] : ['old', 'new', 'old', 'missing'];
  if (hasNew) return ['new', 'new', 'missing'];
  return ['old', 'old', 'missing'];
}

function volumesOf(choice: ChildChoice): number | undefined {
  return choice.volumes === 'unknown' ? undefined : choice.volumes === 'zero' ? 0 : 3;
}

function withAnswer(base: Omit<LayerCase, 'answer'>): LayerCase {
  let answer: SyncResponse | undefined;
  return Object.defineProperty(base, 'answer', {
    get: () => (answer ??= syncBody(base.body, base.kind)),
    enumerable: false,
  }) as LayerCase;
}

/**
 * The case of one layer on the scenario's path (memoized): the parent with its new spec, and its
 * children observed in the states the choices say. `ready`: every observed child Ready and settled.
 */
export function caseAt(scenario: LayerScenario, depth: number, variant: 'random' | 'ready' = 'random'): LayerCase | undefined {
  const expansion = expansionOf(scenario);
  const view = expansion.views[depth];
  if (view === undefined) return undefined;
  const cacheKey = `${depth}/${variant}/${canonicalJson(scenario.choices)}`;
  const cached = expansion.cases.get(cacheKey);
  if (cached !== undefined) return cached;
  const oldView = expansion.oldViews[depth];
  // The parent is on generation 2 (its spec was just written).
  const parent = { ...view.parent, metadata: { ...view.parent.metadata, generation: 2 } };
  const oldByKey = new Map((oldView?.desired ?? []).map((c) => [objectKey(c), c]));
  const newByKey = new Map(view.desired.map((c) => [objectKey(c), c]));
  const keys = [...new Set([...newByKey.keys(), ...oldByKey.keys()])];
  const entries: ObservedEntry[] = keys.map((key, i) => {
    const raw = scenario.choices[(i + depth) % scenario.choices.length] as ChildChoice;
    const choice = variant === 'ready' ? readyVariant(raw) : raw;
    const old = oldByKey.get(key);
    const next = newByKey.get(key);
    const same = old !== undefined && next !== undefined && old.metadata.annotations?.[REVISION_ANNOTATION] === next.metadata.annotations?.[REVISION_ANNOTATION];
    const options = presenceOptions(old !== undefined, next !== undefined, same);
    const presence = options[choice.presence % options.length] as Presence;
    const source = presence === 'old' ? old : presence === 'new' ? next : undefined;
    const observed =
      source === undefined
        ? undefined
        : observe(source, parent, {
            ready: choice.ready,
            deleting: choice.deleting,
            lagging: choice.lagging,
            updated: choice.updated,
            volumes: volumesOf(choice),
            generation: presence === 'old' || !VITESS_KINDS.has(source.kind) ? 1 : 2,
          });
    return { key, presence, choice, ...(old === undefined ? {} : { old }), ...(next === undefined ? {} : { new: next }), ...(observed === undefined ? {} : { observed }) };
  });
  const observed = entries.flatMap((e) => (e.observed === undefined ? [] : [e.observed]));
  if (parent.kind === 'VitessShard') observed.push(...reparentJobs(entries, parent));
  const built = withAnswer({
    depth,
    kind: parent.kind,
    parent,
    oldDesired: oldView?.desired ?? [],
    newDesired: view.desired,
    entries,
    observed,
    body: requestBody(parent, observed),
  });
  expansion.cases.set(cacheKey, built);
  return built;
}

/** Every layer case along the scenario's path. */
export function casesOf(scenario: LayerScenario, variant: 'random' | 'ready' = 'random'): LayerCase[] {
  return depthsOf(scenario).map((depth) => caseAt(scenario, depth, variant) as LayerCase);
}

/** The last-applied configuration Metacontroller recorded on an observed child (its own JSON.parse, independent of lib/). */
export function appliedOf(observed: KubeObject): KubeObject | undefined {
  const text = observed.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  return text === undefined ? undefined : (JSON.parse(text) as KubeObject);
}

export const STALE_REVISION = 'stale0000';

/** Reparent Jobs for observed replica tablet Pods, in the state each entry's choice says. */
function reparentJobs(entries: readonly ObservedEntry[], shard: KubeObject): KubeObject[] {
  return entries.flatMap((entry) => {
    const pod = entry.observed;
    if (pod === undefined || pod.kind !== 'Pod' || pod.metadata.labels?.['vitess.io/tablet-type'] !== 'replica' || entry.choice.job === 'none') return [];
    const target = entry.new === undefined ? 'removal' : (entry.new.metadata.annotations?.[REVISION_ANNOTATION] ?? '');
    const forRevision = entry.choice.job === 'stale' ? STALE_REVISION : target;
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: reparentJobName(pod.metadata.name),
        namespace: NAMESPACE,
        labels: { ...pod.metadata.labels, 'vitess.io/component': 'reparent' },
        annotations: { [REPARENT_FOR_ANNOTATION]: forRevision, [REVISION_ANNOTATION]: `job-${forRevision}` },
      },
      spec: { backoffLimit: 2, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'vtctldclient', image: 'vitess/lite:v21.0.0', command: ['vtctldclient'] }] } } },
    };
    const observed = observe(job, shard, { ready: entry.choice.job === 'complete' || entry.choice.job === 'stale' });
    if (entry.choice.job !== 'failed') return [observed];
    return [{ ...observed, status: { failed: 3, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } }];
  });
}

// ---------- invalid cases ----------

function corrupt(spec: Record<string, unknown>, corruption: Corruption): Record<string, unknown> {
  const copy = structuredClone(spec);
  switch (corruption) {
    case 'zeroInFlight':
      copy.rollout = { ...(copy.rollout as object), tablets: 0 };
      break;
    case 'noTopology':
      delete copy.topology;
      break;
    case 'negativeReplicas': {
      const tablets = copy.tablets as { replica?: { replicas: number } } | undefined;
      if (tablets?.replica !== undefined) tablets.replica.replicas = -1;
      else copy.cluster = '';
      break;
    }
    case 'badSelector':
      copy.selector = 'app=vitess';
      break;
  }
  return copy;
}

export interface InvalidCase {
  depth: number;
  kind: string;
  parent: KubeObject;
  observed: KubeObject[];
  body: Record<string, unknown>;
}

/**
 * A layer of the tree before the edit, every child observed as created (some without the
 * last-applied annotation), whose parent's spec just became invalid: at the cluster, by the user's
 * invalid edit; below, by a corruption its schema refuses.
 */
export function invalidCaseAt(scenario: LayerScenario, depth: number): InvalidCase | undefined {
  const expansion = expansionOf(scenario);
  const oldView = expansion.oldViews[depth];
  if (oldView === undefined) return undefined;
  const validParent = oldView.parent;
  const spec =
    validParent.kind === 'VitessCluster'
      ? (applyInvalidEdit(scenario.base, scenario.invalid) as unknown as Record<string, unknown>)
      : corrupt(validParent.spec as Record<string, unknown>, scenario.corruption);
  const parent: KubeObject = { ...validParent, metadata: { ...validParent.metadata, generation: 2 }, spec };
  const observed = oldView.desired.map((child, i) => {
    const choice = scenario.choices[(i + depth) % scenario.choices.length] as ChildChoice;
    return observe(child, parent, { ready: choice.ready, deleting: choice.deleting, volumes: volumesOf(choice), withoutAnnotation: !choice.annotated });
  });
  return { depth, kind: parent.kind, parent, observed, body: requestBody(parent, observed) };
}

/** Shared by every property file of a `bun test` run (modules are shared), so cached cases are reused across files. */
export const SHARED_SEED = sharedSeed();
/** The one layer-scenario arbitrary most cheap laws use: same arbitrary + same seed = same cases = cache hits. */
export const LAYER_SCENARIOS = layerScenario();

// ---------- simulation traces ----------

let cachedControllers: ControllerSpec[] | undefined;
export function controllers(): ControllerSpec[] {
  cachedControllers ??= loadControllers();
  return cachedControllers;
}

export interface SimScenario {
  name: string;
  base: Spec;
  edits: Edit[];
  /** Seeds the fake kubelet's delays. */
  delaySeed: number;
  /** Rounds an object version may lag before it becomes ready (0: ready in the round it appears). */
  maxDelay: number;
  /** Instead of the edits: an invalid edit (the data-safety law of invalid specs). */
  invalid?: InvalidEdit;
}

/** Simulation scenarios; as with layer scenarios, three in four trees without keyspaces get one. */
export function simScenario(limits: SpecLimits = SIMULATION_LIMITS, maxEdits = 2): fc.Arbitrary<SimScenario> {
  return fc
    .record({
      name: clusterName,
      blueprint: specBlueprint(limits),
      edits: specEdits(limits, maxEdits),
      delaySeed: fc.nat(),
      maxDelay: fc.integer({ min: 0, max: 2 }),
    })
    .map(({ name, blueprint, ...rest }) => {
      const deep = blueprint.keyspaces.length === 0 && rest.delaySeed % 4 !== 0 ? { ...blueprint, keyspaces: [FALLBACK_KEYSPACE] } : blueprint;
      return { name, base: buildSpec(deep, name), ...rest };
    });
}

/** Simulation scenarios whose edit is invalid. */
export function invalidSimScenario(limits: SpecLimits = SIMULATION_LIMITS): fc.Arbitrary<SimScenario> {
  return fc
    .record({ name: clusterName, blueprint: specBlueprint(limits), invalid: invalidEdit, delaySeed: fc.nat(), maxDelay: fc.integer({ min: 0, max: 2 }) })
    .map(({ name, blueprint, ...rest }) => ({ name, base: buildSpec(blueprint, name), edits: [], ...rest }));
}

export interface TraceRound {
  round: number;
  now: Date;
  before: ClusterState;
  after: ClusterState;
  actions: Action[];
  pending: string[];
}

export interface Trace {
  scenario: SimScenario;
  oldSpec: Spec;
  newSpec: Spec;
  initial: SimulationResult;
  /** The converged state with the user's edit written. */
  edited: ClusterState;
  rounds: TraceRound[];
  converged: boolean;
}

const SECONDS_PER_ROUND = 10;

function fnv1a(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A kubelet that makes each object version (kind/name@resourceVersion) wait a seeded 0..maxDelay
 * rounds, counted from the first round it could become ready: readiness lags, but never forever.
 */
export function laggingKubelet(seed: number, maxDelay: number): KubeletOptions {
  const firstSeen = new Map<string, number>();
  return {
    vitess: false,
    becomesReady: (object, round) => {
      const key = `${storeKey(object)}@${object.metadata.resourceVersion ?? ''}`;
      const first = firstSeen.get(key) ?? round;
      firstSeen.set(key, first);
      return round - first >= fnv1a(key, seed) % (maxDelay + 1);
    },
  };
}

export const CLUSTER_KEY = (name: string): string => `${NAMESPACE}/VitessCluster/${name}`;

/** Converges the base cluster, writes the edited spec, and records every round of the rollout. */
export function runTrace(scenario: SimScenario, maxRounds = 400): Trace {
  const { name, base, edits, delaySeed, maxDelay } = scenario;
  const newSpec = scenario.invalid === undefined ? applyEdits(base, edits, name) : applyInvalidEdit(base, scenario.invalid);
  // Without the fake Vitess: these traces check the laws of the rollout that needs no Vitess state (the
  // fallback); test/properties/vitess-rollout.test.ts checks the Vitess-aware rollout.
  const initial = simulate([clusterObject(name, base)], { controllers: controllers(), layers, kubelet: { vitess: false }, maxRounds: 100 });
  const key = CLUSTER_KEY(name);
  const stored = getObject(initial.state, key) as KubeObject;
  const edited = updateObject(initial.state, { ...stored, spec: structuredClone(newSpec) }).state;
  const kubelet = laggingKubelet(delaySeed, maxDelay);
  const rounds: TraceRound[] = [];
  let state = edited;
  let converged = false;
  const first = (initial.steps.at(-1)?.round ?? 0) + 1;
  for (let round = first; round < first + maxRounds; round++) {
    const now = new Date(DEFAULT_START.getTime() + round * SECONDS_PER_ROUND * 1000);
    const result = runRound(state, controllers(), layers, round, now, kubelet);
    rounds.push({ round, now, before: state, after: result.state, actions: result.actions, pending: result.pending });
    state = result.state;
    if (result.pending.length === 0 && !result.actions.some((a) => WRITE_VERBS.has(a.verb))) {
      converged = true;
      break;
    }
  }
  return { scenario, oldSpec: base, newSpec, initial, edited, rounds, converged };
}

const traces = new Map<string, Trace>();

/** runTrace, memoized by scenario: the simulation laws of one file share the traces of one seed. */
export function traceOf(scenario: SimScenario): Trace {
  const key = canonicalJson(scenario);
  let trace = traces.get(key);
  if (trace === undefined) {
    trace = runTrace(scenario);
    traces.set(key, trace);
  }
  return trace;
}

export function conditionOf(object: KubeObject | undefined, type: string): { status?: string; reason?: string } | undefined {
  const conditions = (object?.status as { conditions?: { type: string; status: string; reason?: string }[] } | undefined)?.conditions;
  return conditions?.find((c) => c.type === type);
}

export { hasTrueCondition };
