/**
 * An in-memory API server: an immutable object store keyed `namespace/Kind/name`, with the fields the
 * server owns (uid, resourceVersion, generation, creationTimestamp), status subresource semantics,
 * a few validation rules that matter to us (immutable fields), and the garbage collector's cascading
 * deletion. Every operation returns a new state; the clock is passed in.
 */
import { compareQuantities } from '../kube/quantity.ts';
import { isRecord, jsonEqual, type KubeObject, type ObjectMeta } from '../kube/object.ts';

export interface ClusterState {
  readonly objects: Readonly<Record<string, KubeObject>>;
  /** Source of uids, resourceVersions and cluster IPs: a counter keeps them deterministic. */
  readonly counter: number;
}

/** A write the API server refuses (an AlreadyExists, NotFound or Invalid answer). */
export class ApiError extends Error {
  constructor(
    readonly reason: 'AlreadyExists' | 'NotFound' | 'Invalid' | 'Forbidden',
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const EMPTY_STATE: ClusterState = { objects: {}, counter: 0 };

export function storeKey(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${object.metadata.namespace ?? ''}/${object.kind}/${object.metadata.name}`;
}

/** Kubernetes timestamps: RFC 3339 with second precision. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function uid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Every object of a kind (optionally in one namespace), in key order. */
export function listObjects(state: ClusterState, apiVersion: string, kind: string, namespace?: string): KubeObject[] {
  return Object.keys(state.objects)
    .sort()
    .map((key) => state.objects[key] as KubeObject)
    .filter((o) => o.kind === kind && o.apiVersion === apiVersion && (namespace === undefined || (o.metadata.namespace ?? '') === namespace));
}

export function allObjects(state: ClusterState): KubeObject[] {
  return Object.keys(state.objects)
    .sort()
    .map((key) => state.objects[key] as KubeObject);
}

export function getObject(state: ClusterState, key: string): KubeObject | undefined {
  return Object.hasOwn(state.objects, key) ? state.objects[key] : undefined;
}

function put(state: ClusterState, object: KubeObject, counter: number): ClusterState {
  return { objects: { ...state.objects, [storeKey(object)]: object }, counter };
}

/** The part of an object that `generation` tracks: everything but metadata and status. */
function generationContent(object: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...content } = object;
  return content;
}

/** Fields the API server sets on create; Services get a cluster IP (unless headless), as a real server does. */
function defaulted(object: KubeObject, counter: number): KubeObject {
  if (object.kind !== 'Service' || !isRecord(object.spec)) return object;
  const spec = object.spec;
  if (spec.clusterIP !== undefined) return { ...object, spec: { ...spec, clusterIPs: spec.clusterIPs ?? [spec.clusterIP] } };
  const ip = `10.96.${Math.floor(counter / 250) % 250}.${(counter % 250) + 1}`;
  return { ...object, spec: { ...spec, clusterIP: ip, clusterIPs: [ip] } };
}

/** Creates an object: server fields assigned, any status dropped (status is a subresource). */
export function createObject(state: ClusterState, object: KubeObject, now: Date): { state: ClusterState; object: KubeObject } {
  const key = storeKey(object);
  if (getObject(state, key) !== undefined) throw new ApiError('AlreadyExists', `${key} already exists`);
  const counter = state.counter + 1;
  const { status: _status, ...rest } = object;
  const metadata: ObjectMeta = {
    ...object.metadata,
    uid: uid(counter),
    resourceVersion: String(counter),
    generation: 1,
    creationTimestamp: timestamp(now),
  };
  delete metadata.deletionTimestamp;
  delete metadata.managedFields;
  const created = defaulted({ ...rest, metadata }, counter);
  return { state: put(state, created, counter), object: created };
}

/**
 * Updates an object (not its status): server-owned metadata and status are kept from the stored
 * object, generation moves when anything but metadata and status changes, resourceVersion on any change.
 */
export function updateObject(state: ClusterState, object: KubeObject): { state: ClusterState; object: KubeObject; changed: boolean } {
  const key = storeKey(object);
  const stored = getObject(state, key);
  if (stored === undefined) throw new ApiError('NotFound', `${key} not found`);
  const problem = immutableFieldChange(stored, object);
  if (problem !== undefined) throw new ApiError('Invalid', `${key}: ${problem}: field is immutable`);
  const { status: _status, ...rest } = object;
  const candidate: KubeObject = {
    ...rest,
    metadata: {
      ...object.metadata,
      uid: stored.metadata.uid,
      creationTimestamp: stored.metadata.creationTimestamp,
      generation: stored.metadata.generation,
      resourceVersion: stored.metadata.resourceVersion,
    },
    ...(stored.status === undefined ? {} : { status: stored.status }),
  };
  if (jsonEqual(candidate, stored)) return { state, object: stored, changed: false };
  const counter = state.counter + 1;
  const specChanged = !jsonEqual(generationContent(candidate), generationContent(stored));
  const generation = (stored.metadata.generation ?? 0) + (specChanged ? 1 : 0);
  const updated: KubeObject = { ...candidate, metadata: { ...candidate.metadata, generation, resourceVersion: String(counter) } };
  return { state: put(state, updated, counter), object: updated, changed: true };
}

/** Writes the status subresource; a no-op when the status is already equal. */
export function updateStatus(state: ClusterState, key: string, status: unknown): { state: ClusterState; changed: boolean } {
  const stored = getObject(state, key);
  if (stored === undefined) throw new ApiError('NotFound', `${key} not found`);
  if (jsonEqual(stored.status, status)) return { state, changed: false };
  const counter = state.counter + 1;
  const updated: KubeObject = { ...stored, metadata: { ...stored.metadata, resourceVersion: String(counter) }, status };
  return { state: put(state, updated, counter), changed: true };
}

/**
 * Deletes an object and, like the garbage collector with background propagation, every object
 * whose owners are all gone, transitively. Returns the keys deleted, the object itself first.
 * An object with finalizers is not removed: it gets its deletionTimestamp (at `now`) and stays, and
 * so do its dependents (an owner pending deletion still exists for the garbage collector).
 */
export function deleteObject(state: ClusterState, key: string, now: Date = new Date(0)): { state: ClusterState; deleted: string[] } {
  if (getObject(state, key) === undefined) throw new ApiError('NotFound', `${key} not found`);
  const objects: Record<string, KubeObject> = { ...state.objects };
  const deleted: string[] = [];
  let counter = state.counter;
  let queue = [key];
  while (queue.length > 0) {
    for (const k of queue) {
      const object = objects[k] as KubeObject;
      if ((object.metadata.finalizers ?? []).length > 0) {
        if (object.metadata.deletionTimestamp === undefined) {
          counter += 1;
          objects[k] = { ...object, metadata: { ...object.metadata, deletionTimestamp: timestamp(now), resourceVersion: String(counter) } };
        }
        continue;
      }
      delete objects[k];
      deleted.push(k);
    }
    const liveUids = new Set(Object.values(objects).map((o) => o.metadata.uid));
    queue = Object.keys(objects)
      .sort()
      .filter((k) => {
        const object = objects[k] as KubeObject;
        const owners = object.metadata.ownerReferences ?? [];
        return object.metadata.deletionTimestamp === undefined && owners.length > 0 && owners.every((ref) => !liveUids.has(ref.uid));
      });
  }
  return { state: { objects, counter }, deleted };
}

/** Removes one finalizer; an object pending deletion with none left is then deleted (and collected). */
export function removeFinalizer(state: ClusterState, key: string, finalizer: string): { state: ClusterState; deleted: string[] } {
  const stored = getObject(state, key);
  if (stored === undefined) throw new ApiError('NotFound', `${key} not found`);
  const finalizers = (stored.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  const metadata: ObjectMeta = { ...stored.metadata, finalizers };
  if (finalizers.length === 0) delete metadata.finalizers;
  const next = updateObject(state, { ...stored, metadata }).state;
  if (finalizers.length > 0 || stored.metadata.deletionTimestamp === undefined) return { state: next, deleted: [] };
  return deleteObject(next, key);
}

/** Adds a finalizer (Metacontroller's, for a controller with a finalize hook). */
export function addFinalizer(state: ClusterState, key: string, finalizer: string): ClusterState {
  const stored = getObject(state, key);
  if (stored === undefined) throw new ApiError('NotFound', `${key} not found`);
  if ((stored.metadata.finalizers ?? []).includes(finalizer)) return state;
  return updateObject(state, { ...stored, metadata: { ...stored.metadata, finalizers: [...(stored.metadata.finalizers ?? []), finalizer] } }).state;
}

/** Replaces the ownerReferences of a stored object (adoption and release), as a metadata update. */
export function setOwnerReferences(state: ClusterState, key: string, refs: NonNullable<ObjectMeta['ownerReferences']>): ClusterState {
  const stored = getObject(state, key);
  if (stored === undefined) throw new ApiError('NotFound', `${key} not found`);
  const metadata: ObjectMeta = { ...stored.metadata, ownerReferences: refs };
  if (refs.length === 0) delete metadata.ownerReferences;
  return updateObject(state, { ...stored, metadata }).state;
}

// ---------- validation: immutable fields ----------

function at(object: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), object);
}

function without(value: unknown, paths: readonly (readonly string[])[]): unknown {
  return paths.reduce<unknown>((acc, path) => dropPath(acc, path), value);
}

function dropPath(value: unknown, path: readonly string[]): unknown {
  const [head, ...rest] = path;
  if (head === undefined || !isRecord(value)) return value;
  if (head === '*' && Array.isArray(value)) return value;
  if (rest.length === 0) {
    const { [head]: _gone, ...kept } = value;
    return kept;
  }
  const child = value[head];
  if (Array.isArray(child) && rest[0] === '*') return { ...value, [head]: child.map((item) => dropPath(item, rest.slice(1))) };
  return Object.hasOwn(value, head) ? { ...value, [head]: dropPath(child, rest) } : value;
}

/** Paths that may never change once set, per kind (the API server's validation, for what our hooks write). */
const IMMUTABLE_PATHS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  Deployment: [['spec', 'selector']],
  StatefulSet: [
    ['spec', 'selector'],
    ['spec', 'serviceName'],
    ['spec', 'volumeClaimTemplates'],
    ['spec', 'podManagementPolicy'],
  ],
  Job: [
    ['spec', 'selector'],
    ['spec', 'template'],
    ['spec', 'completions'],
  ],
  Service: [['spec', 'clusterIP']],
};

/** Pod and PVC specs are immutable except for these paths. */
const MUTABLE_SPEC_PATHS: Readonly<Record<string, readonly (readonly string[])[]>> = {
  Pod: [
    ['containers', '*', 'image'],
    ['initContainers', '*', 'image'],
    ['activeDeadlineSeconds'],
    ['tolerations'],
    ['terminationGracePeriodSeconds'],
  ],
  PersistentVolumeClaim: [['resources', 'requests'], ['volumeAttributesClassName']],
};

/**
 * A PVC's size may change only once it is bound, and only grow (the API server's rules; growing also
 * needs a storage class that allows expansion, which the simulator does not model).
 */
function claimSizeChange(stored: KubeObject, next: KubeObject): string | undefined {
  const path = ['spec', 'resources', 'requests', 'storage'];
  const before = at(stored, path);
  const after = at(next, path);
  if (jsonEqual(before, after)) return undefined;
  if (at(stored, ['status', 'phase']) !== 'Bound') return 'spec.resources.requests.storage (claim not bound)';
  if (compareQuantities(after as string | undefined, before as string | undefined) === -1) return 'spec.resources.requests.storage (a volume cannot shrink)';
  return undefined;
}

/** The first immutable field an update changes, as a dotted path; undefined when the update is valid. */
export function immutableFieldChange(stored: KubeObject, next: KubeObject): string | undefined {
  for (const path of IMMUTABLE_PATHS[stored.kind] ?? []) {
    const before = at(stored, path);
    if (before !== undefined && !jsonEqual(before, at(next, path))) return path.join('.');
  }
  if (stored.kind === 'PersistentVolumeClaim') {
    const problem = claimSizeChange(stored, next);
    if (problem !== undefined) return problem;
  }
  const mutable = MUTABLE_SPEC_PATHS[stored.kind];
  if (mutable !== undefined && !jsonEqual(without(stored.spec, mutable), without(next.spec, mutable))) return 'spec';
  return undefined;
}
