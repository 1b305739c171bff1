import { describe, expect, test } from 'bun:test';
import type { KubeObject } from '../../lib/kube/object.ts';
import { buildRequest, makeControllerRef, syncParent } from '../../lib/simulator/metacontroller.ts';
import { createObject, EMPTY_STATE, getObject } from '../../lib/simulator/store.ts';
import { clusterController, configMap, fakeClusterLayer, parent } from './fakes.ts';

const NOW = new Date('2024-01-01T00:00:00Z');

function seeded(): { parentObject: KubeObject; child: KubeObject; state: typeof EMPTY_STATE } {
  const first = createObject(EMPTY_STATE, parent({ count: 1 }), NOW);
  const owned: KubeObject = { ...configMap('cm-0', { value: 'v' }), metadata: { ...configMap('cm-0', {}).metadata, namespace: 'default', ownerReferences: [makeControllerRef(first.object)] } };
  const second = createObject(first.state, owned, NOW);
  return { parentObject: first.object, child: second.object, state: second.state };
}

describe('buildRequest', () => {
  test('hook v1: children keyed by name; v2: by namespace/name; every declared type present', () => {
    const { parentObject, child } = seeded();
    for (const [version, key] of [['v1', 'cm-0'], ['v2', 'default/cm-0']] as const) {
      const controller = clusterController({}, version)[0];
      if (controller === undefined) throw new Error('no controller');
      const observed = new Map(controller.children.map((c) => [`${c.kind}.${c.apiVersion}`, new Map<string, KubeObject>()]));
      observed.get('ConfigMap.v1')?.set(key, child);
      const request = buildRequest(controller, parentObject, observed);
      expect(Object.keys(request)).toEqual(['controller', 'parent', 'children', 'related', 'finalizing']);
      expect(request.children).toEqual({ 'ConfigMap.v1': { [key]: child }, 'Pod.v1': {}, 'Job.batch/v1': {}, 'VitessCell.vitess.io/v1alpha1': {} });
      expect(request.related).toEqual({});
      expect(request.finalizing).toBe(false);
      expect((request.controller as { metadata: { name: string } }).metadata.name).toBe('fake-cluster');
    }
  });
});

describe('syncParent', () => {
  test('an owned child that stops matching the selector is released (and not deleted)', () => {
    const { state, child } = seeded();
    const relabeled = createObject(
      EMPTY_STATE,
      { ...child, metadata: { ...child.metadata, labels: { app: 'elsewhere' } } },
      NOW,
    );
    const merged = { objects: { ...state.objects, 'default/ConfigMap/cm-0': relabeled.object }, counter: state.counter + 1 };
    const controller = clusterController()[0];
    if (controller === undefined) throw new Error('no controller');
    const outcome = syncParent(merged, controller, fakeClusterLayer(), 'default/VitessCluster/demo', NOW);
    expect(outcome.actions.map((a) => [a.verb, a.object])).toContainEqual(['release', 'ConfigMap/default/cm-0']);
    // The hook still wants cm-0; the released object blocks its creation, as upstream's swallowed AlreadyExists does.
    expect(outcome.actions.map((a) => a.verb)).toContain('skip');
    expect(getObject(outcome.state, 'default/ConfigMap/cm-0')?.metadata.ownerReferences).toBeUndefined();
  });

  test('a missing parent is a no-op', () => {
    const controller = clusterController()[0];
    if (controller === undefined) throw new Error('no controller');
    expect(syncParent(EMPTY_STATE, controller, fakeClusterLayer(), 'default/VitessCluster/none', NOW)).toEqual({ state: EMPTY_STATE, actions: [] });
  });
});
