/**
 * Offline render: a VitessCluster in, the converged tree of objects out, by running the hooks under
 * the simulator (lib/simulator) exactly as Metacontroller would run them. Pure: text and objects in,
 * objects and text out; the CLI (scripts/render.ts) does the file and process I/O.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { KIND as CELL_KIND } from '../api/cell.ts';
import { KIND as CLUSTER_KIND } from '../api/cluster.ts';
import { KIND as KEYSPACE_KIND } from '../api/keyspace.ts';
import { KIND as SHARD_KIND } from '../api/shard.ts';
import { LABEL } from '../vitess/labels.ts';
import { isRecord, type KubeObject } from '../kube/object.ts';
import { isReady } from '../kube/readiness.ts';
import { REVISION_ANNOTATION } from '../rollout/planner.ts';
import type { ControllerSpec } from './controllers.ts';
import type { KubeletOptions } from './kubelet.ts';
import { type Action, WRITE_VERBS } from './metacontroller.ts';
import { DEFAULT_START, runRound, simulate, type SimulationResult } from './simulate.ts';
import { allObjects, type ClusterState, createObject, getObject, storeKey, timestamp, updateObject } from './store.ts';
import type { Layer } from '../sync/layer.ts';
import { REPARENT_ENV, REPARENT_FOR_ANNOTATION } from '../templates/reparent-job.ts';
import { VITESS_STATE_ANNOTATION } from '../vitess/state.ts';

export type OutputFormat = 'tree' | 'yaml' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['tree', 'yaml', 'json'];

export class RenderError extends Error {
  override name = 'RenderError';
}

/**
 * A YAML text holding one VitessCluster and, optionally, what it needs created with it (an example's
 * PriorityClass): every document, the VitessCluster in namespace `default` unless it names one.
 */
export function parseExampleYaml(text: string): { cluster: KubeObject; others: KubeObject[] } {
  const docs = parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new RenderError(`invalid YAML: ${doc.errors[0]?.message ?? 'parse error'}`);
      return doc.toJS() as unknown;
    })
    .filter((value) => value !== null && value !== undefined);
  const clusters = docs.filter((doc) => isRecord(doc) && doc.kind === CLUSTER_KIND);
  if (clusters.length !== 1) throw new RenderError(`expected exactly one VitessCluster document, found ${clusters.length} (of ${docs.length} documents)`);
  const others = docs.filter((doc) => !clusters.includes(doc));
  for (const other of others) {
    if (!isRecord(other) || typeof other.kind !== 'string' || typeof other.apiVersion !== 'string' || !isRecord(other.metadata) || typeof other.metadata.name !== 'string') {
      throw new RenderError('every document beside the VitessCluster must be a Kubernetes object (apiVersion, kind, metadata.name)');
    }
  }
  const [doc] = clusters;
  if (!isRecord(doc) || typeof doc.apiVersion !== 'string') {
    throw new RenderError('expected a VitessCluster (apiVersion vitess.io/v1alpha1, kind VitessCluster)');
  }
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  if (typeof metadata.name !== 'string' || metadata.name === '') throw new RenderError('the VitessCluster needs metadata.name');
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
  return { cluster: { ...doc, metadata: { ...metadata, name: metadata.name, namespace } } as KubeObject, others: others as KubeObject[] };
}

/** The one VitessCluster of a YAML text (other documents, what it needs created with it, are left out). */
export function parseClusterYaml(text: string): KubeObject {
  return parseExampleYaml(text).cluster;
}

export interface RenderOptions {
  controllers: readonly ControllerSpec[];
  layers: readonly Layer[];
  /** Run the fake kubelet, so that everything becomes ready and rollouts complete. */
  ready: boolean | KubeletOptions;
  maxRounds?: number;
}

export interface Rendered {
  result: SimulationResult;
  /** The VitessCluster first, then by owner-tree depth, kind and name. */
  objects: KubeObject[];
}

