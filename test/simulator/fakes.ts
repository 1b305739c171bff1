/**
 * Small fake layers and controller manifests for the simulator tests: the simulator must play
 * Metacontroller for any hook, so its tests do not depend on the real layers.
 */
import { hasTrueCondition } from '../../lib/kube/conditions.ts';
import { isRecord, type KubeObject } from '../../lib/kube/object.ts';
import type { SyncRequest, SyncResponse } from '../../lib/metacontroller/request.ts';
import { parseControllers, type ControllerSpec, type UpdateMethod } from '../../lib/simulator/controllers.ts';
import type { Layer } from '../../lib/sync/layer.ts';

export const SELECTOR = { matchLabels: { app: 'demo' } };

/** A VitessCluster used as a generic parent: its spec drives the fake hooks. */
export function parent(spec: Record<string, unknown>, name = 'demo', namespace = 'default'): KubeObject {
  return { apiVersion: 'vitess.io/v1alpha1', kind: 'VitessCluster', metadata: { name, namespace }, spec: { selector: SELECTOR, ...spec } };
}

/** One controller: VitessCluster parent, ConfigMap/Pod/Job children with the given methods. */
export function clusterController(methods: Partial<Record<'configmaps' | 'pods' | 'jobs' | 'vitesscells', UpdateMethod>> = {}, version: 'v1' | 'v2' = 'v1'): ControllerSpec[] {
  const children = Object.entries({ configmaps: 'InPlace', pods: 'OnDelete', jobs: 'OnDelete', vitesscells: 'InPlace', ...methods })
    .map(([resource, method]) => {
      const apiVersion = resource === 'vitesscells' ? 'vitess.io/v1alpha1' : resource === 'jobs' ? 'batch/v1' : 'v1';
      return `    - apiVersion: ${apiVersion}\n      resource: ${resource}\n      updateStrategy: {method: ${method}}`;
    })
    .join('\n');
  return parseControllers(`apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: fake-cluster}
spec:
  generateSelector: false
  parentResource: {apiVersion: vitess.io/v1alpha1, resource: vitessclusters}
  childResources:
${children}
  hooks:
    sync:
      version: ${version}
      webhook: {url: "http://hooks.test/sync-cluster"}
---
apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: fake-cell}
spec:
  parentResource: {apiVersion: vitess.io/v1alpha1, resource: vitesscells}
  childResources:
    - {apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}
  hooks:
    sync:
      webhook: {url: "http://hooks.test/sync-cell"}
`);
}

function specOf(request: SyncRequest): Record<string, unknown> {
  return isRecord(request.parent.spec) ? request.parent.spec : {};
}

function labels(extra: Record<string, string> = {}): Record<string, string> {
  return { app: 'demo', ...extra };
}

export function configMap(name: string, data: Record<string, string>, extraLabels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: labels(extraLabels) }, data };
}

/**
 * The fake cluster hook. spec: count (ConfigMaps `cm-<i>` with data.value = spec.value), pods (names
 * of Pods), cells (names of VitessCells, each with spec.count ConfigMaps via the fake cell hook),
 * badLabels (children with labels that miss the selector), extraTopLevel (an unknown response key).
 * Status: counts of observed children and Ready when every observed Pod is Ready.
 */
export function fakeClusterLayer(seen: SyncRequest[] = []): Layer {
  return {
    name: 'sync-cluster',
    parentKind: 'VitessCluster',
    sync(request: SyncRequest): SyncResponse {
      seen.push(request);
      const spec = specOf(request);
      const count = typeof spec.count === 'number' ? spec.count : 0;
      const value = typeof spec.value === 'string' ? spec.value : 'v';
      const pods = Array.isArray(spec.pods) ? (spec.pods as string[]) : [];
      const cells = Array.isArray(spec.cells) ? (spec.cells as string[]) : [];
      const extra: Record<string, string> = spec.badLabels === true ? { app: 'other' } : {};
      const children: KubeObject[] = [
        ...Array.from({ length: count }, (_, i) => configMap(`cm-${i}`, { value }, extra)),
        ...pods.map(
          (name): KubeObject => ({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name, labels: labels() },
            spec: { containers: [{ name: 'main', image: `img:${value}` }] },
          }),
        ),
        ...cells.map(
          (name): KubeObject => ({
            apiVersion: 'vitess.io/v1alpha1',
            kind: 'VitessCell',
            metadata: { name, labels: labels() },
            spec: { selector: SELECTOR, count: 1 },
          }),
        ),
      ];
      const observedPods = request.children.filter((c) => c.kind === 'Pod');
      const ready = observedPods.length === pods.length && observedPods.every((p) => hasTrueCondition(p, 'Ready'));
      const response: SyncResponse & Record<string, unknown> = {
        status: { observedChildren: request.children.length, ready },
        children,
        ...(spec.extraTopLevel === true ? { surprise: 1 } : {}),
      };
      if (spec.explode === true) throw new Error('boom');
      return response;
    },
  };
}

export function fakeCellLayer(): Layer {
  return {
    name: 'sync-cell',
    parentKind: 'VitessCell',
    sync(request: SyncRequest): SyncResponse {
      const spec = specOf(request);
      const count = typeof spec.count === 'number' ? spec.count : 0;
      return {
        status: {},
        children: Array.from({ length: count }, (_, i) => configMap(`${request.parent.metadata.name}-cm-${i}`, { cell: request.parent.metadata.name })),
      };
    },
  };
}
