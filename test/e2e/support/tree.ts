/**
 * Applies a rendered tree of objects to a real API server the way Metacontroller would:
 * parents before children, each child with the controller ownerReference to its real parent (so the
 * garbage collector sees the real tree), the `last-applied-configuration` annotation Metacontroller
 * keeps, each child type's update strategy (from our CompositeControllers) on updates, and deletion
 * of the children a new answer leaves out.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../controlplane/kubeclient.ts';
import { type Actor, apply, type Obj, plural, read, ref, remove, waitFor } from './kube.ts';
import { kustomize, kustomizationFile } from './kustomize.ts';

export const LAST_APPLIED = 'metacontroller.k8s.io/last-applied-configuration';

export type UpdateMethod = 'OnDelete' | 'Recreate' | 'InPlace' | 'RollingRecreate' | 'RollingInPlace';

/** `group/Kind/name`: identity of an object within one namespace. */
export function key(o: { apiVersion: string; kind: string; metadata: { name: string } }): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return `${group}/${o.kind}/${o.metadata.name}`;
}

const SERVER_SET = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/**
 * What to write for a rendered object, in `namespace`. The render output holds the objects as the
 * simulated cluster stores them (with what a fake API server and kubelet added: clusterIPs, status,
 * uids). What Metacontroller writes is the hook's desired object, which it keeps in the
 * last-applied-configuration annotation: that is used when present (with the observed object's
 * ownerReferences, remapped later). Otherwise the object without server-set metadata and status.
 */
export function desiredOf(o: Obj, namespace: string): Obj {
  const lastApplied = o.metadata.annotations?.[LAST_APPLIED];
  const c = lastApplied ? (JSON.parse(lastApplied) as Obj) : structuredClone(o);
  if (lastApplied && o.metadata.ownerReferences) c.metadata.ownerReferences = structuredClone(o.metadata.ownerReferences);
  delete c.status;
  for (const f of SERVER_SET) delete c.metadata[f];
  if (c.metadata.annotations) delete c.metadata.annotations[LAST_APPLIED];
  c.metadata.namespace = namespace;
  return c;
}

/** The child update strategies declared by the CompositeControllers in metacontroller/. */
export interface Strategies {
  /** Where they came from (for the test's output). */
  source: string;
  /** parent plural -> child plural -> method; undefined when no controller is declared for the parent. */
  byParent: Map<string, Map<string, UpdateMethod>>;
}

export function loadStrategies(): Strategies {
  const dir = join(REPO_ROOT, 'metacontroller');
  const byParent = new Map<string, Map<string, UpdateMethod>>();
  if (!existsSync(dir) || !kustomizationFile(dir)) throw new Error('metacontroller/kustomization.yaml is missing');
  for (const o of kustomize(dir)) {
    if (o.kind !== 'CompositeController') continue;
    const spec = (o as { spec?: { parentResource?: { resource?: string }; childResources?: { resource: string; updateStrategy?: { method?: UpdateMethod } }[] } }).spec;
    const parent = spec?.parentResource?.resource;
    if (!parent) continue;
    const children = new Map<string, UpdateMethod>();
    for (const c of spec?.childResources ?? []) children.set(c.resource, c.updateStrategy?.method ?? 'OnDelete');
    byParent.set(parent, children);
  }
  return { source: "metacontroller/'s CompositeControllers", byParent };
}

/** A child's update method under its controller owner, or undefined when its type is not declared. */
export function methodFor(strategies: Strategies, parentKind: string, childKind: string): UpdateMethod | undefined {
  const children = strategies.byParent.get(plural(parentKind));
  if (!children) return undefined;
  return children.get(plural(childKind));
}

function controllerOf(o: Obj) {
  return (o.metadata.ownerReferences ?? []).find((r) => r.controller) ?? o.metadata.ownerReferences?.[0];
}

/** Parents before children (stable otherwise); throws when an owner is not in the list. */
export function parentsFirst(objects: Obj[]): Obj[] {
  const byKey = new Map(objects.map((o) => [key(o), o]));
  const done = new Set<string>();
  const out: Obj[] = [];
  const visit = (o: Obj, path: string[]): void => {
    const k = key(o);
    if (done.has(k)) return;
    if (path.includes(k)) throw new Error(`ownership cycle: ${[...path, k].join(' -> ')}`);
    const owner = controllerOf(o);
    if (owner) {
      const ok = key({ apiVersion: owner.apiVersion, kind: owner.kind, metadata: { name: owner.name } });
      const parent = byKey.get(ok);
      if (!parent) throw new Error(`${ref(o)}: its owner ${owner.kind}/${owner.name} is not among the rendered objects`);
      visit(parent, [...path, k]);
    }
    done.add(k);
    out.push(o);
  };
  for (const o of objects) visit(o, []);
  return out;
}

