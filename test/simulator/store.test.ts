import { describe, expect, test } from 'bun:test';
import type { KubeObject } from '../../lib/kube/object.ts';
import { makeControllerRef } from '../../lib/simulator/metacontroller.ts';
import { ApiError, createObject, deleteObject, EMPTY_STATE, getObject, immutableFieldChange, updateObject, updateStatus } from '../../lib/simulator/store.ts';

const NOW = new Date('2024-01-01T00:00:00.123Z');

function deployment(selector: Record<string, string>, replicas = 1): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' }, spec: { replicas, selector: { matchLabels: selector } } };
}

describe('store', () => {
  test('create assigns uid, resourceVersion, generation 1, a second-precision timestamp; drops status', () => {
    const { object } = createObject(EMPTY_STATE, { ...deployment({ a: 'b' }), status: { replicas: 9 } }, NOW);
    expect(object.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(object.metadata.resourceVersion).toBe('1');
    expect(object.metadata.generation).toBe(1);
    expect(object.metadata.creationTimestamp).toBe('2024-01-01T00:00:00Z');
    expect(object.status).toBeUndefined();
  });

  test('create twice is AlreadyExists', () => {
    const { state } = createObject(EMPTY_STATE, deployment({ a: 'b' }), NOW);
    expect(() => createObject(state, deployment({ a: 'b' }), NOW)).toThrow(ApiError);
  });

  test('update: generation moves with spec, not with metadata; status is untouched; no-op updates write nothing', () => {
    const created = createObject(EMPTY_STATE, deployment({ a: 'b' }), NOW);
    const withStatus = updateStatus(created.state, 'ns/Deployment/d', { replicas: 1 }).state;
    const stored = getObject(withStatus, 'ns/Deployment/d') as KubeObject;
    const labeled = updateObject(withStatus, { ...stored, metadata: { ...stored.metadata, labels: { x: 'y' } }, status: { replicas: 7 } });
    expect(labeled.object.metadata.generation).toBe(1);
    expect(labeled.object.status).toEqual({ replicas: 1 });
    const scaled = updateObject(labeled.state, { ...labeled.object, spec: { ...(labeled.object.spec as object), replicas: 3 } });
    expect(scaled.object.metadata.generation).toBe(2);
    expect(updateObject(scaled.state, scaled.object).changed).toBe(false);
  });

  test('immutable fields: a Deployment selector, a Job template, a Pod spec beyond images', () => {
    expect(immutableFieldChange(deployment({ a: 'b' }), deployment({ a: 'c' }))).toBe('spec.selector');
    expect(immutableFieldChange(deployment({ a: 'b' }, 1), deployment({ a: 'b' }, 5))).toBeUndefined();
    const pod = (image: string, cmd: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image, command: [cmd] }] } });
    expect(immutableFieldChange(pod('a', 'x'), pod('b', 'x'))).toBeUndefined();
    expect(immutableFieldChange(pod('a', 'x'), pod('a', 'y'))).toBe('spec');
    const created = createObject(EMPTY_STATE, deployment({ a: 'b' }), NOW);
    expect(() => updateObject(created.state, { ...created.object, spec: { selector: { matchLabels: { a: 'c' } } } })).toThrow(ApiError);
  });

  test('Services get a cluster IP unless headless', () => {
    const svc = (clusterIP?: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: clusterIP ?? 'ip', namespace: 'ns' }, spec: clusterIP === undefined ? {} : { clusterIP } });
    expect((createObject(EMPTY_STATE, svc(), NOW).object.spec as { clusterIP: string }).clusterIP).toMatch(/^10\.96\./);
    expect((createObject(EMPTY_STATE, svc('None'), NOW).object.spec as { clusterIP: string }).clusterIP).toBe('None');
  });

  test('delete cascades to dependents whose owners are all gone, transitively', () => {
    const top = createObject(EMPTY_STATE, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'top', namespace: 'ns' } }, NOW);
    const other = createObject(top.state, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: 'ns' } }, NOW);
    const mid = createObject(other.state, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mid', namespace: 'ns', ownerReferences: [makeControllerRef(top.object)] } }, NOW);
    const leaf = createObject(mid.state, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'leaf', namespace: 'ns', ownerReferences: [makeControllerRef(mid.object)] } }, NOW);
    const shared = createObject(
      leaf.state,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', namespace: 'ns', ownerReferences: [makeControllerRef(mid.object), { ...makeControllerRef(other.object), controller: false }] } },
      NOW,
    );
    const { state, deleted } = deleteObject(shared.state, 'ns/ConfigMap/top');
    expect(deleted).toEqual(['ns/ConfigMap/top', 'ns/ConfigMap/mid', 'ns/ConfigMap/leaf']);
    expect(Object.keys(state.objects).sort()).toEqual(['ns/ConfigMap/other', 'ns/ConfigMap/shared']);
  });
});