/**
 * Rounds before a render gives up. A shard waits 70 s (7 rounds of 10 s) between reparents so that
 * vtgate buffers each failover (decision 0012), so an edit of the multi-cell example (4 shards, 6
 * primary-eligible tablets each) takes more than the 200 rounds that used to be enough.
 */
export const DEFAULT_MAX_ROUNDS = 1000;

export function render(cluster: KubeObject, options: RenderOptions): Rendered {
  const result = simulate([cluster], {
    controllers: options.controllers,
    layers: options.layers,
    kubelet: options.ready,
    maxRounds: options.maxRounds ?? DEFAULT_MAX_ROUNDS,
  });
  return { result, objects: orderObjects(result.objects) };
}

function controllerUid(object: KubeObject): string | undefined {
  const refs = object.metadata.ownerReferences ?? [];
  return (refs.find((ref) => ref.controller === true) ?? refs[0])?.uid;
}

function byKindName(a: KubeObject, b: KubeObject): number {
  return a.kind.localeCompare(b.kind, 'en') || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);
}

/** Depth in the owner tree: 0 for objects without a (present) owner. */
function depths(objects: readonly KubeObject[]): Map<KubeObject, number> {
  const byUid = new Map(objects.map((o) => [o.metadata.uid, o]));
  const result = new Map<KubeObject, number>();
  const depthOf = (object: KubeObject, seen: Set<KubeObject>): number => {
    const known = result.get(object);
    if (known !== undefined) return known;
    const owner = byUid.get(controllerUid(object));
    const depth = owner === undefined || seen.has(owner) ? 0 : depthOf(owner, new Set([...seen, object])) + 1;
    result.set(object, depth);
    return depth;
  };
  objects.forEach((o) => depthOf(o, new Set([o])));
  return result;
}

/** The VitessCluster(s) first, then by owner-tree depth, then kind, then name. */
export function orderObjects(objects: readonly KubeObject[]): KubeObject[] {
  const depth = depths(objects);
  const rank = (o: KubeObject): number => (o.kind === CLUSTER_KIND ? -1 : (depth.get(o) ?? 0));
  return [...objects].sort((a, b) => rank(a) - rank(b) || byKindName(a, b));
}

// ---------- formats ----------

