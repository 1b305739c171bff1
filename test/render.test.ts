import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../lib/kube/object.ts';
import { formatOutput, formatSteps, orderObjects, parseClusterYaml, render, RenderError } from '../lib/render.ts';
import { loadControllers } from '../lib/simulator/manifests.ts';
import { converge } from '../lib/simulator/simulate.ts';
import { getObject, updateObject } from '../lib/simulator/store.ts';
import { layers } from '../lib/sync/index.ts';
import { clusterController, fakeCellLayer, fakeClusterLayer } from './simulator/fakes.ts';

const FAKE_YAML = `apiVersion: vitess.io/v1alpha1
kind: VitessCluster
metadata: {name: demo}
spec:
  selector: {matchLabels: {app: demo}}
  count: 1
  pods: [p]
  cells: [a, b]
`;

function fakeRender(ready: boolean): ReturnType<typeof render> {
  return render(parseClusterYaml(FAKE_YAML), { controllers: clusterController(), layers: [fakeClusterLayer(), fakeCellLayer()], ready });
}

describe('parseClusterYaml', () => {
  test('defaults the namespace to default and keeps a given one', () => {
    expect(parseClusterYaml(FAKE_YAML).metadata.namespace).toBe('default');
    expect(parseClusterYaml(FAKE_YAML.replace('{name: demo}', '{name: demo, namespace: prod}')).metadata.namespace).toBe('prod');
  });

  test('refuses anything but exactly one VitessCluster', () => {
    expect(() => parseClusterYaml('')).toThrow(RenderError);
    expect(() => parseClusterYaml(`${FAKE_YAML}---\n${FAKE_YAML}`)).toThrow(RenderError);
    expect(() => parseClusterYaml('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n')).toThrow(RenderError);
    expect(() => parseClusterYaml('kind: [unclosed')).toThrow(RenderError);
    expect(() => parseClusterYaml('apiVersion: vitess.io/v1alpha1\nkind: VitessCluster\nmetadata: {}\n')).toThrow(RenderError);
  });
});

describe('render with fake layers', () => {
  test('json: one array, the VitessCluster first, then by owner depth, kind and name', () => {
    const { objects } = fakeRender(true);
    const parsed = JSON.parse(formatOutput(objects, 'json')) as KubeObject[];
    expect(parsed.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'VitessCluster/demo',
      'ConfigMap/cm-0',
      'Pod/p',
      'VitessCell/a',
      'VitessCell/b',
      'ConfigMap/a-cm-0',
      'ConfigMap/b-cm-0',
    ]);
  });

  test('yaml: the same objects as multi-document YAML', () => {
    const { objects } = fakeRender(true);
    const docs = parseAllDocuments(formatOutput(objects, 'yaml')).map((d) => d.toJS() as unknown);
    expect(docs).toEqual(JSON.parse(JSON.stringify(objects)) as unknown[]);
  });

  test('tree: children indented under their owners with a readiness note', () => {
    const { objects } = fakeRender(true);
    expect(formatOutput(objects, 'tree')).toBe(
      [
        'VitessCluster/demo  Ready=Unknown (not synced)',
        '  ConfigMap/cm-0',
        '  Pod/p  Running Ready',
        '  VitessCell/a  Ready=Unknown (not synced)',
        '    ConfigMap/a-cm-0',
        '  VitessCell/b  Ready=Unknown (not synced)',
        '    ConfigMap/b-cm-0',
        '',
      ].join('\n'),
    );
  });

  test('without --ready nothing becomes ready', () => {
    expect(formatOutput(fakeRender(false).objects, 'tree')).toContain('Pod/p  Pending NotReady');
  });

  test('deterministic output', () => {
    expect(formatOutput(fakeRender(true).objects, 'json')).toBe(formatOutput(fakeRender(true).objects, 'json'));
  });

  test('orderObjects does not depend on input order', () => {
    const { objects } = fakeRender(true);
    expect(orderObjects([...objects].reverse())).toEqual(objects);
  });

  test('steps list every round with who did what', () => {
    const text = formatSteps(fakeRender(true).result.steps);
    expect(text).toContain('round 0 (2024-01-01T00:00:00.000Z): 1 action(s)');
    expect(text).toContain('create          VitessCell/default/a  by VitessCluster/default/demo');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/nothing to do$/);
  });
});

describe('render with the real hooks (smoke)', () => {
  const seed = readFileSync(join(import.meta.dir, '..', 'examples', 'seed-my-vitess.yaml'), 'utf8');

  test('the seed example converges, and with --ready everything reports Ready', () => {
    const { result, objects } = render(parseClusterYaml(seed), { controllers: loadControllers(), layers, ready: true });
    expect(result.converged).toBe(true);
    expect(result.errors).toEqual([]);
    const vitess = objects.filter((o) => o.kind.startsWith('Vitess'));
    expect(vitess.length).toBeGreaterThan(4);
    expect(formatOutput(vitess, 'tree')).not.toContain('Ready=False');
  });

  test('the seed example converges without --ready too', () => {
    const { result } = render(parseClusterYaml(seed), { controllers: loadControllers(), layers, ready: false });
    expect(result.converged).toBe(true);
    expect(result.errors).toEqual([]);
  });

  test('editing the image rolls every tablet Pod, at most one per shard at a time, and ends Ready', () => {
    const options = { controllers: loadControllers(), layers, kubelet: true, maxRounds: 200 };
    const first = render(parseClusterYaml(seed), { ...options, ready: true }).result;
    const key = 'default/VitessCluster/vitess';
    const cluster = getObject(first.state, key) as KubeObject;
    const spec = JSON.parse(JSON.stringify(cluster.spec).replaceAll('vitess/lite:v2.1.1', 'vitess/lite:v21.0.0')) as unknown;
    const second = converge(updateObject(first.state, { ...cluster, spec }).state, options, first.steps);
    expect(second.converged).toBe(true);
    const pods = second.objects.filter((o) => o.kind === 'Pod');
    expect(pods.length).toBeGreaterThan(0);
    for (const pod of pods) expect(JSON.stringify(pod.spec)).not.toContain('v2.1.1');
    for (const round of second.steps.slice(first.steps.length)) {
      const deletedBy = round.actions.filter((a) => a.verb === 'delete' && a.object.startsWith('Pod/')).map((a) => a.by);
      expect(new Set(deletedBy).size).toBe(deletedBy.length);
    }
    expect(formatOutput(second.objects.filter((o) => o.kind === 'VitessCluster'), 'tree')).toContain('Ready=True');
  });
});
