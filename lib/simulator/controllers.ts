/**
 * Our CompositeController manifests, read the way Metacontroller reads them: which parent resource,
 * which child resources with which update strategy, which hook (and hook version). The simulator is
 * driven by the same YAML we ship (metacontroller/controllers.yaml), so a wrong manifest shows up
 * as a wrong simulation.
 */
import { parse, parseAllDocuments } from 'yaml';
import { isRecord } from '../kube/object.ts';

export type UpdateMethod = 'OnDelete' | 'Recreate' | 'InPlace' | 'RollingRecreate' | 'RollingInPlace';
export type HookVersion = 'v1' | 'v2';

/** A resource type: apiVersion and plural resource as in the manifest, and the kind they name. */
export interface ResourceType {
  apiVersion: string;
  resource: string;
  kind: string;
}

export interface ChildResource extends ResourceType {
  method: UpdateMethod;
}

export interface ControllerSpec {
  name: string;
  parent: ResourceType;
  children: ChildResource[];
  /** The last path segment of the sync webhook URL: the Layer with that name serves it. */
  hook: string;
  hookVersion: HookVersion;
  /**
   * The finalize webhook's last path segment, when the controller has one: Metacontroller then keeps
   * its finalizer on every parent and calls that hook (`finalizing: true`) while the parent is deleted.
   */
  finalizeHook?: string;
  /** The CompositeController object itself, sent as the request's `controller`. */
  manifest: Record<string, unknown>;
}

/** Kinds of the plural resources our manifests name (a real cluster learns them from discovery). */
export const RESOURCE_KINDS: Readonly<Record<string, string>> = {
  'v1/pods': 'Pod',
  'v1/services': 'Service',
  'v1/configmaps': 'ConfigMap',
  'v1/secrets': 'Secret',
  'v1/persistentvolumeclaims': 'PersistentVolumeClaim',
  'v1/serviceaccounts': 'ServiceAccount',
  'apps/v1/deployments': 'Deployment',
  'apps/v1/statefulsets': 'StatefulSet',
  'batch/v1/jobs': 'Job',
  'batch/v1/cronjobs': 'CronJob',
  'policy/v1/poddisruptionbudgets': 'PodDisruptionBudget',
  'networking.k8s.io/v1/networkpolicies': 'NetworkPolicy',
  'autoscaling/v2/horizontalpodautoscalers': 'HorizontalPodAutoscaler',
  'etcd.database.coreos.com/v1beta2/etcdclusters': 'EtcdCluster',
  'vitess.io/v1alpha1/vitessclusters': 'VitessCluster',
  'vitess.io/v1alpha1/vitesscells': 'VitessCell',
  'vitess.io/v1alpha1/vitesskeyspaces': 'VitessKeyspace',
  'vitess.io/v1alpha1/vitessshards': 'VitessShard',
};

export class ManifestError extends Error {
  override name = 'ManifestError';
}

const METHODS: readonly UpdateMethod[] = ['OnDelete', 'Recreate', 'InPlace', 'RollingRecreate', 'RollingInPlace'];

function str(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw new ManifestError(`${where}: expected a non-empty string`);
  return value;
}

function resourceType(value: unknown, where: string, kinds: Readonly<Record<string, string>>): ResourceType {
  if (!isRecord(value)) throw new ManifestError(`${where}: expected an object`);
  const apiVersion = str(value.apiVersion, `${where}.apiVersion`);
  const resource = str(value.resource, `${where}.resource`);
  const kind = kinds[`${apiVersion}/${resource}`];
  if (kind === undefined) throw new ManifestError(`${where}: unknown resource ${apiVersion}/${resource}`);
  return { apiVersion, resource, kind };
}

function childResource(value: unknown, where: string, kinds: Readonly<Record<string, string>>): ChildResource {
  const type = resourceType(value, where, kinds);
  const strategy = isRecord(value) && isRecord(value.updateStrategy) ? value.updateStrategy : {};
  // Metacontroller's default method is OnDelete.
  const method = strategy.method ?? 'OnDelete';
  if (!METHODS.includes(method as UpdateMethod)) throw new ManifestError(`${where}.updateStrategy.method: unknown method ${String(method)}`);
  return { ...type, method: method as UpdateMethod };
}