export function formatOutput(objects: readonly KubeObject[], format: OutputFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(objects, null, 2)}\n`;
    case 'yaml':
      return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
    case 'tree':
      return formatTree(objects);
  }
}

function status(object: KubeObject): Record<string, unknown> {
  return isRecord(object.status) ? object.status : {};
}

function readyCondition(object: KubeObject): { status: string; reason?: string } | undefined {
  const conditions = status(object).conditions;
  if (!Array.isArray(conditions)) return undefined;
  const ready = conditions.find((c) => isRecord(c) && c.type === 'Ready');
  return isRecord(ready) ? { status: String(ready.status), ...(typeof ready.reason === 'string' ? { reason: ready.reason } : {}) } : undefined;
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function desiredReplicas(object: KubeObject): number {
  const spec = isRecord(object.spec) ? object.spec : {};
  return typeof spec.replicas === 'number' ? spec.replicas : 1;
}

/** A short readiness note per object, as `kubectl get` would summarize it. */
export function readinessNote(object: KubeObject): string {
  const s = status(object);
  switch (object.kind) {
    case CLUSTER_KIND:
    case CELL_KIND:
    case KEYSPACE_KIND:
    case SHARD_KIND: {
      const ready = readyCondition(object);
      if (ready === undefined) return 'Ready=Unknown (not synced)';
      return `Ready=${ready.status}${ready.status !== 'True' && ready.reason !== undefined ? ` (${ready.reason})` : ''}`;
    }
    case 'Pod':
      return `${typeof s.phase === 'string' ? s.phase : 'Pending'}${isReady(object) ? ' Ready' : ' NotReady'}`;
    case 'Deployment':
    case 'StatefulSet':
      return `ready ${num(s.readyReplicas)}/${desiredReplicas(object)}`;
    case 'Job':
      return isReady(object) ? 'Complete' : 'Running';
    case 'PersistentVolumeClaim':
      return typeof s.phase === 'string' ? s.phase : 'Pending';
    case 'EtcdCluster':
      return typeof s.phase === 'string' ? s.phase : 'Creating';
    case 'PodDisruptionBudget':
      return s.currentHealthy === undefined ? '' : `healthy ${num(s.currentHealthy)}, disruptions allowed ${num(s.disruptionsAllowed)}`;
    default:
      return '';
  }
}

/** An indented tree: every object under its controlling owner, siblings by kind then name. */
export function formatTree(objects: readonly KubeObject[]): string {
  const uids = new Set(objects.map((o) => o.metadata.uid));
  const children = new Map<string | undefined, KubeObject[]>();
  for (const object of objects) {
    const owner = controllerUid(object);
    const key = owner !== undefined && uids.has(owner) ? owner : undefined;
    children.set(key, [...(children.get(key) ?? []), object]);
  }
  const lines: string[] = [];
  const walk = (parentUid: string | undefined, indent: string, seen: ReadonlySet<string | undefined>): void => {
    const level = [...(children.get(parentUid) ?? [])].sort((a, b) => (a.kind === CLUSTER_KIND ? -1 : 0) - (b.kind === CLUSTER_KIND ? -1 : 0) || byKindName(a, b));
    for (const object of level) {
      const note = readinessNote(object);
      lines.push(`${indent}${object.kind}/${object.metadata.name}${note === '' ? '' : `  ${note}`}`);
      if (!seen.has(object.metadata.uid)) walk(object.metadata.uid, `${indent}  `, new Set([...seen, object.metadata.uid]));
    }
  };
  walk(undefined, '', new Set([undefined]));
  return `${lines.join('\n')}\n`;
}


// ---------- watching a rollout: render --from STATE.json [FILE] --steps ----------

/** What happened to one object in one round, in words a user of `kubectl get` recognizes. */
export type RolloutEventKind =
  | 'edited'
  | 'created'
  | 'recreated'
  | 'moved'
  | 'left-out'
  | 'removed'
  | 'garbage-collected'
  | 'reparent-started'
  | 'reparent-completed'
  | 'reparent-failed'
  | 'reparent-cleaned-up'
  | 'primary-moved'
  | 'ready'
  | 'adopted'
  | 'released'
  | 'skipped'
  | 'error';

export interface RolloutEvent {
  what: RolloutEventKind;
  /** `Kind/name` of the object. */
  object: string;
  /** `Kind/name` of the parent whose sync did it, or `user`, `kubelet`, `garbage-collector`. */
  by: string;
  /** Tablet type, revisions, the reparent's target, an error message. */
  note?: string;
}

export interface TopConditions {
  object: string;
  ready: { status: string; reason?: string };
  updated: { status: string; reason?: string; message?: string };
}

export interface RolloutRound {
  round: number;
  time: string;
  events: RolloutEvent[];
  /** Parents whose rollout message changed this round: what each now waits for. */
  waiting: { parent: string; message: string }[];
  /** Keyspaces whose reshard status changed this round: its state, step, and the copy's progress and lag when known. */
  resharding?: { parent: string; message: string }[];
  /** The VitessCluster(s) after the round. */
  top: TopConditions[];
}

export interface Replay {
  converged: boolean;
  /** Rounds run after the edit (the last one wrote nothing when converged). */
  rounds: number;
  steps: RolloutRound[];
  /** The state at the end, ordered like `render`'s output. */
  objects: KubeObject[];
  errors: RolloutEvent[];
  state: ClusterState;
}

const SECONDS_PER_ROUND = 10;

function isKubeObjectLike(value: unknown): value is KubeObject {
  return isRecord(value) && typeof value.apiVersion === 'string' && typeof value.kind === 'string' && isRecord(value.metadata) && typeof value.metadata.name === 'string';
}

/** Parses a saved state: the JSON array `render --output json` printed. */
export function parseSavedState(text: string): KubeObject[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RenderError(`the saved state is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(parsed)) throw new RenderError('the saved state must be the JSON array `render --output json` prints');
  parsed.forEach((item, i) => {
    if (!isKubeObjectLike(item)) throw new RenderError(`saved state [${i}]: not an object with apiVersion, kind and metadata.name`);
  });
  return parsed as KubeObject[];
}

