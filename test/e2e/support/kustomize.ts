/**
 * The subset of `kubectl kustomize` our manifests need (kubectl is not installed where the e2e tests run).
 *
 * Supported kustomization fields: `resources` (YAML files, and directories with their own
 * kustomization), `components` (directories whose kustomization is `kind: Component`), `namespace`,
 * `labels`, `commonLabels`, `commonAnnotations`, `images`, `patches` (strategic-merge or JSON 6902,
 * inline or from a file, with an optional `target`), `patchesStrategicMerge` and `patchesJson6902`.
 * Any other field (generators, replacements, ...) is an error, so a kustomization that uses more than
 * this is noticed instead of being built wrong. Strategic merge is simplified: maps merge
 * recursively, `null` deletes a key, lists merge by their well-known key (`name`, `containerPort`,
 * `port`, `mountPath`, ...) and are otherwise replaced; `$patch: delete|replace` is honoured.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Obj } from './kube.ts';

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const IGNORED = new Set(['apiVersion', 'kind', 'metadata']);
const SUPPORTED = new Set([
  'resources',
  'components',
  'namespace',
  'labels',
  'commonLabels',
  'commonAnnotations',
  'images',
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
  'secretGenerator',
  'configMapGenerator',
  'generatorOptions',
]);

/** Kinds that are cluster-scoped among those a kustomization of ours may contain. */
export const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'CompositeController',
  'DecoratorController',
  'ControllerRevision.metacontroller.k8s.io',
  'PriorityClass',
  'StorageClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
  'PersistentVolume',
]);

