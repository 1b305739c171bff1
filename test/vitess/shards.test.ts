import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import type { KeyRangeSpec } from '../../lib/api/common.ts';
import { keyRangeProblems, shardName, shardNamePart, UNSHARDED } from '../../lib/vitess/shards.ts';
import { regression, runs } from '../arbitraries/index.ts';

const hex = (byte: number) => byte.toString(16).padStart(2, '0');
const range = (start: string, end: string): KeyRangeSpec => ({ start, end });

/**
 * A partition of the whole key space [0, 256): cut at sorted distinct byte points 1..255.
 * With no cut it is the single full range ('', '').
 */
const partition: fc.Arbitrary<KeyRangeSpec[]> = fc
  .uniqueArray(fc.integer({ min: 1, max: 255 }), { maxLength: 12 })
  .map((points) => {
    const bounds = ['', ...[...points].sort((a, b) => a - b).map(hex), ''];
    return bounds.slice(0, -1).map((start, i) => range(start, bounds[i + 1]!));
  });

/** A non-empty range [a, b) with a < b, either bound possibly open; upper-case hex sometimes. */
const nonEmptyRange: fc.Arbitrary<KeyRangeSpec> = fc
  .tuple(fc.integer({ min: -1, max: 255 }), fc.integer({ min: 0, max: 256 }), fc.boolean())
  .map(([a, width, upper]) => {
    const lo = a;
    const hi = Math.min(256, lo + 1 + (width % 256));
    const bound = (n: number, open: boolean) => (open ? '' : upper ? hex(n).toUpperCase() : hex(n));
    return range(bound(lo, lo < 0), bound(hi, hi >= 256));
  });

describe('shardName / shardNamePart', () => {
  test('shardName: start-end in lower case', () => {
    expect(shardName(range('', '80'))).toBe('-80');
    expect(shardName(range('80', ''))).toBe('80-');
    expect(shardName(range('40', '80'))).toBe('40-80');
    expect(shardName(range('A0', 'C0'))).toBe('a0-c0');
    expect(shardName(range('', ''))).toBe('-');
  });
  test('shardNamePart: empty bounds written x, unsharded 0 kept', () => {
    expect(shardNamePart('-80')).toBe('x-80');
    expect(shardNamePart('80-')).toBe('80-x');
    expect(shardNamePart('0')).toBe('0');
    expect(shardNamePart(UNSHARDED)).toBe('0');
    expect(shardNamePart('40-80')).toBe('40-80');
    expect(shardNamePart('-')).toBe('x-x');
  });
  test('shardNamePart: injective on key-range shard names and a valid DNS label', () => {
    fc.assert(
      fc.property(nonEmptyRange, nonEmptyRange, (a, b) => {
        const pa = shardNamePart(shardName(a));
        const pb = shardNamePart(shardName(b));
        return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(pa) && (shardName(a) === shardName(b)) === (pa === pb);
      }),
      runs(),
    );
  });
});

describe('keyRangeProblems', () => {
  test('units: the seed ranges, adjacent ranges and gaps are fine', () => {
    expect(keyRangeProblems([range('', '80'), range('80', '')])).toEqual([]);
    expect(keyRangeProblems([range('', '40'), range('40', '80'), range('80', 'c0'), range('c0', '')])).toEqual([]);
    expect(keyRangeProblems([range('', '40'), range('80', '')])).toEqual([]);
    expect(keyRangeProblems([])).toEqual([]);
    expect(keyRangeProblems([range('', '')])).toEqual([]);
  });
  test('units: overlaps name both ranges and the earlier index', () => {
    expect(keyRangeProblems([range('', '80'), range('40', '')])).toEqual([{ index: 1, message: "key range '40-' overlaps '-80' of shards[0]" }]);
    expect(keyRangeProblems([range('', ''), range('40', '80')])).toHaveLength(1);
    expect(keyRangeProblems([range('40', '80'), range('40', '80')])).toHaveLength(1);
    // Case does not matter: A0 and a0 are the same byte.
    expect(keyRangeProblems([range('80', 'C0'), range('a0', '')])).toHaveLength(1);
  });
  test('units: empty ranges', () => {
    expect(keyRangeProblems([range('80', '80')])).toEqual([{ index: 0, message: "key range '80-80' is empty: start must be below end" }]);
    expect(keyRangeProblems([range('c0', '80')])).toHaveLength(1);
    expect(keyRangeProblems([range('80', '')])).toEqual([]);
  });

  for (const [label, params] of [['random', runs()], ['regression seed', regression()]] as const) {
    test(`keyRangeProblems: a partition of [0, 256) at sorted distinct byte points has no problems (${label})`, () => {
      fc.assert(fc.property(partition, (ranges) => keyRangeProblems(ranges).length === 0), params);
    });
  }

  test('keyRangeProblems: a partition stays problem-free in any order', () => {
    fc.assert(
      fc.property(partition.chain((ranges) => fc.shuffledSubarray(ranges, { minLength: ranges.length, maxLength: ranges.length })), (ranges) => keyRangeProblems(ranges).length === 0),
      runs(),
    );
  });

  test('keyRangeProblems: adding any non-empty range to a partition (it overlaps one of them) gives a problem at the added index', () => {
    fc.assert(
      fc.property(partition, nonEmptyRange, fc.nat(), (ranges, extra, at) => {
        const position = at % (ranges.length + 1);
        const all = [...ranges.slice(0, position), extra, ...ranges.slice(position)];
        const problems = keyRangeProblems(all);
        // The added range overlaps at least one range of the partition, which covers every key.
        return problems.length > 0 && problems.every((p) => p.message.includes('overlaps')) && problems.some((p) => p.index === position || p.message.includes(`shards[${position}]`));
      }),
      runs(),
    );
  });

  test('keyRangeProblems: a range with start >= end is reported empty', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return keyRangeProblems([range(hex(hi), hex(lo))]).some((p) => p.index === 0 && p.message.includes('empty'));
      }),
      runs(),
    );
  });
});