/** One CompositeController object as a ControllerSpec. */
export function controllerSpec(manifest: Record<string, unknown>, kinds: Readonly<Record<string, string>> = RESOURCE_KINDS): ControllerSpec {
  const name = str(isRecord(manifest.metadata) ? manifest.metadata.name : undefined, 'metadata.name');
  const spec = isRecord(manifest.spec) ? manifest.spec : {};
  const where = `CompositeController ${name}`;
  const sync = isRecord(spec.hooks) && isRecord(spec.hooks.sync) ? spec.hooks.sync : {};
  const url = str(isRecord(sync.webhook) ? sync.webhook.url : undefined, `${where}: spec.hooks.sync.webhook.url`);
  const version = sync.version ?? 'v1';
  if (version !== 'v1' && version !== 'v2') throw new ManifestError(`${where}: spec.hooks.sync.version must be v1 or v2`);
  const children = Array.isArray(spec.childResources) ? spec.childResources : [];
  const finalize = isRecord(spec.hooks) && isRecord(spec.hooks.finalize) ? spec.hooks.finalize : undefined;
  const finalizeUrl = finalize === undefined ? undefined : str(isRecord(finalize.webhook) ? finalize.webhook.url : undefined, `${where}: spec.hooks.finalize.webhook.url`);
  return {
    name,
    parent: resourceType(spec.parentResource, `${where}: spec.parentResource`, kinds),
    children: children.map((child, i) => childResource(child, `${where}: spec.childResources[${i}]`, kinds)),
    hook: hookName(url),
    hookVersion: version,
    ...(finalizeUrl === undefined ? {} : { finalizeHook: hookName(finalizeUrl) }),
    manifest,
  };
}

/** The hook a webhook URL reaches: its last path segment (`.../sync-cell` -> `sync-cell`). */
export function hookName(url: string): string {
  const path = new URL(url).pathname.replace(/\/+$/, '');
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Every CompositeController in a multi-document YAML text, in document order (our order is top-down). */
export function parseControllers(yamlText: string, kinds: Readonly<Record<string, string>> = RESOURCE_KINDS): ControllerSpec[] {
  return parseManifests(yamlText)
    .filter((doc) => doc.kind === 'CompositeController')
    .map((doc) => controllerSpec(doc, kinds));
}

/** The documents of a multi-document YAML text, as plain objects (empty documents skipped). */
export function parseManifests(yamlText: string): Record<string, unknown>[] {
  return parseAllDocuments(yamlText).flatMap((doc, i) => {
    if (doc.errors.length > 0) throw new ManifestError(`document ${i}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return [];
    if (!isRecord(value)) throw new ManifestError(`document ${i}: expected an object`);
    return [value];
  });
}

interface JsonPatchAdd {
  op: 'add';
  path: string;
  value: unknown;
}

/**
 * A kustomize Component's JSON 6902 patches applied to CompositeController manifests, so the simulator
 * can run with an optional component (e.g. components/etcd-operator). Only what our components use is
 * supported: targets by kind and name, `add` operations on object keys and `/-` list appends.
 */
export function applyComponent(manifests: readonly Record<string, unknown>[], componentYaml: string): Record<string, unknown>[] {
  const [component] = parseManifests(componentYaml);
  const patches = component !== undefined && Array.isArray(component.patches) ? component.patches : [];
  return patches.reduce<Record<string, unknown>[]>((docs, patch) => applyPatch(docs, patch), [...manifests]);
}

function applyPatch(docs: Record<string, unknown>[], patch: unknown): Record<string, unknown>[] {
  if (!isRecord(patch) || !isRecord(patch.target) || typeof patch.patch !== 'string') throw new ManifestError('component patch: expected target and an inline patch');
  const target = patch.target;
  const ops: unknown = parse(patch.patch);
  if (!Array.isArray(ops)) throw new ManifestError('component patch: expected a list of JSON 6902 operations');
  const list: unknown[] = ops;
  return docs.map((doc) => {
    const meta = isRecord(doc.metadata) ? doc.metadata : {};
    const hit = (target.kind === undefined || target.kind === doc.kind) && (target.name === undefined || target.name === meta.name);
    return hit ? list.reduce<Record<string, unknown>>((acc, op) => addAt(acc, op as JsonPatchAdd), doc) : doc;
  });
}

function addAt(doc: Record<string, unknown>, op: JsonPatchAdd): Record<string, unknown> {
  if (op.op !== 'add') throw new ManifestError(`component patch: unsupported op ${String(op.op)}`);
  const segments = op.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return setIn(doc, segments, op.value) as Record<string, unknown>;
}

function setIn(node: unknown, segments: readonly string[], value: unknown): unknown {
  const [head, ...rest] = segments;
  if (head === undefined) return value;
  if (Array.isArray(node)) {
    const index = head === '-' ? node.length : Number(head);
    if (rest.length === 0) return [...node.slice(0, index), value, ...node.slice(index)];
    return node.map((item, i) => (i === index ? setIn(item, rest, value) : item));
  }
  const record = isRecord(node) ? node : {};
  return { ...record, [head]: setIn(record[head], rest, value) };
}