/** What one applyTree call did. */
export interface ApplyReport {
  created: string[];
  updated: string[];
  /** Recreated because the child type's strategy is Recreate. */
  recreated: string[];
  /**
   * OnDelete children whose desired state changed: Metacontroller never updates them; our hooks
   * restart them by leaving them out of an answer (deleted) and creating them again from the new
   * state on a later sync, which is what is done here.
   */
  restarted: string[];
  deleted: string[];
  /** Every write the API server refused (or that could not be tried), one line each. */
  errors: string[];
}

/** Live state of an applied tree: uids of what exists and what was last applied. */
export interface TreeState {
  namespace: string;
  uids: Map<string, string>;
  applied: Map<string, Obj>;
}

export function newTreeState(namespace: string): TreeState {
  return { namespace, uids: new Map(), applied: new Map() };
}

async function deleteAndWait(o: Obj, as: Actor): Promise<void> {
  await remove(o, 'Background', as);
  await waitFor(`deletion of ${ref(o)}`, async () => ((await read(o, as)) ? undefined : true), 30_000, 100);
}

/**
 * Applies `rendered` (render output) into the state's namespace: creates what is new, updates what
 * changed according to the owner's update strategy, deletes what the answer left out. Every object is
 * tried; refusals are collected in `errors` (a child of a refused parent is reported as not tried).
 */
export async function applyTree(rendered: Obj[], state: TreeState, strategies: Strategies): Promise<ApplyReport> {
  const report: ApplyReport = { created: [], updated: [], recreated: [], restarted: [], deleted: [], errors: [] };
  const ordered = parentsFirst(rendered.map((o) => desiredOf(o, state.namespace)));
  const wanted = new Set(ordered.map(key));
  for (const desired of ordered) {
    const k = key(desired);
    try {
      const owner = controllerOf(desired);
      // The user writes the VitessCluster; Metacontroller, with its own rights, every child.
      const as: Actor = owner ? 'metacontroller' : 'user';
      let method: UpdateMethod = 'InPlace';
      if (owner) {
        const ownerKey = key({ apiVersion: owner.apiVersion, kind: owner.kind, metadata: { name: owner.name } });
        const uid = state.uids.get(ownerKey);
        if (!uid) throw new Error(`not tried: its owner ${owner.kind}/${owner.name} does not exist`);
        desired.metadata.ownerReferences = [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid, controller: true, blockOwnerDeletion: true }];
        // Metacontroller keeps the desired object it last applied in this annotation.
        const lastApplied = structuredClone(desired);
        delete lastApplied.metadata.ownerReferences;
        desired.metadata.annotations = { ...desired.metadata.annotations, [LAST_APPLIED]: JSON.stringify(lastApplied) };
        const declared = methodFor(strategies, owner.kind, desired.kind);
        if (!declared) throw new Error(`the ${plural(owner.kind)} CompositeController declares no child resource ${plural(desired.kind)}: Metacontroller would fail the sync`);
        method = declared;
      }
      const previous = state.applied.get(k);
      const exists = state.uids.has(k);
      if (exists && previous && sameDesired(previous, desired)) continue;
      let verb: keyof ApplyReport = exists ? 'updated' : 'created';
      if (exists && method !== 'InPlace' && method !== 'RollingInPlace') {
        await deleteAndWait(desired, as);
        state.uids.delete(k);
        verb = method === 'Recreate' ? 'recreated' : 'restarted';
      }
      const live = await apply(desired, { as });
      report[verb].push(ref(desired));
      state.uids.set(k, live.metadata.uid!);
      state.applied.set(k, desired);
    } catch (e) {
      report.errors.push(`${ref(desired)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // Observed children the answer leaves out are deleted (children before their parents).
  const gone = [...state.applied.keys()].filter((k) => !wanted.has(k)).reverse();
  for (const k of gone) {
    const o = state.applied.get(k)!;
    try {
      await remove(o, 'Background', controllerOf(o) ? 'metacontroller' : 'user');
      report.deleted.push(ref(o));
    } catch (e) {
      report.errors.push(`${ref(o)}: ${e instanceof Error ? e.message : String(e)}`);
    }
    state.applied.delete(k);
    state.uids.delete(k);
  }
  return report;
}

function sameDesired(a: Obj, b: Obj): boolean {
  const strip = (o: Obj) => {
    const c = structuredClone(o);
    delete c.metadata.ownerReferences;
    if (c.metadata.annotations) delete c.metadata.annotations[LAST_APPLIED];
    return JSON.stringify(c);
  };
  return strip(a) === strip(b);
}