const UID_COUNTER = /-([0-9a-f]{12})$/;

/**
 * A simulator state holding the saved objects exactly as they were (uids, resourceVersions,
 * generations, owner references and statuses kept), its counter past every uid and version in use.
 */
export function loadState(objects: readonly KubeObject[]): ClusterState {
  let counter = 0;
  for (const object of objects) {
    const version = Number(object.metadata.resourceVersion);
    if (Number.isSafeInteger(version)) counter = Math.max(counter, version);
    const uid = UID_COUNTER.exec(object.metadata.uid ?? '');
    if (uid !== null) counter = Math.max(counter, Number.parseInt(uid[1] as string, 16));
  }
  const stored: Record<string, KubeObject> = {};
  for (const object of objects) {
    const namespace = object.metadata.namespace ?? 'default';
    let metadata = { ...object.metadata, namespace };
    if (metadata.uid === undefined) metadata = { ...metadata, uid: `00000000-0000-4000-8000-${(++counter).toString(16).padStart(12, '0')}` };
    const key = storeKey({ kind: object.kind, metadata });
    if (Object.hasOwn(stored, key)) throw new RenderError(`the saved state holds ${key} twice`);
    stored[key] = { ...object, metadata };
  }
  return { objects: stored, counter };
}

/** The latest timestamp in a state (creation, conditions, job times): a resumed clock starts after it. */
function latestTime(objects: readonly KubeObject[]): Date | undefined {
  let latest: number | undefined;
  const visit = (value: unknown, key?: string): void => {
    if (typeof value === 'string' && key !== undefined && /(Time|Timestamp|At)$/.test(key)) {
      const time = Date.parse(value);
      if (!Number.isNaN(time)) latest = latest === undefined ? time : Math.max(latest, time);
    } else if (Array.isArray(value)) value.forEach((item) => visit(item));
    else if (isRecord(value)) Object.entries(value).forEach(([k, v]) => visit(v, k));
  };
  objects.forEach((o) => visit(o));
  return latest === undefined ? undefined : new Date(latest);
}

function ref(objectRefText: string): string {
  // `Kind/namespace/name` -> `Kind/name`
  const [kind, , ...name] = objectRefText.split('/');
  return name.length === 0 ? objectRefText : `${kind}/${name.join('/')}`;
}

function byRef(by: string): string {
  return by.includes('/') ? ref(by) : by;
}

function condition(object: KubeObject | undefined, type: string): { status: string; reason?: string; message?: string } {
  const conditions = isRecord(object?.status) ? object.status.conditions : undefined;
  const found = Array.isArray(conditions) ? conditions.find((c) => isRecord(c) && c.type === type) : undefined;
  if (!isRecord(found)) return { status: 'Unknown' };
  return {
    status: String(found.status),
    ...(typeof found.reason === 'string' ? { reason: found.reason } : {}),
    ...(typeof found.message === 'string' && found.message !== '' ? { message: found.message } : {}),
  };
}

function annotation(object: KubeObject | undefined, key: string): string | undefined {
  return object?.metadata.annotations?.[key];
}

function tabletNote(pod: KubeObject | undefined): string | undefined {
  const type = pod?.metadata.labels?.[LABEL.tabletType];
  return type === undefined ? undefined : `${type} tablet`;
}

/** The alias a reparent Job moves the primary onto, when it names one. */
function reparentTarget(job: KubeObject): string | undefined {
  const spec = isRecord(job.spec) && isRecord(job.spec.template) && isRecord(job.spec.template.spec) ? job.spec.template.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers.filter(isRecord) : [];
  const env = containers.flatMap((c) => (Array.isArray(c.env) ? c.env.filter(isRecord) : []));
  const found = env.find((e) => e.name === REPARENT_ENV.newPrimary);
  return typeof found?.value === 'string' ? found.value : undefined;
}

