import { describe, expect, test } from 'bun:test';
import type { KubeObject } from '../../lib/kube/object.ts';
import { priorityAdmission } from '../../lib/simulator/admission.ts';
import { createObject, EMPTY_STATE } from '../../lib/simulator/store.ts';

const NOW = new Date('2024-01-01T00:00:00Z');
const pod = (priorityClassName?: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], ...(priorityClassName === undefined ? {} : { priorityClassName }) } }) as KubeObject;

describe('priorityAdmission (the Priority admission plugin)', () => {
  test("refuses a Pod naming a PriorityClass that does not exist, with the API server's words", () => {
    expect(priorityAdmission(pod('vitess-critical'), EMPTY_STATE)).toBe('pods "p" is forbidden: no PriorityClass with name vitess-critical was found');
  });

  test('admits a Pod naming none, a system class, or one that exists; and anything that is not a Pod', () => {
    const withClass = createObject(EMPTY_STATE, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'vitess-critical' } } as KubeObject, NOW).state;
    expect(priorityAdmission(pod(), EMPTY_STATE)).toBeUndefined();
    expect(priorityAdmission(pod('system-node-critical'), EMPTY_STATE)).toBeUndefined();
    expect(priorityAdmission(pod('vitess-critical'), withClass)).toBeUndefined();
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: { template: { spec: { priorityClassName: 'x' } } } } as KubeObject;
    expect(priorityAdmission(deployment, EMPTY_STATE)).toBeUndefined();
  });
});
