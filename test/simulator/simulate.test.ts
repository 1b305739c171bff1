import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { readLastApplied } from '../../lib/metacontroller/hold.ts';
import { hasTrueCondition } from '../../lib/kube/conditions.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import type { SyncRequest } from '../../lib/metacontroller/request.ts';
import { converge, simulate, type SimulateOptions, type SimulationResult } from '../../lib/simulator/simulate.ts';
import { createObject, getObject, storeKey, updateObject, type ClusterState } from '../../lib/simulator/store.ts';
import { runs } from '../arbitraries/index.ts';
import { clusterController, fakeCellLayer, fakeClusterLayer, parent, SELECTOR } from './fakes.ts';

const PARENT_KEY = 'default/VitessCluster/demo';

function options(extra: Partial<SimulateOptions> = {}, seen: SyncRequest[] = []): SimulateOptions {
  return { controllers: clusterController(), layers: [fakeClusterLayer(seen), fakeCellLayer()], maxRounds: 20, ...extra };
}

function find(result: { objects: KubeObject[] }, kind: string, name: string): KubeObject | undefined {
  return result.objects.find((o) => o.kind === kind && o.metadata.name === name);
}

function names(result: { objects: KubeObject[] }, kind: string): string[] {
  return result.objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
}

/** Edits the parent's spec in a converged state, as a user's `kubectl apply` would. */
function editParent(state: ClusterState, spec: Record<string, unknown>): ClusterState {
  const stored = getObject(state, PARENT_KEY) as KubeObject;
  return updateObject(state, { ...stored, spec: { selector: SELECTOR, ...spec } }).state;
}

function writes(result: SimulationResult, verb: string): string[] {
  return result.steps.flatMap((s) => s.actions.filter((a) => a.verb === verb).map((a) => a.object));
}

describe('simulate: creating children', () => {
  test('creates the desired children with a controller reference and the last-applied annotation, then converges', () => {
    const result = simulate([parent({ count: 3 })], options());
    expect(result.converged).toBe(true);
    expect(names(result, 'ConfigMap')).toEqual(['cm-0', 'cm-1', 'cm-2']);
    const owner = find(result, 'VitessCluster', 'demo');
    for (const cm of result.objects.filter((o) => o.kind === 'ConfigMap')) {
      expect(cm.metadata.namespace).toBe('default');
      expect(cm.metadata.ownerReferences).toEqual([
        { apiVersion: 'vitess.io/v1alpha1', kind: 'VitessCluster', name: 'demo', uid: owner?.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
      ]);
      expect(readLastApplied(cm)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm.metadata.name, namespace: 'default', labels: { app: 'demo' } }, data: { value: 'v' } });
      expect(cm.metadata.uid).toBeDefined();
      expect(cm.metadata.creationTimestamp).toBe('2024-01-01T00:00:10Z');
    }
  });

  test('writes the answer status into the parent with observedGeneration', () => {
    const result = simulate([parent({ count: 2 })], options());
    expect(find(result, 'VitessCluster', 'demo')?.status).toEqual({ observedChildren: 2, ready: true, observedGeneration: 1 });
  });

  test('the last round writes nothing; the previous ones did', () => {
    const result = simulate([parent({ count: 1 })], options());
    expect(result.steps.at(-1)?.actions).toEqual([]);
    expect(result.steps[1]?.actions.map((a) => a.verb)).toEqual(['create', 'status']);
  });

  test('deterministic: the same input gives the same result', () => {
    const input = [parent({ count: 2, pods: ['p'], cells: ['a'] })];
    expect(JSON.stringify(simulate(input, options({ kubelet: true })))).toBe(JSON.stringify(simulate(input, options({ kubelet: true }))));
  });
});