/** The primary a VitessShard's Vitess state names (null: none; undefined: no state). */
function primaryIn(shard: KubeObject | undefined): string | null | undefined {
  const text = shard?.metadata.annotations?.[VITESS_STATE_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) && typeof parsed.primary === 'string' ? parsed.primary : null;
  } catch {
    return undefined;
  }
}

/** One event per Vitess shard: the first (by name) of the VitessShards that carry the same state. */
function isFirstOfShard(state: ClusterState, shard: KubeObject | undefined): boolean {
  if (shard === undefined) return false;
  const text = shard.metadata.annotations?.[VITESS_STATE_ANNOTATION];
  const spec = isRecord(shard.spec) ? shard.spec : {};
  const same = allObjects(state).filter((o) => {
    const other = isRecord(o.spec) ? o.spec : {};
    return o.kind === SHARD_KIND && other.cluster === spec.cluster && other.keyspace === spec.keyspace && other.name === spec.name && o.metadata.annotations?.[VITESS_STATE_ANNOTATION] === text;
  });
  return same[0]?.metadata.name === shard.metadata.name;
}

/** Reads one round's actions against the states before and after it. */
function roundEvents(before: ClusterState, after: ClusterState, actions: readonly Action[], recreatable: Set<string>): RolloutEvent[] {
  const keyOf = (objectRefText: string): string => {
    const [kind, namespace, ...name] = objectRefText.split('/');
    return `${namespace}/${kind}/${name.join('/')}`;
  };
  const events: RolloutEvent[] = [];
  for (const action of actions) {
    const key = keyOf(action.object);
    const was = getObject(before, key);
    const now = getObject(after, key);
    const object = ref(action.object);
    const by = byRef(action.by);
    switch (action.verb) {
      case 'create': {
        const reparentFor = annotation(now, REPARENT_FOR_ANNOTATION);
        const onto = now === undefined ? undefined : reparentTarget(now);
        const how = onto === undefined ? 'PlannedReparentShard away from the tablet' : `PlannedReparentShard onto ${onto}`;
        if (reparentFor !== undefined) events.push({ what: 'reparent-started', object, by, note: `${how}, for ${reparentFor === 'removal' ? 'its removal' : `revision ${reparentFor}`}` });
        else if (recreatable.has(key)) events.push({ what: 'recreated', object, by, ...(tabletNote(now) === undefined ? {} : { note: `${tabletNote(now)}, revision ${annotation(now, REVISION_ANNOTATION) ?? '?'}` }) });
        else events.push({ what: 'created', object, by });
        recreatable.delete(key);
        break;
      }
      case 'update':
        if (action.by === 'vitess') {
          const primary = primaryIn(now);
          if (primary !== primaryIn(was) && isFirstOfShard(after, now)) events.push({ what: 'primary-moved', object, by, note: primary === null ? 'none' : `${primary}` });
          break;
        }
        events.push({ what: 'moved', object, by, note: `revision ${annotation(was, REVISION_ANNOTATION) ?? '?'} -> ${annotation(now, REVISION_ANNOTATION) ?? '?'}` });
        break;
      case 'recreate-delete':
        events.push({ what: 'moved', object, by, note: 'deleted, to be created anew' });
        recreatable.add(key);
        break;
      case 'delete':
        if (annotation(was, REPARENT_FOR_ANNOTATION) !== undefined) events.push({ what: 'reparent-cleaned-up', object, by });
        else if (was?.kind === 'Pod' || was?.kind === 'Job') {
          events.push({ what: 'left-out', object, by, ...(tabletNote(was) === undefined ? {} : { note: tabletNote(was) }) });
          recreatable.add(key);
        } else events.push({ what: 'removed', object, by });
        break;
      case 'garbage-collect':
        events.push({ what: 'garbage-collected', object, by });
        break;
      case 'status': {
        if (action.by !== 'kubelet' || now === undefined) break;
        const becameReady = isReady(now) && (was === undefined || !isReady(was));
        const reparent = annotation(now, REPARENT_FOR_ANNOTATION) !== undefined;
        if (reparent && becameReady) events.push({ what: 'reparent-completed', object, by });
        else if (reparent && condition(now, 'Failed').status === 'True') events.push({ what: 'reparent-failed', object, by });
        else if (becameReady && ['Pod', 'Job', 'Deployment', 'StatefulSet', 'EtcdCluster'].includes(now.kind)) events.push({ what: 'ready', object, by, ...(tabletNote(now) === undefined ? {} : { note: tabletNote(now) }) });
        break;
      }
      case 'adopt':
        events.push({ what: 'adopted', object, by });
        break;
      case 'release':
        events.push({ what: 'released', object, by });
        break;
      case 'skip':
        events.push({ what: 'skipped', object, by, ...(action.message === undefined ? {} : { note: action.message }) });
        break;
      case 'error':
        events.push({ what: 'error', object, by, ...(action.message === undefined ? {} : { note: action.message }) });
        break;
    }
  }
  return events;
}

