import { describe, expect, test } from 'bun:test';
import { selectorMatches } from '../../lib/kube/labels.ts';
import { vitessChild } from '../../lib/templates/vitess-child.ts';
import { renderTree } from './seed-tree.ts';

describe('vitessChild', () => {
  test("a child's selector is its parent's selector plus its own identity, and its labels satisfy it", () => {
    const child = vitessChild('VitessShard', { cluster: 'vitess', cell: 'zone1', keyspace: 'main', shard: '-80', template: { metadata: { labels: { app: 'vitess' } } } }, { matchLabels: { app: 'vitess' } }, 'vitess-zone1-main-x-80', { name: '-80' });
    const selector = (child.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    expect(selector).toEqual({ app: 'vitess', 'vitess.io/cluster': 'vitess', 'vitess.io/cell': 'zone1', 'vitess.io/keyspace': 'main', 'vitess.io/shard': 'x-80' });
    expect(selectorMatches(selector, child.metadata.labels)).toBe(true);
    expect(child.apiVersion).toBe('vitess.io/v1alpha1');
  });

  test('down the seed tree, every selector includes its parent selector (narrows, never widens)', () => {
    for (const { parent, children } of renderTree()) {
      const parentSelector = (parent.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      for (const child of children.filter((c) => c.kind.startsWith('Vitess'))) {
        const selector = (child.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
        expect(selectorMatches(parentSelector, selector)).toBe(true);
      }
    }
  });
});
