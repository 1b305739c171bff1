import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyComponent, hookName, ManifestError, parseControllers, parseManifests } from '../../lib/simulator/controllers.ts';
import { loadControllers, METACONTROLLER_DIR } from '../../lib/simulator/manifests.ts';

describe('our CompositeController manifests', () => {
  const controllers = loadControllers();

  test('one controller per layer, top-down, each calling its hook on the hook Service', () => {
    expect(controllers.map((c) => [c.name, c.parent.kind, c.hook])).toEqual([
      ['vitess-cluster', 'VitessCluster', 'sync-cluster'],
      ['vitess-cell', 'VitessCell', 'sync-cell'],
      ['vitess-keyspace', 'VitessKeyspace', 'sync-keyspace'],
      ['vitess-shard', 'VitessShard', 'sync-shard'],
    ]);
    for (const c of controllers) {
      const webhook = (c.manifest.spec as { hooks: { sync: { webhook: { url: string } } } }).hooks.sync.webhook.url;
      expect(webhook).toBe(`http://vitess-operator-hooks.vitess-operator/${c.hook}`);
    }
  });

  test('never the rolling methods (our hooks orchestrate rollouts)', () => {
    const methods = new Set(controllers.flatMap((c) => c.children.map((child) => child.method)));
    expect([...methods].every((m) => m === 'OnDelete' || m === 'Recreate' || m === 'InPlace')).toBe(true);
  });

  test('hook versions: v2 for the cluster controller, the default v1 for the others', () => {
    expect(controllers.map((c) => c.hookVersion)).toEqual(['v2', 'v1', 'v1', 'v1']);
  });

  test('Pods and Jobs are OnDelete; the rest InPlace', () => {
    const byType = Object.fromEntries(controllers.flatMap((c) => c.children.map((child) => [`${c.name}:${child.kind}`, child.method])));
    expect(byType).toEqual({
      'vitess-cluster:Job': 'OnDelete',
      'vitess-cluster:VitessCell': 'InPlace',
      'vitess-cell:StatefulSet': 'InPlace',
      'vitess-cell:Service': 'InPlace',
      'vitess-cell:ConfigMap': 'InPlace',
      'vitess-cell:Deployment': 'InPlace',
      'vitess-cell:PodDisruptionBudget': 'InPlace',
      'vitess-cell:HorizontalPodAutoscaler': 'InPlace',
      'vitess-cell:Job': 'OnDelete',
      'vitess-cell:VitessKeyspace': 'InPlace',
      'vitess-keyspace:VitessShard': 'InPlace',
      'vitess-keyspace:Job': 'OnDelete',
      'vitess-shard:Pod': 'OnDelete',
      'vitess-shard:PersistentVolumeClaim': 'InPlace',
      'vitess-shard:PodDisruptionBudget': 'InPlace',
      'vitess-shard:Job': 'OnDelete',
      'vitess-shard:CronJob': 'InPlace',
    });
  });

  test('every controller has generateSelector false and a 60 s resync', () => {
    for (const c of controllers) {
      expect((c.manifest.spec as Record<string, unknown>).generateSelector).toBe(false);
      expect((c.manifest.spec as Record<string, unknown>).resyncPeriodSeconds).toBe(60);
    }
  });

  test('the etcd-operator component adds EtcdCluster children to vitess-cell only', () => {
    const withEtcd = loadControllers(['etcd-operator']);
    const cell = withEtcd.find((c) => c.name === 'vitess-cell');
    expect(cell?.children.at(-1)).toEqual({ apiVersion: 'etcd.database.coreos.com/v1beta2', resource: 'etcdclusters', kind: 'EtcdCluster', method: 'InPlace' });
    expect(withEtcd.filter((c) => c.name !== 'vitess-cell')).toEqual(controllers.filter((c) => c.name !== 'vitess-cell'));
  });

  test('applyComponent leaves its input untouched', () => {
    const docs = parseManifests(readFileSync(join(METACONTROLLER_DIR, 'controllers.yaml'), 'utf8'));
    const before = structuredClone(docs);
    applyComponent(docs, readFileSync(join(METACONTROLLER_DIR, 'components/etcd-operator/kustomization.yaml'), 'utf8'));
    expect(docs).toEqual(before);
  });

  test('the kustomization lists the CRDs and our four manifests', () => {
    const [kustomization] = parseManifests(readFileSync(join(METACONTROLLER_DIR, 'kustomization.yaml'), 'utf8'));
    expect(kustomization?.resources).toEqual(['../crds', 'hooks.yaml', 'rbac.yaml', 'controllers.yaml', 'observer.yaml']);
  });
});

describe('parsing', () => {
  test('hookName is the last path segment of the URL', () => {
    expect(hookName('http://svc.ns/sync-cell')).toBe('sync-cell');
    expect(hookName('https://svc.ns:8443/hooks/sync-shard/')).toBe('sync-shard');
  });

  test('an unknown resource or update method is a ManifestError', () => {
    const doc = (resource: string, method: string): string => `kind: CompositeController
metadata: {name: x}
spec:
  parentResource: {apiVersion: vitess.io/v1alpha1, resource: vitessclusters}
  childResources: [{apiVersion: v1, resource: ${resource}, updateStrategy: {method: ${method}}}]
  hooks: {sync: {webhook: {url: "http://h/sync-cluster"}}}
`;
    expect(() => parseControllers(doc('widgets', 'InPlace'))).toThrow(ManifestError);
    expect(() => parseControllers(doc('pods', 'Sideways'))).toThrow(ManifestError);
    expect(parseControllers(doc('pods', 'Recreate'))[0]?.children[0]?.method).toBe('Recreate');
  });

  test('the default update method is OnDelete and the default hook version v1', () => {
    const [c] = parseControllers(`kind: CompositeController
metadata: {name: x}
spec:
  parentResource: {apiVersion: vitess.io/v1alpha1, resource: vitessclusters}
  childResources: [{apiVersion: v1, resource: pods}]
  hooks: {sync: {webhook: {url: "http://h/sync-cluster"}}}
`);
    expect(c?.children[0]?.method).toBe('OnDelete');
    expect(c?.hookVersion).toBe('v1');
  });
});
