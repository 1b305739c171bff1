import { describe, expect, test } from 'bun:test';
import { keepImmutableFields } from '../../lib/kube/immutable.ts';
import type { KubeObject } from '../../lib/kube/object.ts';

const set = (claimSize: string, replicas: number, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'etcd', labels },
  spec: {
    replicas,
    serviceName: 'etcd',
    selector: { matchLabels: { c: 'etcd' } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { resources: { requests: { storage: claimSize } } } }],
  },
});

describe('keepImmutableFields', () => {
  test('keeps the last applied volumeClaimTemplates and reports it; mutable fields move', () => {
    const { object, notApplied } = keepImmutableFields(set('5Gi', 5, { team: 'b' }), set('1Gi', 3, { team: 'a' }));
    expect((object.spec as { volumeClaimTemplates: unknown }).volumeClaimTemplates).toEqual((set('1Gi', 3, {}).spec as { volumeClaimTemplates: unknown }).volumeClaimTemplates);
    expect((object.spec as { replicas: number }).replicas).toBe(5);
    expect(object.metadata.labels).toEqual({ team: 'b' });
    expect(notApplied).toEqual(['StatefulSet/etcd: spec.volumeClaimTemplates is immutable']);
  });

  test('a new object, or one without last applied state, is left as desired', () => {
    const desired = set('5Gi', 5, {});
    expect(keepImmutableFields(desired, undefined)).toEqual({ object: desired, notApplied: [] });
  });

  test('unchanged immutable fields report nothing, and the input is not mutated', () => {
    const desired = set('1Gi', 4, {});
    const copy = structuredClone(desired);
    expect(keepImmutableFields(desired, set('1Gi', 3, {})).notApplied).toEqual([]);
    expect(desired).toEqual(copy);
  });

  test('kinds without immutable fields pass through', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    expect(keepImmutableFields(cm, { ...cm, data: { a: '2' } }).object).toBe(cm);
  });
});