/** A keyspace's `status.resharding` in a line: state and step, then the streams' figures when they are known. */
function reshardingMessage(object: KubeObject | undefined): string | undefined {
  const status = isRecord(object?.status) && isRecord(object.status.resharding) ? object.status.resharding : undefined;
  if (status === undefined) return undefined;
  const head = `${String(status.state)}${typeof status.step === 'string' ? ` (${status.step})` : ''}`;
  const copy = isRecord(status.copy) ? `; ${String(status.copy.rowsCopied)} rows copied, ${String(status.copy.streamsCopying)} of ${Array.isArray(status.streams) ? status.streams.length : '?'} streams copying` : '';
  const lag = typeof status.lagSeconds === 'number' ? `, lag ${status.lagSeconds} s` : copy === '' ? '' : ', lag unknown';
  return `${head}${copy}${lag}`;
}

function rolloutMessage(object: KubeObject | undefined): string | undefined {
  const rollout = isRecord(object?.status) ? object.status.rollout : undefined;
  return isRecord(rollout) && typeof rollout.message === 'string' ? rollout.message : undefined;
}

function topConditions(state: ClusterState): TopConditions[] {
  return allObjects(state)
    .filter((o) => o.kind === CLUSTER_KIND)
    .map((o) => ({ object: `VitessCluster/${o.metadata.name}`, ready: condition(o, 'Ready'), updated: condition(o, 'Updated') }));
}

export interface ReplayOptions {
  controllers: readonly ControllerSpec[];
  layers: readonly Layer[];
  ready: boolean | KubeletOptions;
  maxRounds?: number;
}

/**
 * Applies a VitessCluster to a state, as `kubectl apply` would: an existing one (same namespace and
 * name) gets the new spec (its generation moves), a new one is created.
 */
export function applyCluster(state: ClusterState, cluster: KubeObject, now: Date): { state: ClusterState; event: RolloutEvent } {
  const key = storeKey(cluster);
  const stored = getObject(state, key);
  const object = `VitessCluster/${cluster.metadata.name}`;
  if (stored === undefined) return { state: createObject(state, cluster, now).state, event: { what: 'created', object, by: 'user' } };
  const updated = updateObject(state, { ...stored, spec: cluster.spec });
  return { state: updated.state, event: { what: 'edited', object, by: 'user', note: updated.changed ? `spec replaced, generation ${updated.object.metadata.generation ?? '?'}` : 'no change' } };
}

/**
 * Replays what the operator does from a saved state after an edit (or, without one, just resumes):
 * round by round, the hooks and Metacontroller under the simulator, then the fake kubelet, until a
 * round writes nothing. The clock resumes after the saved state's latest timestamp.
 */
