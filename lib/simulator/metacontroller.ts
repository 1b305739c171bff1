/**
 * One Metacontroller sync of one parent, played faithfully after upstream's composite controller
 * (pkg/controller/composite/controller.go, pkg/controller/common/manage_children.go):
 * claim children (adopt matching orphans, release owned non-matching ones), send the request as JSON
 * through the same edge validation as the HTTP hooks, check the answer (selector, child types), delete
 * left-out children, create missing ones, update differing ones per update strategy, write the status.
 */
import type { V1OwnerReference } from '@kubernetes/client-node';
import { applyChild } from '../apply.ts';
import { isRecord, type KubeObject } from '../kube/object.ts';
import { parseSyncRequest } from '../metacontroller/request.ts';
import type { Layer } from '../sync/layer.ts';
import type { ChildResource, ControllerSpec } from './controllers.ts';
import type { Admission } from './admission.ts';
import { parentSelector, selectorMatches, type LabelSelector } from './selector.ts';
import {
  addFinalizer,
  ApiError,
  createObject,
  deleteObject,
  getObject,
  listObjects,
  removeFinalizer,
  setOwnerReferences,
  storeKey,
  updateObject,
  updateStatus,
  type ClusterState,
} from './store.ts';

export type ActionVerb =
  | 'create'
  | 'update'
  | 'delete'
  | 'recreate-delete'
  | 'garbage-collect'
  | 'status'
  | 'adopt'
  | 'release'
  | 'skip'
  | 'error'
  /** The fake Vitess rewrote a state that did not change (the observer's heartbeat): no write that keeps a simulation going. */
  | 'heartbeat';

/** One thing that happened to one object, and who did it. */
export interface Action {
  verb: ActionVerb;
  /** `Kind/namespace/name` of the object acted on. */
  object: string;
  /** `Kind/namespace/name` of the parent whose sync did it, or `kubelet`, `vitess` (the fake Vitess). */
  by: string;
  message?: string;
}

/** Verbs that write to the cluster: a round with none of them is a fixed point. */
export const WRITE_VERBS: ReadonlySet<ActionVerb> = new Set(['create', 'update', 'delete', 'recreate-delete', 'garbage-collect', 'status', 'adopt', 'release']);

export interface SyncOutcome {
  state: ClusterState;
  actions: Action[];
  /** Why the sync failed as a whole (nothing applied, like a hook error or a selector mismatch). */
  error?: string;
  resyncAfterSeconds?: number;
}

