import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { canonicalJson, jsonEqual, objectKey } from '../../lib/kube/object.ts';
import { jsonValue, jsonWithPermutation, regression, runs } from '../arbitraries/index.ts';

describe('jsonEqual', () => {
  test('jsonEqual: reflexive — jsonEqual(x, x)', () => {
    fc.assert(fc.property(jsonValue, (x) => jsonEqual(x, structuredClone(x))), runs());
  });
  test('jsonEqual: symmetric — jsonEqual(a, b) == jsonEqual(b, a)', () => {
    fc.assert(fc.property(jsonValue, jsonValue, (a, b) => jsonEqual(a, b) === jsonEqual(b, a)), runs());
  });
  for (const [label, params] of [['random', runs()], ['regression seed', regression()]] as const) {
    test(`jsonEqual: key-order-insensitive — equal to any key permutation (${label})`, () => {
      fc.assert(fc.property(jsonWithPermutation, ([a, b]) => jsonEqual(a, b)), params);
    });
  }
  test('jsonEqual: agrees with comparing JSON text of key-sorted values', () => {
    fc.assert(fc.property(jsonValue, jsonValue, (a, b) => jsonEqual(a, b) === (canonicalJson(a) === canonicalJson(b))), runs());
  });
  test('units', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual({ a: undefined }, {})).toBe(true);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
  });
});

describe('canonicalJson', () => {
  test('canonicalJson: equal for key-permuted objects', () => {
    fc.assert(fc.property(jsonWithPermutation, ([a, b]) => canonicalJson(a) === canonicalJson(b)), runs());
  });
  test('canonicalJson: round-trips — parses back to an equal value', () => {
    fc.assert(fc.property(jsonValue, (x) => jsonEqual(JSON.parse(canonicalJson(x)), x)), runs());
  });
  test('units: sorted keys at every depth, undefined dropped', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });
});

// Regression: `__proto__` is a legal JSON key (JSON.parse makes it an own property); assigned with
// `out[key] = ...` it would set the prototype instead and vanish from the canonical JSON and hash.
describe('__proto__ keys', () => {
  test('canonicalJson: keeps an own __proto__ key', () => {
    const value = JSON.parse('{"__proto__":{"x":1},"a":1}') as unknown;
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":1},"a":1}');
    expect(canonicalJson(value)).not.toBe(canonicalJson({ a: 1 }));
  });
});

describe('objectKey', () => {
  test('units', () => {
    expect(objectKey({ kind: 'Pod', metadata: { name: 'p' } })).toBe('Pod/p');
  });
});