describe('simulate: the request', () => {
  test('only children owned by the parent and matching its selector are sent; foreign ones are left alone', () => {
    const seen: SyncRequest[] = [];
    const first = simulate([parent({ count: 1 })], options({}, seen));
    const foreign: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'foreign', namespace: 'default', labels: { app: 'demo' }, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'someone-else', controller: true }] },
    };
    const unrelated: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated', namespace: 'default', labels: { app: 'nope' } } };
    const withOthers = [foreign, unrelated].reduce((s, o) => createObject(s, o, new Date(0)).state, first.state);
    const again = converge(withOthers, options({}, seen), first.steps);
    expect(seen.at(-1)?.children.map((c) => c.metadata.name)).toEqual(['cm-0']);
    expect(names(again, 'ConfigMap')).toEqual(['cm-0', 'foreign', 'unrelated']);
  });

  test('an orphan matching the selector is adopted, sent, and deleted when the answer leaves it out', () => {
    const orphan: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'orphan', namespace: 'default', labels: { app: 'demo' } } };
    const result = simulate([parent({ count: 1 }), orphan], options());
    expect(writes(result, 'adopt')).toEqual(['ConfigMap/default/orphan']);
    expect(writes(result, 'delete')).toEqual(['ConfigMap/default/orphan']);
    expect(names(result, 'ConfigMap')).toEqual(['cm-0']);
  });
});

describe('simulate: updates per strategy', () => {
  test('InPlace: a changed child is updated in place (same uid), keeping fields others added', () => {
    const first = simulate([parent({ count: 1, value: 'a' })], options());
    const cm = find(first, 'ConfigMap', 'cm-0') as KubeObject;
    const touched = updateObject(first.state, { ...cm, metadata: { ...cm.metadata, annotations: { ...cm.metadata.annotations, 'someone/else': 'x' } } }).state;
    const second = converge(editParent(touched, { count: 1, value: 'b' }), options(), first.steps);
    const updated = find(second, 'ConfigMap', 'cm-0') as KubeObject;
    expect(updated.data).toEqual({ value: 'b' });
    expect(updated.metadata.uid).toBe(cm.metadata.uid);
    expect(updated.metadata.annotations?.['someone/else']).toBe('x');
    expect(writes(second, 'update')).toContain('ConfigMap/default/cm-0');
  });

  test('OnDelete: a changed child is never updated', () => {
    const first = simulate([parent({ pods: ['p'], value: 'a' })], options());
    const second = converge(editParent(first.state, { pods: ['p'], value: 'b' }), options(), first.steps);
    expect(second.converged).toBe(true);
    const pod = find(second, 'Pod', 'p') as KubeObject;
    expect((pod.spec as { containers: { image: string }[] }).containers[0]?.image).toBe('img:a');
  });

  test('Recreate: a changed child is deleted in one sync and created from the new answer in the next', () => {
    const controllers = clusterController({ configmaps: 'Recreate' });
    const first = simulate([parent({ count: 1, value: 'a' })], options({ controllers }));
    const uid = find(first, 'ConfigMap', 'cm-0')?.metadata.uid;
    const second = converge(editParent(first.state, { count: 1, value: 'b' }), options({ controllers }), first.steps);
    const rounds = second.steps.slice(first.steps.length);
    expect(rounds[0]?.actions.filter((a) => a.object === 'ConfigMap/default/cm-0').map((a) => a.verb)).toEqual(['recreate-delete']);
    expect(rounds[1]?.actions.filter((a) => a.object === 'ConfigMap/default/cm-0').map((a) => a.verb)).toEqual(['create']);
    const recreated = find(second, 'ConfigMap', 'cm-0') as KubeObject;
    expect(recreated.data).toEqual({ value: 'b' });
    expect(recreated.metadata.uid).not.toBe(uid);
  });

  test('a left-out child is deleted, and the garbage collector removes what it owns', () => {
    const first = simulate([parent({ cells: ['a', 'b'] })], options());
    expect(names(first, 'ConfigMap')).toEqual(['a-cm-0', 'b-cm-0']);
    const second = converge(editParent(first.state, { cells: ['a'] }), options(), first.steps);
    expect(names(second, 'VitessCell')).toEqual(['a']);
    expect(names(second, 'ConfigMap')).toEqual(['a-cm-0']);
    expect(writes(second, 'delete')).toEqual(['VitessCell/default/b']);
    expect(writes(second, 'garbage-collect')).toEqual(['ConfigMap/default/b-cm-0']);
  });

  test('generation moves on spec changes only', () => {
    const first = simulate([parent({ count: 1 })], options());
    expect(find(first, 'VitessCluster', 'demo')?.metadata.generation).toBe(1);
    const second = converge(editParent(first.state, { count: 2 }), options(), first.steps);
    const cluster = find(second, 'VitessCluster', 'demo') as KubeObject;
    expect(cluster.metadata.generation).toBe(2);
    expect((cluster.status as { observedGeneration: number }).observedGeneration).toBe(2);
  });
});

