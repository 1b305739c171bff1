import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { componentSelector, identityLabels, LABEL, selectorMatches } from '../../lib/kube/labels.ts';
import { isLabelValue } from '../../lib/kube/names.ts';
import { anyString, dnsLabel, runs } from '../arbitraries/index.ts';

const labels = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'vitess.io/cell'), fc.constantFrom('1', '2', 'x'), { maxKeys: 4 });

describe('identityLabels', () => {
  test('units: the seed shard -80 in zone1/main', () => {
    expect(identityLabels({ cluster: 'vitess', cell: 'zone1', keyspace: 'main', shard: '-80' })).toEqual({
      'vitess.io/cluster': 'vitess',
      'vitess.io/cell': 'zone1',
      'vitess.io/keyspace': 'main',
      'vitess.io/shard': 'x-80',
    });
    expect(identityLabels({ cluster: 'vitess', cell: 'zone1', keyspace: 'main', shard: '80-' })[LABEL.shard]).toBe('80-x');
    expect(identityLabels({ cluster: 'vitess' })).toEqual({ 'vitess.io/cluster': 'vitess' });
  });
  test('identityLabels: every value is a valid label value, every key is a vitess.io/ key', () => {
    fc.assert(
      fc.property(anyString, fc.option(anyString, { nil: undefined }), fc.option(anyString, { nil: undefined }), fc.option(anyString, { nil: undefined }), (cluster, cell, keyspace, shard) => {
        const out = identityLabels({ cluster, cell, keyspace, shard });
        return Object.entries(out).every(([k, v]) => k.startsWith('vitess.io/') && isLabelValue(v));
      }),
      runs(),
    );
  });
  test('componentSelector adds vitess.io/component', () => {
    expect(componentSelector({ cluster: 'c', cell: 'z' }, 'vtgate')).toEqual({ 'vitess.io/cluster': 'c', 'vitess.io/cell': 'z', 'vitess.io/component': 'vtgate' });
  });
});

describe('selectorMatches', () => {
  test('selectorMatches: every label set matches the empty selector', () => {
    fc.assert(fc.property(labels, (l) => selectorMatches({}, l) && selectorMatches(undefined, l)), runs());
  });
  test('selectorMatches: a label set matches any of its subsets', () => {
    fc.assert(
      fc.property(labels, fc.func(fc.boolean()), (l, keep) => selectorMatches(Object.fromEntries(Object.entries(l).filter(([k]) => keep(k))), l)),
      runs(),
    );
  });
  test('selectorMatches: fails when one selector label differs or is missing', () => {
    fc.assert(
      fc.property(labels, dnsLabel(5), (l, key) => {
        const selector = { ...l, [`zz/${key}`]: 'v' };
        return !selectorMatches(selector, l) && !selectorMatches(selector, undefined);
      }),
      runs(),
    );
    expect(selectorMatches({ app: 'vitess' }, { app: 'other' })).toBe(false);
  });
});
