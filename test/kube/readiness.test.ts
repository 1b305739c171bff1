import { describe, expect, test } from 'bun:test';
import { isSettled } from '../../lib/rollout/slots.ts';
import { isFailedJob, isReady } from '../../lib/kube/readiness.ts';
import type { KubeObject } from '../../lib/kube/object.ts';

function obj(kind: string, extra: { generation?: number; spec?: unknown; status?: unknown } = {}): KubeObject {
  const { generation, ...rest } = extra;
  return { apiVersion: 'v1', kind, metadata: { name: 'x', ...(generation === undefined ? {} : { generation }) }, ...rest };
}
const cond = (type: string, status: string) => ({ conditions: [{ type, status }] });

describe('isReady', () => {
  test('Pod: Ready condition True', () => {
    expect(isReady(obj('Pod', { status: cond('Ready', 'True') }))).toBe(true);
    expect(isReady(obj('Pod', { status: cond('Ready', 'False') }))).toBe(false);
    expect(isReady(obj('Pod', { status: { phase: 'Running' } }))).toBe(false);
    expect(isReady(obj('Pod'))).toBe(false);
  });

  test('Deployment: updated and available replicas reach spec.replicas, no surplus, observedGeneration caught up', () => {
    const ok = { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
    expect(isReady(obj('Deployment', { generation: 3, spec: { replicas: 2 }, status: ok }))).toBe(true);
    // The Deployment controller has not seen the latest spec yet: its counts are stale.
    expect(isReady(obj('Deployment', { generation: 4, spec: { replicas: 2 }, status: ok }))).toBe(false);
    expect(isReady(obj('Deployment', { generation: 3, spec: { replicas: 2 }, status: { ...ok, observedGeneration: undefined } }))).toBe(false);
    expect(isReady(obj('Deployment', { generation: 3, spec: { replicas: 2 }, status: { ...ok, updatedReplicas: 1 } }))).toBe(false);
    expect(isReady(obj('Deployment', { generation: 3, spec: { replicas: 2 }, status: { ...ok, availableReplicas: 1 } }))).toBe(false);
    // An old ReplicaSet's Pod still running (mid-rollout surplus).
    expect(isReady(obj('Deployment', { generation: 3, spec: { replicas: 2 }, status: { ...ok, replicas: 3 } }))).toBe(false);
    // Default replicas is 1.
    expect(isReady(obj('Deployment', { generation: 1, status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 } }))).toBe(true);
    expect(isReady(obj('Deployment', { generation: 1, status: { observedGeneration: 1 } }))).toBe(false);
  });

  test('StatefulSet: ready and updated replicas reach spec.replicas, observedGeneration caught up', () => {
    const ok = { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3 };
    expect(isReady(obj('StatefulSet', { generation: 2, spec: { replicas: 3 }, status: ok }))).toBe(true);
    expect(isReady(obj('StatefulSet', { generation: 3, spec: { replicas: 3 }, status: ok }))).toBe(false);
    expect(isReady(obj('StatefulSet', { generation: 2, spec: { replicas: 3 }, status: { ...ok, readyReplicas: 2 } }))).toBe(false);
    expect(isReady(obj('StatefulSet', { generation: 2, spec: { replicas: 3 }, status: { ...ok, updatedReplicas: 2 } }))).toBe(false);
  });

  test('Job: Complete condition True', () => {
    expect(isReady(obj('Job', { status: cond('Complete', 'True') }))).toBe(true);
    expect(isReady(obj('Job', { status: { succeeded: 1 } }))).toBe(false);
    expect(isReady(obj('Job', { status: cond('Failed', 'True') }))).toBe(false);
  });

  test('PersistentVolumeClaim: Bound; EtcdCluster: Running', () => {
    expect(isReady(obj('PersistentVolumeClaim', { status: { phase: 'Bound' } }))).toBe(true);
    expect(isReady(obj('PersistentVolumeClaim', { status: { phase: 'Pending' } }))).toBe(false);
    expect(isReady(obj('EtcdCluster', { status: { phase: 'Running' } }))).toBe(true);
    expect(isReady(obj('EtcdCluster', { status: { phase: 'Creating' } }))).toBe(false);
  });

  test('Vitess custom objects: Ready as last reported, even before their hook synced a new spec', () => {
    for (const kind of ['VitessCell', 'VitessKeyspace', 'VitessShard']) {
      expect(isReady(obj(kind, { generation: 2, status: { observedGeneration: 2, ...cond('Ready', 'True') } }))).toBe(true);
      expect(isReady(obj(kind, { generation: 3, status: { observedGeneration: 2, ...cond('Ready', 'True') } }))).toBe(true);
      // ...but not settled for a rollout until its hook caught up with the new generation.
      const both = { conditions: [...cond('Ready', 'True').conditions, ...cond('Updated', 'True').conditions] };
      expect(isSettled(obj(kind, { generation: 3, status: { observedGeneration: 2, ...both } }))).toBe(false);
      expect(isSettled(obj(kind, { generation: 3, status: { observedGeneration: 3, ...both } }))).toBe(true);
      expect(isReady(obj(kind, { generation: 2, status: { observedGeneration: 2, ...cond('Ready', 'False') } }))).toBe(false);
    }
  });

  test('Services, ConfigMaps, PodDisruptionBudgets: ready once they exist', () => {
    for (const kind of ['Service', 'ConfigMap', 'PodDisruptionBudget']) expect(isReady(obj(kind))).toBe(true);
  });

  test('isFailedJob: a Job with Failed=True only', () => {
    expect(isFailedJob(obj('Job', { status: cond('Failed', 'True') }))).toBe(true);
    expect(isFailedJob(obj('Job', { status: cond('Complete', 'True') }))).toBe(false);
    expect(isFailedJob(obj('Pod', { status: cond('Failed', 'True') }))).toBe(false);
  });
});
