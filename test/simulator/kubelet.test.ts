import { describe, expect, test } from 'bun:test';
import type { KubeObject } from '../../lib/kube/object.ts';
import { isReady } from '../../lib/kube/readiness.ts';
import { kubeletStep } from '../../lib/simulator/kubelet.ts';
import { allObjects, createObject, EMPTY_STATE, type ClusterState } from '../../lib/simulator/store.ts';

const T0 = new Date('2024-01-01T00:00:00Z');
const T1 = new Date('2024-01-01T00:01:00Z');

const OBJECTS: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: { replicas: 3, template: { metadata: { labels: { app: 'd' } } } } },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's', namespace: 'ns' }, spec: { replicas: 2, template: { metadata: { labels: { app: 's' } } } } },
  { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'ns' }, spec: {} },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'v', namespace: 'ns' }, spec: { resources: { requests: { storage: '1Gi' } } } },
  { apiVersion: 'etcd.database.coreos.com/v1beta2', kind: 'EtcdCluster', metadata: { name: 'e', namespace: 'ns' }, spec: { size: 3 } },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b', namespace: 'ns' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'd' } } } },
];

function seeded(): ClusterState {
  return OBJECTS.reduce((state, object) => createObject(state, object, T0).state, EMPTY_STATE);
}

describe('kubelet', () => {
  test('every object it handles ends up ready by lib/kube/readiness', () => {
    const { state } = kubeletStep(seeded(), 1, T0);
    for (const object of allObjects(state)) expect([object.kind, isReady(object)]).toEqual([object.kind, true]);
  });

  test('a PDB counts the ready Pods of the workloads it selects', () => {
    const once = kubeletStep(seeded(), 1, T0).state;
    const twice = kubeletStep(once, 2, T1).state;
    const pdb = allObjects(twice).find((o) => o.kind === 'PodDisruptionBudget');
    expect(pdb?.status).toMatchObject({ currentHealthy: 3, expectedPods: 3, desiredHealthy: 1, disruptionsAllowed: 2 });
  });

  test('stable: once everything is ready, a later pass writes nothing (transition times kept)', () => {
    const settled = kubeletStep(kubeletStep(seeded(), 1, T0).state, 2, T0).state;
    const later = kubeletStep(settled, 3, T1);
    expect(later.actions).toEqual([]);
    expect(later.state).toEqual(settled);
  });

  test('becomesReady holds objects back and reports them pending', () => {
    const step = kubeletStep(seeded(), 1, T0, { becomesReady: (o) => o.kind !== 'Pod' });
    expect(step.pending).toEqual(['Pod/ns/p']);
    expect(allObjects(step.state).find((o) => o.kind === 'Pod')?.status).toBeUndefined();
  });
});
