/**
 * The hostile-state law (issue 9): over observed states the hooks did NOT produce (converged or
 * mid-rollout requests, then mutated: relabelled, labels removed or foreign, last-applied annotations
 * tampered or naming other objects, statuses removed, other apiVersions of our kinds, children of
 * unknown kinds, deletionTimestamps), every 200 answer still carries every observed PVC, etcd volume
 * (StatefulSet with volumeClaimTemplates, EtcdCluster) and Vitess layer child that reports or may hold
 * volumes, under the same child key (kind, API group, name), unless the spec asked for its removal:
 * volumeRetention Delete for a PVC of a known pool whose Pod is gone, or confirmRemoval naming it.
 * A sync that throws (a 500) applies nothing, so it is safe too. Children already being deleted are out
 * of the law (Metacontroller does not delete them again). And a shard answer leaves out a tablet Pod
 * that its label or its own command line says may be primary-eligible only behind a completed
 * PlannedReparentShard Job for it (or when it is the shard's only one). FC_RUNS scenarios (default 1000).
 */
import { describe, test } from 'bun:test';
import fc from 'fast-check';
import type { KubeObject } from '../../lib/kube/object.ts';
import { LAST_APPLIED_ANNOTATION } from '../../lib/metacontroller/hold.ts';
import { reparentJobName } from '../../lib/vitess/names.ts';
import { LAW_TIMEOUT_MS, runs } from '../arbitraries/index.ts';
import { casesOf, LAYER_SCENARIOS, requestBody, SHARED_SEED, syncBody, VITESS_KINDS } from '../arbitraries/system.ts';

const TIMEOUT_MS = LAW_TIMEOUT_MS;
const RUNS = runs({ seed: SHARED_SEED });

/** Metacontroller's child key: kind, API group (not version), name. */
const childKey = (c: KubeObject) => `${c.kind}.${c.apiVersion.includes('/') ? c.apiVersion.split('/')[0] : ''}/${c.metadata.name}`;

type Mutation =
  | { op: 'relabel'; target: number; value: string }
  | { op: 'unlabel'; target: number }
  | { op: 'tamper'; target: number; field: 'name' | 'kind' | 'apiVersion' | 'garbage' | 'drop' }
  | { op: 'nostatus'; target: number }
  | { op: 'volumes'; target: number; value: unknown }
  | { op: 'version'; target: number }
  | { op: 'deleting'; target: number }
  | { op: 'foreign'; name: string; kind: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('relabel' as const), target: fc.nat(), value: fc.constantFrom('replica', 'rdonly', 'retired', 'primary', '') }),
  fc.record({ op: fc.constant('unlabel' as const), target: fc.nat() }),
  fc.record({ op: fc.constant('tamper' as const), target: fc.nat(), field: fc.constantFrom('name' as const, 'kind' as const, 'apiVersion' as const, 'garbage' as const, 'drop' as const) }),
  fc.record({ op: fc.constant('nostatus' as const), target: fc.nat() }),
  fc.record({ op: fc.constant('volumes' as const), target: fc.nat(), value: fc.constantFrom<unknown>('3', -1, 1.5, null, 0, 7) }),
  fc.record({ op: fc.constant('version' as const), target: fc.nat() }),
  fc.record({ op: fc.constant('deleting' as const), target: fc.nat() }),
  fc.record({ op: fc.constant('foreign' as const), name: fc.constantFrom('stranger', 'vitess-vttablet-zone1-0000000001'), kind: fc.constantFrom('PersistentVolumeClaim', 'Secret', 'StatefulSet', 'VitessShard', 'Pod') }),
);

function mutate(observed: readonly KubeObject[], mutations: readonly Mutation[]): KubeObject[] {
  const children = structuredClone(observed) as KubeObject[];
  for (const m of mutations) {
    if (m.op === 'foreign') {
      const apiVersion = m.kind === 'VitessShard' ? 'vitess.io/v1alpha1' : m.kind === 'StatefulSet' ? 'apps/v1' : 'v1';
      children.push({ apiVersion, kind: m.kind, metadata: { name: m.name, labels: { 'vitess.io/tablet-type': 'replica' } }, spec: m.kind === 'StatefulSet' ? { volumeClaimTemplates: [{ metadata: { name: 'data' } }] } : {} });
      continue;
    }
    const child = children[m.target % Math.max(1, children.length)];
    if (child === undefined) continue;
    const meta = child.metadata;
    if (m.op === 'relabel') meta.labels = { ...meta.labels, 'vitess.io/tablet-type': m.value };
    else if (m.op === 'unlabel') meta.labels = Object.fromEntries(Object.entries(meta.labels ?? {}).filter(([k]) => k !== 'vitess.io/tablet-type'));
    else if (m.op === 'nostatus') delete child.status;
    else if (m.op === 'volumes') child.status = { ...(child.status as object), volumes: m.value };
    else if (m.op === 'deleting') meta.deletionTimestamp = '2024-01-01T00:00:00Z';
    else if (m.op === 'version') {
      if (child.apiVersion.startsWith('vitess.io/')) child.apiVersion = 'vitess.io/v1beta1';
    } else if (m.op === 'tamper') {
      const text = meta.annotations?.[LAST_APPLIED_ANNOTATION];
      if (m.field === 'drop') meta.annotations = Object.fromEntries(Object.entries(meta.annotations ?? {}).filter(([k]) => k !== LAST_APPLIED_ANNOTATION));
      else if (m.field === 'garbage') meta.annotations = { ...meta.annotations, [LAST_APPLIED_ANNOTATION]: '{"not": json' };
      else if (text !== undefined && text.startsWith('{"')) {
        let applied: KubeObject;
        try {
          applied = JSON.parse(text) as KubeObject;
        } catch {
          continue; // already garbage
        }
        if (m.field === 'name') applied.metadata.name = `${applied.metadata.name}-other`;
        if (m.field === 'kind') applied.kind = applied.kind === 'Pod' ? 'PersistentVolumeClaim' : 'Pod';
        if (m.field === 'apiVersion') applied.apiVersion = applied.apiVersion.startsWith('vitess.io/') ? 'vitess.io/v1beta1' : 'other.example/v1';
        meta.annotations = { ...meta.annotations, [LAST_APPLIED_ANNOTATION]: JSON.stringify(applied) };
      }
    }
  }
  // Metacontroller sends one child per key: the last one written wins.
  return [...new Map(children.map((c) => [childKey(c), c])).values()];
}