export function renderFrom(saved: readonly KubeObject[], edit: KubeObject | undefined, options: ReplayOptions): Replay {
  const start = latestTime(saved) ?? DEFAULT_START;
  let state = loadState(saved);
  const preface: RolloutEvent[] = [];
  if (edit !== undefined) {
    const applied = applyCluster(state, edit, start);
    state = applied.state;
    preface.push(applied.event);
  }
  const kubelet = options.ready === true ? {} : options.ready === false ? undefined : options.ready;
  const maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS;
  const steps: RolloutRound[] = [{ round: 0, time: timestamp(start), events: preface, waiting: [], top: topConditions(state) }];
  const recreatable = new Set<string>();
  for (let round = 1; round <= maxRounds; round++) {
    const now = new Date(start.getTime() + round * SECONDS_PER_ROUND * 1000);
    const result = runRound(state, options.controllers, options.layers, round, now, kubelet);
    const events = roundEvents(state, result.state, result.actions, recreatable);
    const waiting = allObjects(result.state)
      .filter((o) => o.kind.startsWith('Vitess'))
      .flatMap((o) => {
        const message = rolloutMessage(o);
        const previous = rolloutMessage(getObject(state, storeKey(o)));
        return message !== undefined && message !== previous ? [{ parent: `${o.kind}/${o.metadata.name}`, message }] : [];
      });
    const resharding = allObjects(result.state)
      .filter((o) => o.kind === 'VitessKeyspace')
      .flatMap((o) => {
        const message = reshardingMessage(o);
        return message !== undefined && message !== reshardingMessage(getObject(state, storeKey(o))) ? [{ parent: `${o.kind}/${o.metadata.name}`, message }] : [];
      });
    steps.push({ round, time: timestamp(now), events, waiting, ...(resharding.length > 0 ? { resharding } : {}), top: topConditions(result.state) });
    state = result.state;
    if (result.pending.length === 0 && !result.actions.some((action) => WRITE_VERBS.has(action.verb))) {
      return { converged: true, rounds: round, steps, objects: orderObjects(allObjects(state)), errors: events.filter((e) => e.what === 'error'), state };
    }
  }
  const last = steps[steps.length - 1] as RolloutRound;
  return { converged: false, rounds: maxRounds, steps, objects: orderObjects(allObjects(state)), errors: last.events.filter((e) => e.what === 'error'), state };
}

const EVENT_WORDS: Record<RolloutEventKind, string> = {
  edited: 'edited',
  created: 'created',
  recreated: 'recreated',
  moved: 'moved',
  'left-out': 'left out',
  removed: 'removed',
  'garbage-collected': 'garbage-collected',
  'reparent-started': 'reparent Job created',
  'reparent-completed': 'reparent completed',
  'reparent-failed': 'reparent FAILED',
  'reparent-cleaned-up': 'reparent Job removed',
  'primary-moved': 'Vitess primary',
  ready: 'Ready',
  adopted: 'adopted',
  released: 'released',
  skipped: 'skipped',
  error: 'ERROR',
};

function conditionText(name: string, c: { status: string; reason?: string }): string {
  return `${name}=${c.status}${c.reason === undefined ? '' : ` (${c.reason})`}`;
}

/** The replay in words: per round, what happened to which object and by whom, what each rollout waits for, and the top's conditions. */
export function formatRollout(steps: readonly RolloutRound[]): string {
  const lines: string[] = [];
  let previousTop = '';
  for (const step of steps) {
    lines.push(`round ${step.round} (${step.time})${step.events.length === 0 ? ': no object changed' : ''}`);
    const width = Math.max(0, ...step.events.map((e) => EVENT_WORDS[e.what].length));
    for (const event of step.events) {
      lines.push(`  ${EVENT_WORDS[event.what].padEnd(width)}  ${event.object}${event.by === 'kubelet' ? '' : `  by ${event.by}`}${event.note === undefined ? '' : `  (${event.note})`}`);
    }
    for (const { parent, message } of step.waiting) lines.push(`  rollout of ${parent}: ${message}`);
    for (const { parent, message } of step.resharding ?? []) lines.push(`  reshard of ${parent}: ${message}`);
    const top = step.top.map((t) => `${t.object} ${conditionText('Ready', t.ready)} ${conditionText('Updated', t.updated)}`).join('; ');
    if (top !== previousTop || step === steps[steps.length - 1]) lines.push(`  top: ${top}`);
    previousTop = top;
  }
  return `${lines.join('\n')}\n`;
}
