import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { selectorMatches } from '../../lib/kube/labels.ts';
import { dnsLabel, runs } from '../arbitraries/index.ts';

const labels = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'vitess.io/cell'), fc.constantFrom('1', '2', 'x'), { maxKeys: 4 });

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