describe('simulate: failed syncs apply nothing', () => {
  test('a desired child whose labels miss the selector fails the whole sync', () => {
    const result = simulate([parent({ count: 2, badLabels: true })], options());
    expect(names(result, 'ConfigMap')).toEqual([]);
    expect(find(result, 'VitessCluster', 'demo')?.status).toBeUndefined();
    expect(result.errors[0]?.message).toContain("don't match parent selector");
  });

  test('a hook exception fails the sync (as a 500 would)', () => {
    const result = simulate([parent({ count: 2, explode: true })], options());
    expect(names(result, 'ConfigMap')).toEqual([]);
    expect(result.errors[0]?.message).toContain('boom');
  });

  test('hook v2 answers with an unknown top-level key fail; v1 ones are accepted', () => {
    const v2 = simulate([parent({ count: 1, extraTopLevel: true })], options({ controllers: clusterController({}, 'v2') }));
    expect(v2.errors[0]?.message).toContain('surprise');
    const v1 = simulate([parent({ count: 1, extraTopLevel: true })], options());
    expect(v1.errors).toEqual([]);
  });

  test('a child of a type the controller does not declare fails the sync', () => {
    const controllers = clusterController().map((c) => (c.name === 'fake-cluster' ? { ...c, children: c.children.filter((t) => t.kind !== 'Pod') } : c));
    const result = simulate([parent({ count: 1, pods: ['p'] })], options({ controllers }));
    expect(result.errors[0]?.message).toContain('not a child resource');
    expect(names(result, 'ConfigMap')).toEqual([]);
  });

  test('a parent without a selector is refused', () => {
    const bare: KubeObject = { apiVersion: 'vitess.io/v1alpha1', kind: 'VitessCluster', metadata: { name: 'demo', namespace: 'default' }, spec: { count: 1 } };
    const result = simulate([bare], options());
    expect(result.errors[0]?.message).toContain('.spec.selector');
  });
});

describe('simulate: kubelet', () => {
  test('without the kubelet Pods never become ready', () => {
    const result = simulate([parent({ pods: ['p', 'q'] })], options());
    expect(result.converged).toBe(true);
    expect((find(result, 'VitessCluster', 'demo')?.status as { ready: boolean }).ready).toBe(false);
  });

  test('with the kubelet, Pods become Running and Ready and the parent reports it', () => {
    const result = simulate([parent({ pods: ['p', 'q'] })], options({ kubelet: true }));
    const pod = find(result, 'Pod', 'p') as KubeObject;
    expect((pod.status as { phase: string }).phase).toBe('Running');
    expect(hasTrueCondition(pod, 'Ready')).toBe(true);
    expect((find(result, 'VitessCluster', 'demo')?.status as { ready: boolean }).ready).toBe(true);
  });

  test('law: whatever the readiness lag, the simulation converges to a ready parent', () => {
    const lag = fc.func(fc.boolean());
    fc.assert(
      fc.property(fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1 }), lag, (pods, coin) => {
        // A lagging kubelet: each not-yet-ready object becomes ready on a coin flip per round, and surely after round 10.
        const becomesReady = (object: KubeObject, round: number): boolean => round > 10 || coin(object.metadata.name, round);
        const result = simulate([parent({ pods })], options({ kubelet: { becomesReady }, maxRounds: 30 }));
        return result.converged && (find(result, 'VitessCluster', 'demo')?.status as { ready: boolean }).ready;
      }),
      runs({ numRuns: Math.min(Number(process.env.FC_RUNS ?? 1000), 200) }),
    );
  });
});

describe('store keys', () => {
  test('objects are keyed namespace/Kind/name', () => {
    expect(storeKey(parent({}))).toBe(PARENT_KEY);
  });
});
