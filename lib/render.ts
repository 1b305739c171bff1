/**
 * Offline render: a VitessCluster in, the converged tree of objects out, by running the hooks under
 * the simulator (lib/simulator) exactly as Metacontroller would run them. Pure: text and objects in,
 * objects and text out; the CLI (scripts/render.ts) does the file and process I/O.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { isRecord } from './apply.ts';
import type { KubeObject } from './kube/object.ts';
import { isReady } from './kube/readiness.ts';
import type { ControllerSpec } from './simulator/controllers.ts';
import type { KubeletOptions } from './simulator/kubelet.ts';
import { simulate, type Round, type SimulationResult } from './simulator/simulate.ts';
import type { Layer } from './sync/layer.ts';

export type OutputFormat = 'tree' | 'yaml' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['tree', 'yaml', 'json'];

export class RenderError extends Error {
  override name = 'RenderError';
}

/** The one VitessCluster document of a YAML text, in namespace `default` unless it names one. */
export function parseClusterYaml(text: string): KubeObject {
  const docs = parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new RenderError(`invalid YAML: ${doc.errors[0]?.message ?? 'parse error'}`);
      return doc.toJS() as unknown;
    })
    .filter((value) => value !== null && value !== undefined);
  if (docs.length !== 1) throw new RenderError(`expected exactly one YAML document (a VitessCluster), found ${docs.length}`);
  const [doc] = docs;
  if (!isRecord(doc) || doc.kind !== 'VitessCluster' || typeof doc.apiVersion !== 'string') {
    throw new RenderError('expected a VitessCluster (apiVersion vitess.io/v1alpha1, kind VitessCluster)');
  }
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  if (typeof metadata.name !== 'string' || metadata.name === '') throw new RenderError('the VitessCluster needs metadata.name');
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'default';
  return { ...doc, metadata: { ...metadata, name: metadata.name, namespace } } as KubeObject;
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

export function render(cluster: KubeObject, options: RenderOptions): Rendered {
  const result = simulate([cluster], {
    controllers: options.controllers,
    layers: options.layers,
    kubelet: options.ready,
    maxRounds: options.maxRounds ?? 200,
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
  const rank = (o: KubeObject): number => (o.kind === 'VitessCluster' ? -1 : (depth.get(o) ?? 0));
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
    case 'VitessCluster':
    case 'VitessCell':
    case 'VitessKeyspace':
    case 'VitessShard': {
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
    const level = [...(children.get(parentUid) ?? [])].sort((a, b) => (a.kind === 'VitessCluster' ? -1 : 0) - (b.kind === 'VitessCluster' ? -1 : 0) || byKindName(a, b));
    for (const object of level) {
      const note = readinessNote(object);
      lines.push(`${indent}${object.kind}/${object.metadata.name}${note === '' ? '' : `  ${note}`}`);
      if (!seen.has(object.metadata.uid)) walk(object.metadata.uid, `${indent}  `, new Set([...seen, object.metadata.uid]));
    }
  };
  walk(undefined, '', new Set([undefined]));
  return `${lines.join('\n')}\n`;
}

/** The per-round actions of a simulation, for `render --steps`. */
export function formatSteps(steps: readonly Round[]): string {
  return steps
    .map((round) => {
      const header = `round ${round.round} (${round.time}): ${round.actions.length === 0 ? 'nothing to do' : `${round.actions.length} action(s)`}`;
      const body = round.actions.map((a) => `  ${a.verb.padEnd(15)} ${a.object}  by ${a.by}${a.message === undefined ? '' : `: ${a.message}`}`);
      return [header, ...body].join('\n');
    })
    .join('\n')
    .concat('\n');
}
