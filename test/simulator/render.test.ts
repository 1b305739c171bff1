import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../lib/kube/object.ts';
import { formatOutput, formatRollout, orderObjects, parseClusterYaml, parseExampleYaml, parseSavedState, render, RenderError, renderFrom } from '../../lib/simulator/render.ts';
import type { KubeletOptions } from '../../lib/simulator/kubelet.ts';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { converge } from '../../lib/simulator/simulate.ts';
import { getObject, updateObject } from '../../lib/simulator/store.ts';
import { layers } from '../../lib/sync/index.ts';
import { clusterController, fakeCellLayer, fakeClusterLayer } from './fakes.ts';

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
    expect(() => parseClusterYaml(`just text\n---\n${FAKE_YAML}`)).toThrow(RenderError);
  });

  test('an example may ship what its VitessCluster needs as other documents (issue 19 item 1)', () => {
    const priorityClass = 'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: vitess-critical}\nvalue: 1000\n';
    const text = `# Prerequisites: Secret/x\n---\n${priorityClass}---\n${FAKE_YAML}`;
    expect(parseClusterYaml(text)).toEqual(parseClusterYaml(FAKE_YAML));
    expect(parseExampleYaml(text).others.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['PriorityClass/vitess-critical']);
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
});

describe('render with the real hooks (smoke)', () => {
  const seed = readFileSync(join(import.meta.dir, '..', '..', 'examples', 'seed-my-vitess.yaml'), 'utf8');

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

describe('render --from STATE.json --steps: watching a rollout offline', () => {
  const root = join(import.meta.dir, '..', '..');
  const seedYaml = readFileSync(join(root, 'examples', 'seed-my-vitess.yaml'), 'utf8');
  const NEW_IMAGE = 'vitess/lite:v24.0.4';

  /** The seed with its tablet image (tablets.defaults.image of keyspace main) changed. */
  function editedSeed(): KubeObject {
    const cluster = parseClusterYaml(seedYaml);
    const spec = structuredClone(cluster.spec) as { keyspaces: { tablets: { defaults: { image: string } } }[] };
    (spec.keyspaces[0] as { tablets: { defaults: { image: string } } }).tablets.defaults.image = NEW_IMAGE;
    return { ...cluster, spec };
  }

  function savedSeed(ready: true | KubeletOptions = true): KubeObject[] {
    const { objects, result } = render(parseClusterYaml(seedYaml), { controllers: loadControllers(), layers, ready });
    expect(result.converged).toBe(true);
    return parseSavedState(formatOutput(objects, 'json'));
  }

  test('a saved state loads back exactly: resuming it without an edit changes nothing', () => {
    const saved = savedSeed();
    const replay = renderFrom(saved, undefined, { controllers: loadControllers(), layers, ready: true });
    expect(replay.converged).toBe(true);
    expect(replay.rounds).toBe(1);
    expect(JSON.parse(formatOutput(replay.objects, 'json'))).toEqual(JSON.parse(formatOutput(saved, 'json')));
  });

  test('with the Vitess state, the tablet image edit of the seed: one reparent per shard onto an updated replica, the primary last, the top Ready True throughout', () => {
    const replay = renderFrom(savedSeed(), editedSeed(), { controllers: loadControllers(), layers, ready: true });
    expect(replay.converged).toBe(true);
    expect(replay.errors).toEqual([]);
    const events = replay.steps.flatMap((step) => step.events.map((event) => ({ ...event, round: step.round })));
    const reparents = events.filter((e) => e.what === 'reparent-started');
    expect(reparents.map((e) => e.by).sort()).toEqual(['VitessShard/vitess-zone1-main-80-x', 'VitessShard/vitess-zone1-main-x-80']);
    for (const reparent of reparents) expect(reparent.note).toMatch(/^PlannedReparentShard onto zone1-\d{10}, for revision/);
    const leftOut = events.filter((e) => e.what === 'left-out' && e.object.startsWith('Pod/'));
    expect(leftOut.length).toBe(6);
    for (const shard of ['VitessShard/vitess-zone1-main-80-x', 'VitessShard/vitess-zone1-main-x-80']) {
      const mine = leftOut.filter((e) => e.by === shard);
      expect(mine.map((e) => e.note)).toEqual(['rdonly tablet', 'replica tablet', 'replica tablet']);
      // The tablet whose reparent Job moved the primary away is the last of its shard to restart.
      const job = reparents.find((e) => e.by === shard)?.object ?? '';
      expect(`${mine.at(-1)?.object}-reparent`).toBe(job.replace('Job/', 'Pod/'));
    }
    for (const step of replay.steps) expect(step.top.map((t) => t.ready.status)).toEqual(['True']);
    expect(replay.steps.at(-1)?.top[0]?.updated).toMatchObject({ status: 'True', reason: 'RolloutComplete' });
    expect(replay.rounds).toBeLessThan(20);
  });

  test('issue 16: the image edit of multi-cell: at most 60 rounds, one reparent per Vitess shard, every tablet before vtctld and vtorc before vtgate, the top Ready True throughout', () => {
    const text = readFileSync(join(root, 'examples', 'multi-cell.yaml'), 'utf8');
    const { objects } = render(parseClusterYaml(text), { controllers: loadControllers(), layers, ready: true });
    const edited = parseClusterYaml(text.replace('vitess: vitess/lite:v24.0.3', 'vitess: vitess/lite:v24.0.4'));
    const replay = renderFrom(parseSavedState(formatOutput(objects, 'json')), edited, { controllers: loadControllers(), layers, ready: true });
    expect(replay.converged).toBe(true);
    expect(replay.errors).toEqual([]);
    expect(replay.rounds).toBeLessThanOrEqual(60);
    const events = replay.steps.flatMap((step) => step.events.map((event) => ({ ...event, round: step.round })));
    expect(events.filter((e) => e.what === 'reparent-started').length).toBe(4);
    const tablets = events.filter((e) => e.what === 'left-out' && e.object.startsWith('Pod/'));
    expect(tablets.length).toBe(32);
    const moved = (component: string) => events.filter((e) => e.what === 'moved' && e.object.startsWith('Deployment/') && e.object.endsWith(`-${component}`)).map((e) => e.round);
    const lastTablet = Math.max(...tablets.map((e) => e.round));
    for (const component of ['vtctld', 'vtorc', 'vtgate']) expect(Math.min(...moved(component))).toBeGreaterThan(lastTablet);
    expect(Math.max(...moved('vtctld'))).toBeLessThan(Math.min(...moved('vtgate')));
    for (const step of replay.steps) expect(step.top.map((t) => t.ready.status)).toEqual(['True']);
  });

  test('without the Vitess state (the fallback), the tablet image edit of the seed: one tablet at a time, rdonly first in each shard, a reparent before each replica, Updated=True at the end', () => {
    const replay = renderFrom(savedSeed({ vitess: false }), editedSeed(), { controllers: loadControllers(), layers, ready: { vitess: false } });
    expect(replay.converged).toBe(true);
    expect(replay.errors).toEqual([]);
    expect(replay.steps[0]?.events).toEqual([{ what: 'edited', object: 'VitessCluster/vitess', by: 'user', note: 'spec replaced, generation 2' }]);
    const events = replay.steps.flatMap((step) => step.events.map((event) => ({ ...event, round: step.round })));
    const leftOut = events.filter((e) => e.what === 'left-out' && e.object.startsWith('Pod/'));
    // Every tablet of both shards restarted: 2 shards x (1 rdonly + 2 replica).
    expect(leftOut.length).toBe(6);
    expect(new Set(leftOut.map((e) => e.object)).size).toBe(6);

    // One tablet of a shard at a time (shards roll in parallel): a Pod is left out only when every Pod
    // its shard left out before it is back and Ready.
    const down = new Map<string, string>();
    for (const event of events) {
      if (event.what === 'left-out' && event.object.startsWith('Pod/')) {
        const stillDown = [...down].filter(([, shard]) => shard === event.by).map(([pod]) => pod);
        expect({ leftOut: event.object, stillDown }).toEqual({ leftOut: event.object, stillDown: [] });
        down.set(event.object, event.by);
      }
      if (event.what === 'ready') down.delete(event.object);
    }
    expect([...down]).toEqual([]);

    // rdonly first within each shard.
    const byShard = new Map<string, string[]>();
    for (const event of leftOut) byShard.set(event.by, [...(byShard.get(event.by) ?? []), event.note ?? '']);
    expect([...byShard.keys()].sort()).toEqual(['VitessShard/vitess-zone1-main-80-x', 'VitessShard/vitess-zone1-main-x-80']);
    for (const types of byShard.values()) expect(types).toEqual(['rdonly tablet', 'replica tablet', 'replica tablet']);

    // A reparent Job completes (in an earlier round) before each replica tablet Pod is left out.
    for (const event of leftOut.filter((e) => e.note === 'replica tablet')) {
      const job = `Job/${event.object.slice('Pod/'.length)}-reparent`;
      const completed = events.find((e) => e.what === 'reparent-completed' && e.object === job);
      expect({ pod: event.object, reparentCompletedBefore: completed !== undefined && completed.round < event.round }).toEqual({ pod: event.object, reparentCompletedBefore: true });
    }

    // The top ends Updated=True and Ready=True; every tablet runs the new image.
    expect(replay.steps.at(-1)?.top).toEqual([
      { object: 'VitessCluster/vitess', ready: expect.objectContaining({ status: 'True' }), updated: expect.objectContaining({ status: 'True', reason: 'RolloutComplete' }) },
    ]);
    for (const pod of replay.objects.filter((o) => o.kind === 'Pod')) expect(JSON.stringify(pod.spec)).toContain(NEW_IMAGE);

    // The printed form says the same.
    const text = formatRollout(replay.steps);
    expect(text).toMatch(/left out +Pod\/vitess-vttablet-zone1-1327744200  by VitessShard\/vitess-zone1-main-x-80  \(rdonly tablet\)/);
    expect(text).toContain('reparent completed');
    expect(text.trimEnd().split('\n').at(-1)).toBe('  top: VitessCluster/vitess Ready=True (AllChildrenReady) Updated=True (RolloutComplete)');
  });

  test('the CLI: --output json saves the state, --from replays the edit with --steps on stdout, --save writes the result', () => {
    const dir = mkdtempSync(join(tmpdir(), 'render-from-'));
    try {
      const cli = (args: string[]) => Bun.spawnSync([process.execPath, 'run', join(root, 'scripts', 'render.ts'), ...args], { cwd: root, stdout: 'pipe', stderr: 'pipe' });
      const saved = cli([join(root, 'examples', 'seed-my-vitess.yaml'), '--ready', '--output', 'json']);
      expect(saved.exitCode).toBe(0);
      writeFileSync(join(dir, 'saved.json'), saved.stdout);
      writeFileSync(join(dir, 'edited.yaml'), seedYaml.replace('defaults:\n        image: vitess/lite:v2.1.1', `defaults:\n        image: ${NEW_IMAGE}`));
      const steps = cli([join(dir, 'edited.yaml'), '--ready', '--from', join(dir, 'saved.json'), '--steps', '--save', join(dir, 'next.json')]);
      expect(steps.exitCode).toBe(0);
      const text = steps.stdout.toString();
      expect(text).toContain('edited  VitessCluster/vitess  by user  (spec replaced, generation 2)');
      expect(text).toContain('reparent Job created');
      expect(text.trimEnd().split('\n').at(-1)).toBe('  top: VitessCluster/vitess Ready=True (AllChildrenReady) Updated=True (RolloutComplete)');
      const next = parseSavedState(readFileSync(join(dir, 'next.json'), 'utf8'));
      expect(next.filter((o) => o.kind === 'Pod').every((pod) => JSON.stringify(pod.spec).includes(NEW_IMAGE))).toBe(true);
      const bad = cli(['--from', join(dir, 'edited.yaml')]);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr.toString()).toContain('not JSON');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