export function objectRef(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

/** A store key as an object reference (`ns/Kind/name` -> `Kind/ns/name`). */
function keyToRef(key: string): string {
  const [namespace, kind, ...name] = key.split('/');
  return `${kind}/${namespace}/${name.join('/')}`;
}

function controllerRefOf(object: KubeObject): V1OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

export function makeControllerRef(parent: KubeObject): V1OwnerReference {
  return {
    apiVersion: parent.apiVersion,
    kind: parent.kind,
    name: parent.metadata.name,
    uid: parent.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

function typeKey(type: Pick<ChildResource, 'kind' | 'apiVersion'>): string {
  return `${type.kind}.${type.apiVersion}`;
}

/** The key of a child in the request and in the desired set: name (hook v1) or namespace/name (v2). */
function childKey(object: KubeObject, version: ControllerSpec['hookVersion']): string {
  const namespace = object.metadata.namespace ?? '';
  return version === 'v2' && namespace !== '' ? `${namespace}/${object.metadata.name}` : object.metadata.name;
}

interface Claimed {
  state: ClusterState;
  observed: Map<string, Map<string, KubeObject>>;
  actions: Action[];
}

/** Metacontroller's ClaimChildren: owned and matching children, adopting orphans and releasing mismatches. */
function claimChildren(state: ClusterState, controller: ControllerSpec, parent: KubeObject, selector: LabelSelector): Claimed {
  const by = objectRef(parent);
  const parentUid = parent.metadata.uid;
  const observed = new Map<string, Map<string, KubeObject>>();
  const actions: Action[] = [];
  let current = state;
  for (const type of controller.children) {
    const group = new Map<string, KubeObject>();
    observed.set(typeKey(type), group);
    for (const candidate of listObjects(current, type.apiVersion, type.kind, parent.metadata.namespace ?? '')) {
      const ref = controllerRefOf(candidate);
      const matches = selectorMatches(selector, candidate.metadata.labels);
      const key = storeKey(candidate);
      if (ref !== undefined && ref.uid !== parentUid) continue;
      if (ref !== undefined && matches) {
        group.set(childKey(candidate, controller.hookVersion), candidate);
      } else if (parent.metadata.deletionTimestamp !== undefined) {
        // ClaimObject: no adoption and no release while the parent is being deleted.
        continue;
      } else if (ref !== undefined) {
        const refs = (candidate.metadata.ownerReferences ?? []).filter((r) => r.uid !== parentUid);
        current = setOwnerReferences(current, key, refs);
        actions.push({ verb: 'release', object: objectRef(candidate), by, message: 'labels no longer match the parent selector' });
      } else if (matches && candidate.metadata.deletionTimestamp === undefined) {
        current = setOwnerReferences(current, key, [...(candidate.metadata.ownerReferences ?? []), makeControllerRef(parent)]);
        actions.push({ verb: 'adopt', object: objectRef(candidate), by });
        group.set(childKey(candidate, controller.hookVersion), getObject(current, key) as KubeObject);
      }
    }
  }
  return { state: current, observed, actions };
}

/** The request body exactly as Metacontroller sends it. */
export function buildRequest(controller: ControllerSpec, parent: KubeObject, observed: Map<string, Map<string, KubeObject>>, finalizing = false): Record<string, unknown> {
  const children = Object.fromEntries(
    [...observed.entries()].map(([type, group]) => [type, Object.fromEntries([...group.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))]),
  );
  return { controller: controller.manifest, parent, children, related: {}, finalizing };
}

/** JSON in, JSON out: what crossing the HTTP boundary does to values (drops undefined, copies everything). */
function overTheWire(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

interface Answer {
  status: Record<string, unknown>;
  children: KubeObject[];
  resyncAfterSeconds?: number;
  finalized: boolean;
}

const RESPONSE_KEYS = new Set(['status', 'children', 'resyncAfterSeconds', 'finalized']);

/** Calls the hook; an exception or malformed answer is a failed sync (Metacontroller applies nothing). */
function callHook(layer: Layer, controller: ControllerSpec, body: unknown, now: Date): Answer {
  const request = parseSyncRequest(overTheWire(body), layer.parentKind);
  const response = overTheWire(layer.sync(request, { now }));
  if (!isRecord(response)) throw new Error('hook answer is not a JSON object');
  if (controller.hookVersion === 'v2') {
    const unknown = Object.keys(response).filter((key) => !RESPONSE_KEYS.has(key));
    if (unknown.length > 0) throw new Error(`hook v2 answer has unknown field(s): ${unknown.join(', ')}`);
  }
  const children = response.children ?? [];
  if (!Array.isArray(children)) throw new Error('hook answer: children must be a list');
  children.forEach((child, i) => {
    const meta = isRecord(child) ? child.metadata : undefined;
    if (!isRecord(child) || typeof child.apiVersion !== 'string' || typeof child.kind !== 'string' || !isRecord(meta) || typeof meta.name !== 'string' || meta.name === '') {
      throw new Error(`hook answer: children[${i}] is not an object with apiVersion, kind and metadata.name`);
    }
  });
  const status = response.status ?? {};
  if (!isRecord(status)) throw new Error('hook answer: status must be an object');
  const resync = typeof response.resyncAfterSeconds === 'number' && response.resyncAfterSeconds > 0 ? { resyncAfterSeconds: response.resyncAfterSeconds } : {};
  return { status, children: children as KubeObject[], ...resync, finalized: response.finalized === true };
}

/** Desired children grouped like observed ones; namespace defaulted to the parent's (applyNamespaceDefaults). */
function desiredChildren(controller: ControllerSpec, parent: KubeObject, selector: LabelSelector, children: readonly KubeObject[]): Map<string, Map<string, KubeObject>> {
  const declared = new Set(controller.children.map(typeKey));
  const desired = new Map<string, Map<string, KubeObject>>();
  for (const raw of children) {
    const child: KubeObject =
      raw.metadata.namespace === undefined || raw.metadata.namespace === '' ? { ...raw, metadata: { ...raw.metadata, namespace: parent.metadata.namespace ?? '' } } : raw;
    const type = typeKey(child);
    // Metacontroller only watches declared child types; a child of another type would be created and then never seen again.
    if (!declared.has(type)) throw new Error(`desired child ${objectRef(child)} has type ${type}, which is not a child resource of CompositeController ${controller.name}`);
    if (!selectorMatches(selector, child.metadata.labels)) throw new Error(`labels on desired child ${objectRef(child)} don't match parent selector`);
    const group = desired.get(type) ?? new Map<string, KubeObject>();
    group.set(childKey(child, controller.hookVersion), child);
    desired.set(type, group);
  }
  return desired;
}

function sortedEntries<V>(map: Map<string, V>): [string, V][] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

interface Step {
  state: ClusterState;
  actions: Action[];
}

function tryWrite(state: ClusterState, actions: Action[], object: string, by: string, write: (s: ClusterState) => Step): Step {
  try {
    const step = write(state);
    return { state: step.state, actions: [...actions, ...step.actions] };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { state, actions: [...actions, { verb: 'error', object, by, message: error.message }] };
  }
}

function deleteWithGc(state: ClusterState, key: string, verb: ActionVerb, by: string): Step {
  const { state: next, deleted } = deleteObject(state, key);
  const [self, ...dependents] = deleted;
  return {
    state: next,
    actions: [
      { verb, object: keyToRef(self ?? key), by },
      ...dependents.map((dependent): Action => ({ verb: 'garbage-collect', object: keyToRef(dependent), by: 'garbage-collector' })),
    ],
  };
}

/** ManageChildren: delete what the answer left out, then create or update what it wants. */
function manageChildren(
  start: ClusterState,
  controller: ControllerSpec,
  parent: KubeObject,
  observed: Map<string, Map<string, KubeObject>>,
  desired: Map<string, Map<string, KubeObject>>,
  now: Date,
  admission: Admission | undefined,
): Step {
  const by = objectRef(parent);
  let step: Step = { state: start, actions: [] };
  for (const [type, group] of sortedEntries(observed)) {
    for (const [key, child] of sortedEntries(group)) {
      if (child.metadata.deletionTimestamp !== undefined || desired.get(type)?.has(key) === true) continue;
      // An earlier deletion in this sync may have garbage-collected it already.
      if (getObject(step.state, storeKey(child)) === undefined) continue;
      step = tryWrite(step.state, step.actions, objectRef(child), by, (s) => deleteWithGc(s, storeKey(child), 'delete', by));
    }
  }
  const methods = new Map(controller.children.map((c) => [typeKey(c), c.method]));
  for (const [type, group] of sortedEntries(desired)) {
    for (const [key, child] of sortedEntries(group)) {
      const seen = observed.get(type)?.get(key);
      const live = seen === undefined ? undefined : getObject(step.state, storeKey(seen));
      step = tryWrite(step.state, step.actions, objectRef(child), by, (s) =>
        live === undefined ? createChild(s, parent, child, seen !== undefined, now, admission) : updateChild(s, methods.get(type) ?? 'OnDelete', live, child, by),
      );
    }
  }
  return step;
}

function createChild(state: ClusterState, parent: KubeObject, desired: KubeObject, wasObserved: boolean, now: Date, admission: Admission | undefined): Step {
  const by = objectRef(parent);
  const { object } = applyChild(undefined, desired);
  const owned: KubeObject = { ...object, metadata: { ...object.metadata, ownerReferences: [...(object.metadata.ownerReferences ?? []), makeControllerRef(parent)] } };
  if (!wasObserved && getObject(state, storeKey(owned)) !== undefined) {
    // Upstream swallows AlreadyExists: someone else's object of that name blocks ours, silently.
    return { state, actions: [{ verb: 'skip', object: objectRef(owned), by, message: 'already exists and is not owned by this parent' }] };
  }
  // The API server's admission refuses it: Metacontroller records the error and tries again next sync.
  const refused = admission?.(owned, state);
  if (refused !== undefined) throw new ApiError('Forbidden', refused);
  return { state: createObject(state, owned, now).state, actions: [{ verb: 'create', object: objectRef(owned), by }] };
}

function updateChild(state: ClusterState, method: ChildResource['method'], live: KubeObject, desired: KubeObject, by: string): Step {
  const { object, changed } = applyChild(live, desired);
  if (!changed || live.metadata.deletionTimestamp !== undefined) return { state, actions: [] };
  switch (method) {
    case 'OnDelete':
      return { state, actions: [] };
    case 'Recreate':
    case 'RollingRecreate':
      return deleteWithGc(state, storeKey(live), 'recreate-delete', by);
    case 'InPlace':
    case 'RollingInPlace': {
      const result = updateObject(state, object);
      return { state: result.state, actions: result.changed ? [{ verb: 'update', object: objectRef(live), by }] : [] };
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The request Metacontroller would send for a parent in this state, without writing anything
 * (golden fixtures are cut from simulated states with it).
 */
export function observedRequest(state: ClusterState, controller: ControllerSpec, parentKey: string): Record<string, unknown> {
  const parent = getObject(state, parentKey);
  const selector = parent === undefined ? undefined : parentSelector(parent);
  if (parent === undefined || selector === undefined) throw new Error(`${parentKey}: no such parent with a selector`);
  const claimed = claimChildren(state, controller, parent, selector);
  const claimedParent = getObject(claimed.state, parentKey) as KubeObject;
  const finalizing = claimedParent.metadata.deletionTimestamp !== undefined && (claimedParent.metadata.finalizers ?? []).includes(finalizerName(controller));
  return buildRequest(controller, claimedParent, claimed.observed, controller.finalizeHook !== undefined && finalizing);
}

/** Metacontroller's finalizer on the parents of a controller with a finalize hook. */
export function finalizerName(controller: ControllerSpec): string {
  return `metacontroller.io/compositecontroller-${controller.name}`;
}

/** One full sync of one parent by its controller and hook. */
export function syncParent(state: ClusterState, controller: ControllerSpec, layer: Layer, parentKey: string, now: Date, admission?: Admission): SyncOutcome {
  const found = getObject(state, parentKey);
  if (found === undefined) return { state, actions: [] };
  const by = objectRef(found);
  const fail = (message: string, actions: Action[] = [], at: ClusterState = state): SyncOutcome => ({
    state: at,
    actions: [...actions, { verb: 'error', object: by, by, message }],
    error: message,
  });
  // finalizer.SyncObject: before anything else, a controller with a finalize hook puts its finalizer
  // on a live parent (never on one already pending deletion).
  const finalizer = controller.finalizeHook === undefined ? undefined : finalizerName(controller);
  if (finalizer !== undefined && controller.finalizeHook !== controller.hook) {
    return fail(`the simulator serves a finalize hook from its controller's sync hook layer; ${controller.finalizeHook} is not ${controller.hook}`);
  }
  let start = state;
  const startActions: Action[] = [];
  const deleting = found.metadata.deletionTimestamp !== undefined;
  const hasFinalizer = finalizer !== undefined && (found.metadata.finalizers ?? []).includes(finalizer);
  if (finalizer !== undefined && !deleting && !hasFinalizer) {
    start = addFinalizer(state, parentKey, finalizer);
    startActions.push({ verb: 'update', object: by, by, message: `finalizer ${finalizer} added` });
  }
  // Pending deletion without our finalizer (or without a finalize hook): Metacontroller manages no
  // children; the garbage collector deletes them once the parent is gone.
  if (deleting && !hasFinalizer) return { state, actions: [] };
  const parent = getObject(start, parentKey) as KubeObject;
  const selector = parentSelector(parent);
  if (selector === undefined) return fail('.spec.selector must have either matchLabels, matchExpressions, or both', startActions, start);
  const claimed = claimChildren(start, controller, parent, selector);
  const claimedParent = getObject(claimed.state, parentKey) as KubeObject;
  const before = [...startActions, ...claimed.actions];
  let answer: Answer;
  let desired: Map<string, Map<string, KubeObject>>;
  try {
    answer = callHook(layer, controller, buildRequest(controller, claimedParent, claimed.observed, deleting), now);
    desired = desiredChildren(controller, claimedParent, selector, answer.children);
  } catch (error) {
    return fail(`${deleting ? 'finalize' : 'sync'} hook ${controller.hook}: ${errorMessage(error)}`, before, claimed.state);
  }
  if (deleting && answer.finalized && finalizer !== undefined) {
    // The finalizer goes first; with it gone, Metacontroller manages no children (ShouldFinalize),
    // and the parent's deletion completes: the garbage collector takes what it still owns.
    const removed = removeFinalizer(claimed.state, parentKey, finalizer);
    const [, ...dependents] = removed.deleted;
    return {
      state: removed.state,
      actions: [
        ...before,
        { verb: 'update', object: by, by, message: `finalized: finalizer ${finalizer} removed` },
        ...(removed.deleted.length > 0 ? [{ verb: 'delete' as const, object: by, by: 'garbage-collector' }] : []),
        ...dependents.map((dependent): Action => ({ verb: 'garbage-collect', object: keyToRef(dependent), by: 'garbage-collector' })),
      ],
    };
  }
  const managed = manageChildren(claimed.state, controller, claimedParent, claimed.observed, desired, now, admission);
  // Status goes to the parent even when some child writes failed, with observedGeneration injected.
  const status = { ...answer.status, observedGeneration: claimedParent.metadata.generation ?? 0 };
  const written = updateStatus(managed.state, parentKey, status);
  const actions = [...before, ...managed.actions, ...(written.changed ? [{ verb: 'status' as const, object: by, by }] : [])];
  return { state: written.state, actions, ...(answer.resyncAfterSeconds === undefined ? {} : { resyncAfterSeconds: answer.resyncAfterSeconds }) };
}

/**
 * `kubectl delete` of an object (background propagation): with finalizers it is only marked
 * (deletionTimestamp) and stays with everything it owns; otherwise it goes, and so does, through
 * the garbage collector, everything whose owners are all gone.
 */
export function deleteByUser(state: ClusterState, key: string, now: Date): SyncOutcome {
  const object = getObject(state, key);
  if (object === undefined) return { state, actions: [] };
  const { state: next, deleted } = deleteObject(state, key, now);
  const ref = keyToRef(key);
  const [, ...dependents] = deleted;
  return {
    state: next,
    actions: [
      { verb: deleted.length > 0 ? 'delete' : 'update', object: ref, by: 'user', ...(deleted.length > 0 ? {} : { message: 'deletion requested: held by finalizers' }) },
      ...dependents.map((dependent): Action => ({ verb: 'garbage-collect', object: keyToRef(dependent), by: 'garbage-collector' })),
    ],
  };
}
