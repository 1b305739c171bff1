import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { componentSelector, identityLabels, LABEL } from '../../lib/vitess/labels.ts';
import { isLabelValue } from '../../lib/kube/names.ts';
import { anyString, runs } from '../arbitraries/index.ts';

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