export function kustomizationFile(dir: string): string | undefined {
  for (const f of KUSTOMIZATION_FILES) {
    const p = join(dir, f);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Parses every non-empty document of a YAML file (or string); throws on a YAML error. */
export function parseYamlDocuments(text: string, where: string): unknown[] {
  const docs = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

function readObjects(file: string): Obj[] {
  const docs = parseYamlDocuments(readFileSync(file, 'utf8'), file);
  const out: Obj[] = [];
  for (const d of docs) {
    const o = d as Obj;
    if (o.kind === 'List' && Array.isArray((o as { items?: unknown }).items)) out.push(...((o as unknown as { items: Obj[] }).items));
    else out.push(o);
  }
  for (const o of out) {
    if (!o || typeof o !== 'object' || !o.apiVersion || !o.kind || !o.metadata?.name) {
      throw new Error(`${file}: a document without apiVersion, kind or metadata.name`);
    }
  }
  return out;
}

interface Kustomization {
  kind?: string;
  resources?: string[];
  components?: string[];
  namespace?: string;
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  patches?: { path?: string; patch?: string; target?: PatchTarget; options?: Record<string, boolean> }[];
  patchesStrategicMerge?: string[];
  patchesJson6902?: { path?: string; patch?: string; target: PatchTarget }[];
  secretGenerator?: Generator[];
  configMapGenerator?: Generator[];
  generatorOptions?: GeneratorOptions;
}

interface GeneratorOptions {
  disableNameSuffixHash?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface Generator {
  name: string;
  namespace?: string;
  behavior?: string;
  type?: string;
  files?: string[];
  literals?: string[];
  envs?: string[];
  options?: GeneratorOptions;
}

export interface BuildOptions {
  /**
   * Content for a generator's file that does not exist (a secret the user creates, such as a
   * token): `kubectl kustomize` would fail; a test can supply a stand-in. Undefined: fail too.
   */
  missingFile?: (path: string) => string | undefined;
}

export interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

export function readKustomization(dir: string): Kustomization {
  const file = kustomizationFile(dir);
  if (!file) throw new Error(`${dir}: no kustomization.yaml`);
  const docs = parseYamlDocuments(readFileSync(file, 'utf8'), file);
  if (docs.length !== 1 || typeof docs[0] !== 'object') throw new Error(`${file}: expected one YAML map`);
  const k = docs[0] as Record<string, unknown>;
  for (const key of Object.keys(k)) {
    if (!IGNORED.has(key) && !SUPPORTED.has(key)) throw new Error(`${file}: '${key}' is not supported by the e2e kustomize subset`);
  }
  return k as Kustomization;
}

/** `kubectl kustomize <dir>`, for the subset above. */
export function kustomize(dir: string, opts: BuildOptions = {}): Obj[] {
  dir = resolve(dir);
  const k = readKustomization(dir);
  let objects: Obj[] = [];
  for (const r of k.resources ?? []) {
    if (/^[a-z]+:\/\//.test(r) || r.startsWith('github.com/')) throw new Error(`${dir}: remote resource '${r}' is not supported`);
    const p = resolve(dir, r);
    if (!existsSync(p)) throw new Error(`${dir}: resource '${r}' does not exist`);
    objects.push(...(statSync(p).isDirectory() ? kustomize(p, opts) : readObjects(p)));
  }
  objects.push(...generate(k, dir, opts));
  for (const c of k.components ?? []) objects = applyComponent(objects, resolve(dir, c), opts);
  objects = transform(objects, k, dir);
  checkUnique(objects, dir);
  return objects;
}

/** Applies a Component (its resources are added, then its transformations run over everything). */
export function applyComponent(objects: Obj[], dir: string, opts: BuildOptions = {}): Obj[] {
  const k = readKustomization(dir);
  if (k.kind !== 'Component') throw new Error(`${dir}: a component's kustomization must be kind: Component`);
  const own: Obj[] = [];
  for (const r of k.resources ?? []) {
    const p = resolve(dir, r);
    if (!existsSync(p)) throw new Error(`${dir}: resource '${r}' does not exist`);
    own.push(...(statSync(p).isDirectory() ? kustomize(p, opts) : readObjects(p)));
  }
  own.push(...generate(k, dir, opts));
  let all = [...objects, ...own];
  for (const c of k.components ?? []) all = applyComponent(all, resolve(dir, c), opts);
  return transform(all, k, dir);
}

/** secretGenerator and configMapGenerator, without name hashes (a hash suffix is an error here). */
function generate(k: Kustomization, dir: string, opts: BuildOptions): Obj[] {
  const out: Obj[] = [];
  const make = (g: Generator, kind: 'Secret' | 'ConfigMap'): Obj => {
    const options = { ...k.generatorOptions, ...g.options };
    if (!options.disableNameSuffixHash) throw new Error(`${dir}: ${kind} generator '${g.name}' needs disableNameSuffixHash (name hashes are not supported by the e2e kustomize subset)`);
    if (g.behavior && g.behavior !== 'create') throw new Error(`${dir}: ${kind} generator '${g.name}': behavior '${g.behavior}' is not supported`);
    if (g.envs?.length) throw new Error(`${dir}: ${kind} generator '${g.name}': envs are not supported`);
    const data: Record<string, string> = {};
    for (const f of g.files ?? []) {
      const [keyName, path] = f.includes('=') ? (f.split('=', 2) as [string, string]) : [f.split('/').pop()!, f];
      const full = resolve(dir, path);
      const content = existsSync(full) ? readFileSync(full, 'utf8') : opts.missingFile?.(full);
      if (content === undefined) throw new Error(`${dir}: ${kind} generator '${g.name}': file ${path} does not exist`);
      data[keyName] = content;
    }
    for (const l of g.literals ?? []) {
      const i = l.indexOf('=');
      data[l.slice(0, i)] = l.slice(i + 1);
    }
    const metadata: Obj['metadata'] = { name: g.name, ...(g.namespace ? { namespace: g.namespace } : {}) };
    if (options.labels) metadata.labels = { ...options.labels };
    if (options.annotations) metadata.annotations = { ...options.annotations };
    if (kind === 'ConfigMap') return { apiVersion: 'v1', kind, metadata, data };
    const encoded = Object.fromEntries(Object.entries(data).map(([key, v]) => [key, Buffer.from(v).toString('base64')]));
    return { apiVersion: 'v1', kind, metadata, type: g.type ?? 'Opaque', data: encoded };
  };
  for (const g of k.secretGenerator ?? []) out.push(make(g, 'Secret'));
  for (const g of k.configMapGenerator ?? []) out.push(make(g, 'ConfigMap'));
  return out;
}

function checkUnique(objects: Obj[], dir: string): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const id = `${o.apiVersion.split('/').length > 1 ? o.apiVersion.split('/')[0] : ''}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(id)) throw new Error(`${dir}: ${o.kind}/${o.metadata.name} appears twice`);
    seen.add(id);
  }
}

function transform(objects: Obj[], k: Kustomization, dir: string): Obj[] {
  let out = objects.map((o) => structuredClone(o));
  // Patches first, then the namespace, labels and images (kustomize's builtin order puts patches
  // after name/namespace transforms; our patches target by name, so the order does not matter).
  for (const p of k.patchesStrategicMerge ?? []) out = applyPatch(out, loadPatch(dir, p.includes('\n') ? { patch: p } : { path: p }), undefined, dir);
  for (const p of k.patchesJson6902 ?? []) out = applyPatch(out, loadPatch(dir, p), p.target, dir);
  for (const p of k.patches ?? []) out = applyPatch(out, loadPatch(dir, p), p.target, dir);
  if (k.namespace) out = out.map((o) => setNamespace(o, k.namespace!, out));
  if (k.commonLabels) out = out.map((o) => addLabels(o, k.commonLabels!, true, true));
  for (const l of k.labels ?? []) out = out.map((o) => addLabels(o, l.pairs, l.includeSelectors ?? false, l.includeTemplates ?? l.includeSelectors ?? false));
  if (k.commonAnnotations) for (const o of out) o.metadata.annotations = { ...o.metadata.annotations, ...k.commonAnnotations };
  for (const img of k.images ?? []) for (const o of out) setImage(o, img);
  return out;
}

function loadPatch(dir: string, p: { path?: string; patch?: string }): unknown {
  const text = p.patch ?? readFileSync(resolve(dir, p.path ?? ''), 'utf8');
  const docs = parseYamlDocuments(text, p.path ? resolve(dir, p.path) : `${dir} (inline patch)`);
  if (docs.length !== 1) throw new Error(`${dir}: a patch must be one YAML document`);
  return docs[0];
}

/** Whether an object matches a patch target (exact names; regexes as kustomize allows). */
export function matchesTarget(o: Obj, t: PatchTarget): boolean {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  const re = (pattern: string, value: string) => new RegExp(`^(?:${pattern})$`).test(value);
  if (t.group !== undefined && !re(t.group, group!)) return false;
  if (t.version !== undefined && !re(t.version, version!)) return false;
  if (t.kind !== undefined && !re(t.kind, o.kind)) return false;
  if (t.name !== undefined && !re(t.name, o.metadata.name)) return false;
  if (t.namespace !== undefined && !re(t.namespace, o.metadata.namespace ?? '')) return false;
  if (t.labelSelector !== undefined && !matchesSelector(o.metadata.labels ?? {}, t.labelSelector)) return false;
  if (t.annotationSelector !== undefined && !matchesSelector(o.metadata.annotations ?? {}, t.annotationSelector)) return false;
  return true;
}

function matchesSelector(labels: Record<string, string>, selector: string): boolean {
  return selector
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .every((term) => {
      const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
      if (!m) return term.startsWith('!') ? !(term.slice(1) in labels) : term in labels;
      const [, key, op, value] = m;
      return op === '!=' ? labels[key!] !== value : labels[key!] === value;
    });
}

/** The objects a patch applies to: its target, else (strategic merge) the object it names. */
export function patchTargets(objects: Obj[], patch: unknown, target: PatchTarget | undefined): Obj[] {
  if (target) return objects.filter((o) => matchesTarget(o, target));
  const p = patch as Partial<Obj>;
  if (Array.isArray(patch) || !p?.kind || !p.metadata?.name) return [];
  return objects.filter((o) => o.kind === p.kind && o.metadata.name === p.metadata!.name && (!p.metadata!.namespace || o.metadata.namespace === p.metadata!.namespace));
}

function applyPatch(objects: Obj[], patch: unknown, target: PatchTarget | undefined, dir: string): Obj[] {
  const targets = new Set(patchTargets(objects, patch, target));
  if (targets.size === 0) throw new Error(`${dir}: a patch matches no resource (target ${JSON.stringify(target ?? (patch as Obj)?.metadata)})`);
  return objects.map((o) => {
    if (!targets.has(o)) return o;
    if (Array.isArray(patch)) return jsonPatch(o, patch as JsonOp[], dir);
    const p = structuredClone(patch) as Obj;
    if (target) {
      // A strategic-merge patch with a target may name any object; kustomize patches the target.
      delete (p as Partial<Obj>).apiVersion;
      delete (p as Partial<Obj>).kind;
      if (p.metadata) {
        delete (p.metadata as Partial<Obj['metadata']>).name;
        delete p.metadata.namespace;
      }
    }
    return strategicMerge(o, p) as Obj;
  });
}

// ---------------------------------------------------------------- strategic merge (simplified)

const MERGE_KEYS = ['containerPort', 'port', 'mountPath', 'devicePath', 'name', 'ip', 'topologyKey', 'type'];

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function mergeKeyOf(list: unknown[]): string | undefined {
  if (list.length === 0 || !list.every(isMap)) return undefined;
  return MERGE_KEYS.find((k) => list.every((item) => (item as Record<string, unknown>)[k] !== undefined));
}

export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, unknown> = isMap(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key.startsWith('$setElementOrder') || key.startsWith('$deleteFromPrimitiveList') || key === '$retainKeys') continue;
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value) && Array.isArray(out[key])) {
      out[key] = mergeList(out[key] as unknown[], value);
    } else if (isMap(value)) {
      const merged = strategicMerge(out[key], value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}

function mergeList(base: unknown[], patch: unknown[]): unknown[] {
  const key = mergeKeyOf(patch.filter((p) => !(isMap(p) && p.$patch === 'replace')));
  if (patch.some((p) => isMap(p) && p.$patch === 'replace' && Object.keys(p).length === 1)) {
    return patch.filter((p) => !(isMap(p) && p.$patch === 'replace'));
  }
  if (!key || mergeKeyOf(base) !== key) return structuredClone(patch);
  const out = base.map((b) => structuredClone(b)) as Record<string, unknown>[];
  for (const item of patch as Record<string, unknown>[]) {
    const i = out.findIndex((b) => b[key] === item[key]);
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) {
      out[i] = strategicMerge(out[i], item) as Record<string, unknown>;
    } else {
      out.push(structuredClone(item));
    }
  }
  return out;
}

// ---------------------------------------------------------------- JSON patch (RFC 6902)

interface JsonOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`bad JSON pointer '${path}'`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function jsonPatch(o: Obj, ops: JsonOp[], dir: string): Obj {
  const doc = structuredClone(o) as unknown as Record<string, unknown>;
  const parentOf = (parts: string[], create: boolean): [Record<string, unknown> | unknown[], string] => {
    let cur: unknown = doc;
    for (const part of parts.slice(0, -1)) {
      const next: unknown = Array.isArray(cur) ? cur[Number(part)] : (cur as Record<string, unknown>)[part];
      if (next === undefined) {
        if (!create) throw new Error(`${dir}: JSON patch path /${parts.join('/')} does not exist in ${o.kind}/${o.metadata.name}`);
        throw new Error(`${dir}: JSON patch path /${parts.join('/')}: parent missing in ${o.kind}/${o.metadata.name}`);
      }
      cur = next;
    }
    return [cur as Record<string, unknown> | unknown[], parts[parts.length - 1]!];
  };
  const get = (path: string): unknown => pointer(path).reduce<unknown>((cur, p) => (Array.isArray(cur) ? cur[Number(p)] : (cur as Record<string, unknown>)?.[p]), doc);
  for (const op of ops) {
    const parts = pointer(op.path);
    const value = op.op === 'move' || op.op === 'copy' ? structuredClone(get(op.from!)) : structuredClone(op.value);
    if (op.op === 'test') {
      if (JSON.stringify(get(op.path)) !== JSON.stringify(op.value)) throw new Error(`${dir}: JSON patch test failed at ${op.path}`);
      continue;
    }
    if (op.op === 'move') applyOp(parentOf(pointer(op.from!), false), 'remove', undefined, dir);
    applyOp(parentOf(parts, op.op !== 'remove'), op.op === 'move' || op.op === 'copy' ? 'add' : op.op, value, dir);
  }
  return doc as unknown as Obj;
}

function applyOp([parent, key]: [Record<string, unknown> | unknown[], string], op: string, value: unknown, dir: string): void {
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (op === 'add') parent.splice(i, 0, value);
    else if (op === 'remove') parent.splice(i, 1);
    else parent[i] = value;
    return;
  }
  if (op === 'remove' || op === 'replace') {
    if (!(key in parent)) throw new Error(`${dir}: JSON patch ${op} of a missing key '${key}'`);
  }
  if (op === 'remove') delete parent[key];
  else parent[key] = value;
}

// ---------------------------------------------------------------- namespace, labels, images

function setNamespace(o: Obj, namespace: string, all: Obj[]): Obj {
  const out = o;
  if (!CLUSTER_SCOPED.has(o.kind)) out.metadata.namespace = namespace;
  if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
    const subjects = (o as { subjects?: { kind: string; name: string; namespace?: string }[] }).subjects ?? [];
    for (const s of subjects) {
      if (s.kind === 'ServiceAccount' && all.some((a) => a.kind === 'ServiceAccount' && a.metadata.name === s.name)) s.namespace = namespace;
    }
  }
  if (o.kind === 'CompositeController' || o.kind === 'DecoratorController') {
    // Webhook service references follow the namespace, like kustomize's name-reference transformer does for Services.
    const hooks = ((o as { spec?: { hooks?: Record<string, { webhook?: { service?: { namespace?: string; name?: string } } }> } }).spec?.hooks ?? {});
    for (const h of Object.values(hooks)) {
      const svc = h.webhook?.service;
      if (svc && all.some((a) => a.kind === 'Service' && a.metadata.name === svc.name)) svc.namespace = namespace;
    }
  }
  return out;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

function addLabels(o: Obj, labels: Record<string, string>, selectors: boolean, templates: boolean): Obj {
  o.metadata.labels = { ...o.metadata.labels, ...labels };
  const spec = (o as { spec?: Record<string, unknown> }).spec;
  if (!spec) return o;
  if (selectors) {
    if (o.kind === 'Service') spec.selector = { ...(spec.selector as Record<string, string>), ...labels };
    if (WORKLOADS.has(o.kind) && o.kind !== 'Job') {
      const sel = (spec.selector ??= {}) as { matchLabels?: Record<string, string> };
      sel.matchLabels = { ...sel.matchLabels, ...labels };
    }
    if (o.kind === 'PodDisruptionBudget') {
      const sel = (spec.selector ??= {}) as { matchLabels?: Record<string, string> };
      sel.matchLabels = { ...sel.matchLabels, ...labels };
    }
  }
  if (templates && WORKLOADS.has(o.kind)) {
    const template = (spec.template ??= {}) as { metadata?: { labels?: Record<string, string> } };
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, ...labels } };
  }
  return o;
}

function setImage(o: Obj, img: { name: string; newName?: string; newTag?: string; digest?: string }): void {
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!isMap(v)) return;
    for (const key of ['containers', 'initContainers']) {
      const list = v[key];
      if (Array.isArray(list)) {
        for (const c of list as { image?: string }[]) {
          if (!c.image) continue;
          const m = /^([^@]+?)(?::([^:/@]+))?(?:@(.+))?$/.exec(c.image);
          if (!m || m[1] !== img.name) continue;
          const name = img.newName ?? m[1];
          c.image = img.digest ? `${name}@${img.digest}` : `${name}${img.newTag ? `:${img.newTag}` : m[2] ? `:${m[2]}` : ''}`;
        }
      }
    }
    for (const child of Object.values(v)) visit(child);
  };
  visit(o);
}

/** The directories of `metacontroller/components/*` that hold a Component kustomization. */
export function componentDirs(root: string): string[] {
  const dir = join(root, 'components');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .map((d) => join(dir, d))
    .filter((d) => statSync(d).isDirectory() && kustomizationFile(d) !== undefined)
    .sort();
}