/** Children that hold or may hold data: the law's subjects. */
function holdsData(child: KubeObject): boolean {
  if (child.kind === 'PersistentVolumeClaim' || child.kind === 'EtcdCluster') return true;
  if (child.kind === 'StatefulSet') return Array.isArray((child.spec as { volumeClaimTemplates?: unknown } | undefined)?.volumeClaimTemplates);
  if (VITESS_KINDS.has(child.kind)) {
    const status = child.status as { volumes?: unknown; volumesUnknown?: unknown } | undefined;
    return !(status?.volumes === 0 && status.volumesUnknown !== true);
  }
  return false;
}

/** The spec asked for this child's removal (read independently of lib/). */
function removalAsked(parent: KubeObject, child: KubeObject, observed: readonly KubeObject[]): boolean {
  const spec = parent.spec as { confirmRemoval?: string[]; tablets?: { volumeRetention?: string } };
  if ((spec.confirmRemoval ?? []).includes(child.metadata.name)) return true;
  if (parent.kind !== 'VitessShard' || child.kind !== 'PersistentVolumeClaim' || spec.tablets?.volumeRetention !== 'Delete') return false;
  const type = child.metadata.labels?.['vitess.io/tablet-type'];
  const podObserved = observed.some((o) => o.kind === 'Pod' && o.metadata.name === child.metadata.name);
  return (type === 'replica' || type === 'rdonly') && !podObserved;
}

/** A tablet Pod that may be primary-eligible: its label or its own command line (`--init-tablet-type`) says replica. */
function mayBePrimary(pod: KubeObject): boolean {
  if (pod.metadata.labels?.['vitess.io/tablet-type'] === 'replica') return true;
  return JSON.stringify(pod.spec ?? {}).includes('--init-tablet-type=replica');
}

function completedJob(observed: readonly KubeObject[], name: string): boolean {
  return observed.some((o) => {
    const conditions = (o.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? [];
    return o.kind === 'Job' && o.metadata.name === name && conditions.some((k) => k.type === 'Complete' && k.status === 'True');
  });
}

/**
 * The reparent gate under hostile labels: a shard answer leaves out a Pod that may be primary-eligible
 * only after a completed `<pod>-reparent` Job was observed, or when no other primary-eligible tablet
 * exists or is asked for (the reparent is then skipped and said in status).
 */
function reparentGateProblem(parent: KubeObject, observed: readonly KubeObject[], answered: ReadonlySet<string>): string | undefined {
  if (parent.kind !== 'VitessShard') return undefined;
  const replicas = (parent.spec as { tablets?: { replica?: { replicas?: number } } }).tablets?.replica?.replicas ?? 0;
  const eligible = observed.filter((o) => o.kind === 'Pod' && mayBePrimary(o));
  if (Math.max(replicas, eligible.length) <= 1) return undefined;
  for (const pod of eligible) {
    if (pod.metadata.deletionTimestamp !== undefined || answered.has(childKey(pod))) continue;
    // The Job's name is the tablet's name plus `-reparent`, shortened with a hash when too long (lib/vitess/names.ts).
    if (!completedJob(observed, reparentJobName(pod.metadata.name))) return `${childKey(pod)} (may be primary-eligible) left out without a completed reparent Job`;
  }
  return undefined;
}

describe('hostile observed state', () => {
  test('hostile observed state: every 200 answer carries every observed child that holds or may hold data, unless the spec asked for its removal, and drops a possibly primary-eligible tablet Pod only behind a completed reparent', () => {
    fc.assert(
      fc.property(LAYER_SCENARIOS, fc.array(mutation, { minLength: 1, maxLength: 6 }), (scenario, mutations) => {
        for (const c of [...casesOf(scenario), ...casesOf(scenario, 'ready')]) {
          const observed = mutate(c.observed, mutations);
          let answer;
          try {
            answer = syncBody(requestBody(c.parent, observed), c.kind);
          } catch {
            continue; // a 500: Metacontroller applies and deletes nothing
          }
          const answered = new Set(answer.children.map(childKey));
          for (const child of observed) {
            if (child.metadata.deletionTimestamp !== undefined || !holdsData(child) || removalAsked(c.parent, child, observed)) continue;
            if (!answered.has(childKey(child))) throw new Error(`${c.kind} answer leaves out ${childKey(child)} (mutations ${JSON.stringify(mutations)})`);
          }
          const gate = reparentGateProblem(c.parent, observed, answered);
          if (gate !== undefined) throw new Error(`${c.kind} answer: ${gate} (mutations ${JSON.stringify(mutations)})`);
        }
      }),
      RUNS,
    );
  }, TIMEOUT_MS);
});
