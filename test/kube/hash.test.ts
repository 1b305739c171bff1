import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { sha256, shortHash } from '../../lib/kube/hash.ts';
import { jsonWithPermutation, runs } from '../arbitraries/index.ts';

describe('hash', () => {
  test('sha256 matches node:crypto and a known vector', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256('vitess')).toBe(createHash('sha256').update('vitess').digest('hex'));
  });
  test('shortHash: key-order-insensitive', () => {
    fc.assert(fc.property(jsonWithPermutation, ([a, b]) => shortHash(a) === shortHash(b)), runs());
  });
  test('shortHash: 10 hex digits by default, of the sorted-key JSON', () => {
    expect(shortHash({ b: 1, a: 2 })).toBe(createHash('sha256').update('{"a":2,"b":1}').digest('hex').slice(0, 10));
    expect(shortHash({ a: 1 }, 4)).toMatch(/^[0-9a-f]{4}$/);
    expect(shortHash({ a: 1 })).not.toBe(shortHash({ a: 2 }));
  });
});
