import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { overlay } from '../lib/overlay.ts';
import { jsonObject, jsonValue, regression, runs } from './arbitraries/index.ts';

/**
 * Typed documents: every key has one type wherever it appears, as in a real schema
 * (`s*` scalars, `o*` nested objects, `items` name-keyed lists, `tags` scalar lists).
 * Associativity is a law of overlay only for such documents: replacing an object by a scalar and then
 * merging an object onto it cannot be associative.
 */
type Doc = { [key: string]: unknown };
const scalar = fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: -5, max: 5 }), fc.boolean(), fc.constant(null));
const scalarList = fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: 0, max: 9 })), { maxLength: 3 });

function docOfDepth(depth: number): fc.Arbitrary<Doc> {
  const leafOnly = depth <= 0;
  const nested = leafOnly ? fc.constant({}) : docOfDepth(depth - 1);
  const item = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), nested).map(([name, rest]): Doc => ({ ...rest, name }));
  return fc.record(
    {
      s1: scalar,
      s2: scalar,
      tags: scalarList,
      items: fc.uniqueArray(item, { selector: (i) => i.name, maxLength: leafOnly ? 0 : 3 }),
      o1: nested,
      o2: nested,
    },
    { requiredKeys: [] },
  );
}
const doc: fc.Arbitrary<Doc> = docOfDepth(2);

const clone = <T>(x: T): T => structuredClone(x);

describe('overlay laws', () => {
  test('overlay: right identity — overlay(x, undefined) equals x', () => {
    fc.assert(fc.property(jsonValue, (x) => expect(overlay(x, undefined)).toStrictEqual(x)), runs());
  });

  test('overlay: right identity — overlay(x, {}) equals x for objects', () => {
    fc.assert(fc.property(jsonObject, (x) => expect(overlay(x, {})).toStrictEqual(x)), runs());
  });

  test('overlay: left identity — overlay({}, y) equals y for objects', () => {
    fc.assert(fc.property(jsonObject, (y) => expect(overlay({} as Record<string, unknown>, y)).toStrictEqual(y)), runs());
  });

  test('overlay: right bias on scalars — overlay(x, s) is s for any base x', () => {
    fc.assert(fc.property(jsonValue, scalar, (x, s) => Object.is(overlay<unknown>(x, s), s)), runs());
  });

  test('overlay: idempotent — overlay(x, x) equals x for typed documents', () => {
    fc.assert(fc.property(doc, (x) => expect(overlay(x, x)).toStrictEqual(x)), runs());
  });

  for (const [label, params] of [['random', runs()], ['regression seed', regression()]] as const) {
    test(`overlay: associativity — overlay(overlay(a, b), c) equals overlay(a, overlay(b, c)) (${label})`, () => {
      fc.assert(fc.property(doc, doc, doc, (a, b, c) => expect(overlay(overlay(a, b), c)).toStrictEqual(overlay(a, overlay(b, c)))), params);
    });
  }

  test('overlay: list-map key order — base names first in base order, then new names in over order', () => {
    const names = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 6 });
    fc.assert(
      fc.property(names, names, (baseNames, overNames) => {
        const merged = overlay({ l: baseNames.map((name) => ({ name })) }, { l: overNames.map((name) => ({ name, x: 1 })) }).l.map((item) => item.name);
        return JSON.stringify(merged) === JSON.stringify([...baseNames, ...overNames.filter((n) => !baseNames.includes(n))]);
      }),
      runs(),
    );
  });

  test('overlay: a name-keyed item merges with the item of the same name, other base items stay', () => {
    fc.assert(
      fc.property(doc, doc, (x, y) => {
        const out = overlay({ l: [{ name: 'keep', v: 0 }, { ...x, name: 'both' }] }, { l: [{ ...y, name: 'both' }] });
        expect(out.l[0]).toStrictEqual({ name: 'keep', v: 0 });
        expect(out.l[1]).toStrictEqual(overlay({ ...x, name: 'both' }, { ...y, name: 'both' }));
        expect(out.l).toHaveLength(2);
      }),
      runs(),
    );
  });

  test('overlay: non-mutation — neither input changes', () => {
    fc.assert(
      fc.property(doc, doc, (a, b) => {
        const [a0, b0] = [clone(a), clone(b)];
        overlay(a, b);
        expect(a).toStrictEqual(a0);
        expect(b).toStrictEqual(b0);
      }),
      runs(),
    );
  });

  test('units: the seed tablet defaults under a pool', () => {
    const defaults = { image: 'vitess/lite:v2.1.1', volumeClaim: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '4Gi' } } } };
    const pool = { vttablet: { resources: { limits: { cpu: '500m' } } }, volumeClaim: { resources: { requests: { storage: '8Gi' } } } };
    expect(overlay<Record<string, unknown>>(defaults, pool)).toEqual({
      image: 'vitess/lite:v2.1.1',
      volumeClaim: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } } },
      vttablet: { resources: { limits: { cpu: '500m' } } },
    });
    // Scalar lists are replaced whole; undefined in over leaves the base.
    expect(overlay({ args: ['a', 'b'], x: 1 }, { args: ['c'], x: undefined })).toEqual({ args: ['c'], x: 1 });
    // Containers merge by name.
    expect(
      overlay({ containers: [{ name: 'vttablet', image: 'a' }, { name: 'mysqld', image: 'm' }] }, { containers: [{ name: 'mysqld', image: 'n' }, { name: 'side', image: 's' }] }),
    ).toEqual({ containers: [{ name: 'vttablet', image: 'a' }, { name: 'mysqld', image: 'n' }, { name: 'side', image: 's' }] });
  });
});
