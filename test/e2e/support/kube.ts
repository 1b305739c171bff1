/**
 * A small Kubernetes client for the e2e tests, on @kubernetes/client-node 2.x.
 *
 * Every create/update is a server-side apply with our own field manager (`vitess-operator-e2e`),
 * `force: true`, so that a test re-applying a changed object takes over the fields it sets.
 * The cluster is $KUBECONFIG, else the local control plane (test/e2e/controlplane/start.sh).
 */
import * as k8s from '@kubernetes/client-node';
// Not re-exported by the package index; the same module instance KubernetesObjectApi uses.
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { kubeConfigWithToken, loadKubeConfig } from '../controlplane/kubeclient.ts';

export const FIELD_MANAGER = 'vitess-operator-e2e';

/** A Kubernetes object as plain JSON. */
export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerRef[];
    generation?: number;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

interface Clients {
  kc: k8s.KubeConfig;
  objects: k8s.KubernetesObjectApi;
  custom: k8s.CustomObjectsApi;
  core: k8s.CoreV1Api;
}

/**
 * Who makes a call: `user`, the kubeconfig's identity (cluster admin: installs, creates and edits
 * VitessClusters), or `metacontroller`, Metacontroller's ServiceAccount with only the rights
 * metacontroller/rbac.yaml gives it (every child, status and finalizer write), once
 * useMetacontrollerToken was called.
 */
export type Actor = 'user' | 'metacontroller';

let cached: Clients | undefined;
let metacontroller: Clients | undefined;

function clientsFor(kc: k8s.KubeConfig): Clients {
  return { kc, objects: k8s.KubernetesObjectApi.makeApiClient(kc), custom: kc.makeApiClient(k8s.CustomObjectsApi), core: kc.makeApiClient(k8s.CoreV1Api) };
}

export function clients(actor: Actor = 'user'): Clients {
  cached ??= clientsFor(loadKubeConfig());
  if (actor === 'user') return cached;
  if (metacontroller === undefined) throw new Error("no token for Metacontroller's ServiceAccount: call useMetacontrollerToken (support/install.ts ensureMetacontrollerIdentity) first");
  return metacontroller;
}

/** From now on, calls `as: 'metacontroller'` authenticate with this ServiceAccount token. */
export function useMetacontrollerToken(user: string, token: string): void {
  metacontroller = clientsFor(kubeConfigWithToken(clients('user').kc, user, token));
}

const rawKinds = new Set<string>();

/**
 * Makes client-node send and return objects of this kind as plain JSON. Its typed serializer would
 * silently drop every field its generated models do not know: `x-kubernetes-validations` and
 * `x-kubernetes-list-type` of a CRD schema (the model calls them xKubernetesValidations), and any
 * field newer than client-node's models, or misspelled by our hooks. An e2e test must send exactly
 * what the hooks produce and let the API server judge it.
 */
export function rawJson(apiVersion: string, kind: string): void {
  const id = `${apiVersion}/${kind}`;
  if (rawKinds.has(id)) return;
  rawKinds.add(id);
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  try {
    ObjectSerializer.registerModel({ group, version, kind }, { serialize: (data: unknown) => data, deserialize: (data: unknown) => data });
  } catch {
    // already registered (another copy of this module): fine
  }
}

/** The HTTP code of a client-node error, if any. */
export function errorCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's own message (the Status object's `message`), else the error text. */
export function errorMessage(e: unknown): string {
  let body = (e as { body?: unknown })?.body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return text;
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string') return message;
  return e instanceof Error ? e.message : String(e);
}

/** `Kind/name` (with the namespace when given). */
export function ref(o: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/** Wraps a failed API call so that the test output names the object, the HTTP code and the server's message. */
export class ApiError extends Error {
  constructor(
    readonly verb: string,
    readonly object: string,
    readonly code: number | undefined,
    readonly serverMessage: string,
  ) {
    super(`${verb} ${object} failed (HTTP ${code ?? '?'}): ${serverMessage}`);
    this.name = 'ApiError';
  }
}

async function wrap<T>(verb: string, o: Obj | { kind: string; metadata: { name: string; namespace?: string } }, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new ApiError(verb, ref(o), errorCode(e), errorMessage(e));
  }
}

/** Server-side apply (creates or updates). `dryRun: true` asks the server to validate only. */
export async function apply(obj: Obj, opts: { dryRun?: boolean; as?: Actor } = {}): Promise<Obj> {
  const { objects } = clients(opts.as);
  rawJson(obj.apiVersion, obj.kind);
  return wrap(opts.dryRun ? 'apply (dry run)' : 'apply', obj, () =>
    objects.patch(obj as k8s.KubernetesObject, undefined, opts.dryRun ? 'All' : undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply),
  ) as Promise<Obj>;
}

