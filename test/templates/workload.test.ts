import { describe, expect, test } from 'bun:test';
import { selectorMatches } from '../../lib/kube/labels.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import { allObjects, containersOf, flagNames, renderTree } from './seed-tree.ts';

const tree = renderTree();
const objects = allObjects(tree);

describe('every generated object of the seed', () => {
  test('the tree has every layer: cluster, 2 cells, 1 keyspace, 2 shards', () => {
    expect(tree.map((l) => `${l.parent.kind}/${l.parent.metadata.name}`)).toEqual([
      'VitessCluster/vitess',
      'VitessCell/vitess-global',
      'VitessCell/vitess-zone1',
      'VitessKeyspace/vitess-zone1-main',
      'VitessShard/vitess-zone1-main-x-80',
      'VitessShard/vitess-zone1-main-80-x',
    ]);
  });

  test('no `_` in any flag name of any container of any generated object', () => {
    const containers = objects.flatMap((o) => containersOf(o).map((c) => ({ where: `${o.kind}/${o.metadata.name}/${c.name}`, c })));
    expect(containers.length).toBeGreaterThan(10);
    const offenders = containers.flatMap(({ where, c }) => flagNames(c).filter((n) => n.includes('_')).map((n) => `${where}: --${n}`));
    expect(offenders).toEqual([]);
  });

  test("every generated object's labels satisfy its parent's selector", () => {
    for (const { parent, children } of tree) {
      const selector = (parent.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels;
      expect(selector).toBeDefined();
      for (const child of children) {
        expect({ child: `${child.kind}/${child.metadata.name}`, ok: selectorMatches(selector, child.metadata.labels) }).toEqual({ child: `${child.kind}/${child.metadata.name}`, ok: true });
      }
    }
  });

  test('Deployment, StatefulSet and PDB selectors contain only vitess.io/* labels, and match their Pod templates', () => {
    const selected = objects.filter((o) => ['Deployment', 'StatefulSet', 'PodDisruptionBudget'].includes(o.kind));
    expect(selected.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort()).toEqual(['vitess-global-vtctld', 'vitess-zone1-vtgate', 'vitess-zone1-vtorc']);
    for (const o of selected) {
      const spec = o.spec as { selector: { matchLabels: Record<string, string> }; template?: { metadata: { labels: Record<string, string> } } };
      const keys = Object.keys(spec.selector.matchLabels);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => k.startsWith('vitess.io/'))).toBe(true);
      if (spec.template !== undefined) expect(selectorMatches(spec.selector.matchLabels, spec.template.metadata.labels)).toBe(true);
    }
  });

  test('Service selectors select the Pods of their component', () => {
    const podLabels = objects.flatMap((o): Record<string, string>[] => {
      if (o.kind === 'Pod') return [o.metadata.labels ?? {}];
      const template = (o.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template;
      return template?.metadata?.labels === undefined ? [] : [template.metadata.labels];
    });
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const selector = (service.spec as { selector: Record<string, string> }).selector;
      expect({ service: service.metadata.name, selects: podLabels.some((l) => selectorMatches(selector, l)) }).toEqual({ service: service.metadata.name, selects: true });
    }
  });

  test('every object name is a DNS-1123 label of at most 63 characters, unique per kind', () => {
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const o of objects) expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  // Fails with the vtorc image bug reported in test/api/resolve.test.ts (the seed orchestrator image reaches vtorc).
  test('no generated image is unpinned (latest)', () => {
    for (const o of objects) for (const c of containersOf(o)) expect({ where: `${o.metadata.name}/${c.name}`, image: c.image?.endsWith(':latest') }).toEqual({ where: `${o.metadata.name}/${c.name}`, image: false });
  });
});

describe('stateless components', () => {
  const deployment = (name: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as KubeObject & { spec: any };

  test('surge-first rolling update and replicas from the seed', () => {
    expect(deployment('vitess-zone1-vtgate').spec.replicas).toBe(3);
    expect(deployment('vitess-global-vtctld').spec.replicas).toBe(1);
    for (const name of ['vitess-zone1-vtgate', 'vitess-global-vtctld']) expect(deployment(name).spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  test('vtgate (3 replicas) gets a PDB; vtctld (1 replica) does not', () => {
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name);
    expect(pdbs).toContain('vitess-zone1-vtgate');
    expect(pdbs).not.toContain('vitess-global-vtctld');
  });
});
