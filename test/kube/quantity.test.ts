import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { compareQuantities, quantityValue } from '../../lib/kube/quantity.ts';
import { runs } from '../arbitraries/index.ts';

describe('quantityValue', () => {
  test('binary and decimal suffixes, fractions, exponents, plain numbers', () => {
    expect(quantityValue('4Gi')).toBe(4 * 2 ** 30);
    expect(quantityValue('4096Mi')).toBe(4 * 2 ** 30);
    expect(quantityValue('500M')).toBe(5e8);
    expect(quantityValue('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(quantityValue('500m')).toBe(0.5);
    expect(quantityValue('1e3')).toBe(1000);
    expect(quantityValue(10)).toBe(10);
  });

  test('what is not a quantity is undefined, and compares to nothing', () => {
    expect(quantityValue('4 GB')).toBeUndefined();
    expect(quantityValue('Gi')).toBeUndefined();
    expect(quantityValue(undefined)).toBeUndefined();
    expect(compareQuantities('4Gi', 'lots')).toBeUndefined();
  });
});

const UNITS = [['Ki', 2 ** 10], ['Mi', 2 ** 20], ['Gi', 2 ** 30], ['k', 1e3], ['M', 1e6], ['G', 1e9], ['', 1]] as const;
const quantity = fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(...UNITS)).map(([n, [suffix, scale]]) => ({ text: `${n}${suffix}`, value: n * scale }));

describe('compareQuantities laws', () => {
  test('agrees with the byte counts, whatever the spellings (so 4096Mi equals 4Gi, and a volume never looks smaller than it is)', () => {
    fc.assert(
      fc.property(quantity, quantity, (a, b) => {
        expect(compareQuantities(a.text, b.text)).toBe(Math.sign(a.value - b.value) as -1 | 0 | 1);
      }),
      runs(),
    );
  });

  test('antisymmetric', () => {
    fc.assert(
      fc.property(quantity, quantity, (a, b) => {
        expect((compareQuantities(a.text, b.text) ?? Number.NaN) + (compareQuantities(b.text, a.text) ?? Number.NaN)).toBe(0);
      }),
      runs(),
    );
  });
});