/** A plain create (POST), for when server-side apply itself is not what is tested. */
export async function create(obj: Obj, opts: { dryRun?: boolean; as?: Actor } = {}): Promise<Obj> {
  const { objects } = clients(opts.as);
  rawJson(obj.apiVersion, obj.kind);
  return wrap(opts.dryRun ? 'create (dry run)' : 'create', obj, () => objects.create(obj as k8s.KubernetesObject, undefined, opts.dryRun ? 'All' : undefined, FIELD_MANAGER)) as Promise<Obj>;
}

/** Reads an object, or undefined when it does not exist. */
export async function read(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }, as: Actor = 'user'): Promise<Obj | undefined> {
  const { objects } = clients(as);
  rawJson(o.apiVersion, o.kind);
  try {
    return (await objects.read({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: o.metadata.namespace } })) as Obj;
  } catch (e) {
    if (errorCode(e) === 404) return undefined;
    throw new ApiError('read', ref(o), errorCode(e), errorMessage(e));
  }
}

/** Deletes an object (background propagation); absent is fine. */
export async function remove(o: Obj, propagationPolicy: 'Background' | 'Foreground' | 'Orphan' = 'Background', as: Actor = 'user'): Promise<void> {
  const { objects } = clients(as);
  try {
    await objects.delete(o as k8s.KubernetesObject, undefined, undefined, undefined, undefined, propagationPolicy);
  } catch (e) {
    if (errorCode(e) === 404) return;
    throw new ApiError('delete', ref(o), errorCode(e), errorMessage(e));
  }
}

export async function list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string, as: Actor = 'user'): Promise<Obj[]> {
  const { objects } = clients(as);
  rawJson(apiVersion, kind);
  const res = await wrap('list', { kind, metadata: { name: '', namespace } }, () => objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector));
  return res.items as Obj[];
}

/** The REST coordinates of a custom resource's /status subresource. */
function customCoordinates(o: Obj) {
  const [group, version] = o.apiVersion.split('/') as [string, string];
  return { group, version, namespace: o.metadata.namespace!, plural: plural(o.kind), name: o.metadata.name };
}

/**
 * Writes `status` to a custom resource's /status subresource the way Metacontroller does: read the
 * parent, replace its whole `.status` (with `observedGeneration` injected), PUT it back.
 */
export async function replaceStatus(o: Obj, status: Record<string, unknown>, as: Actor = 'user'): Promise<Obj> {
  const { custom } = clients(as);
  const live = await read(o, as);
  if (!live) throw new ApiError('update status of', ref(o), 404, 'not found');
  const body = { ...live, status: { ...status, observedGeneration: live.metadata.generation } };
  return wrap('update status of', o, () => custom.replaceNamespacedCustomObjectStatus({ ...customCoordinates(o), body })) as Promise<Obj>;
}

/**
 * Read, change, PUT back (with the read resourceVersion): how Metacontroller changes a child's
 * ownerReferences (releaseChild's atomicUpdate) and a parent's finalizers.
 */
export async function update(o: Obj, change: (live: Obj) => Obj, as: Actor = 'user'): Promise<Obj> {
  const { objects } = clients(as);
  const live = await read(o, as);
  if (!live) throw new ApiError('update', ref(o), 404, 'not found');
  rawJson(live.apiVersion, live.kind);
  return wrap('update', o, () => objects.replace(change(structuredClone(live)) as k8s.KubernetesObject)) as Promise<Obj>;
}

/** Lower-case plural resource name of a kind, the way the API names ours and the built-in ones we use. */
export function plural(kind: string): string {
  const k = kind.toLowerCase();
  if (k.endsWith('s')) return `${k}es`;
  if (k.endsWith('y')) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something other than undefined (errors count as "not yet"). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** Creates a namespace and waits for its `default` ServiceAccount (needed before any Pod is accepted). */
export async function createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'app.kubernetes.io/part-of': 'vitess-operator-e2e', ...labels } } });
  await waitFor(`ServiceAccount ${name}/default`, () => read({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } }), 60_000);
}

/** Deletes a namespace without waiting for it to go away. */
export async function deleteNamespace(name: string): Promise<void> {
  await remove({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** A namespace name unique to this run: `<prefix>-<base36 time><random>`, within 63 characters. */
export function uniqueName(prefix: string): string {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`;
  return `${prefix.slice(0, 63 - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
}
