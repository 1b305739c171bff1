import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { DNS_LABEL_MAX, isDnsLabel, isLabelValue, labelValue, objectName, STATEFULSET_NAME_MAX } from '../../lib/kube/names.ts';
import { anyString, dnsLabel, regression, runs } from '../arbitraries/index.ts';

// Kubernetes' own rules, written out here independently of lib/kube/names.ts.
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const validName = (name: string, max = 63) => name.length >= 1 && name.length <= max && DNS_1123_LABEL.test(name);
const validLabelValue = (value: string) => value.length <= 63 && LABEL_VALUE.test(value);

const parts = fc.array(anyString, { minLength: 0, maxLength: 4 });
const limit = fc.constantFrom(DNS_LABEL_MAX, STATEFULSET_NAME_MAX, 20);

describe('objectName', () => {
  for (const [label, params] of [['random', runs()], ['regression seed', regression()]] as const) {
    test(`objectName: always a valid DNS-1123 label within the limit (${label})`, () => {
      fc.assert(
        fc.property(parts, limit, (input, max) => validName(objectName(input, max), max)),
        params,
      );
    });
  }

  test('objectName: deterministic — the same parts give the same name', () => {
    fc.assert(fc.property(parts, (input) => objectName(input) === objectName([...input])), runs());
  });

  test('objectName: identity on short valid names — joined valid labels are kept unchanged', () => {
    // At most 4 parts of at most 12 characters: at most 51 characters joined, always within 63.
    fc.assert(fc.property(fc.array(dnsLabel(12), { minLength: 1, maxLength: 4 }), (input) => objectName(input) === input.join('-')), runs());
  });

  test('objectName: distinct long inputs sharing a 60-char prefix give distinct names', () => {
    fc.assert(
      fc.property(dnsLabel(60).map((s) => s.padEnd(60, 'a')), dnsLabel(10), dnsLabel(10), (prefix, a, b) => {
        // Build two distinct suffixes by construction.
        const x = `${a}`;
        const y = `${a}${b}`;
        const one = objectName([prefix, x]);
        const two = objectName([prefix, y]);
        return one !== two && validName(one) && validName(two);
      }),
      runs(),
    );
  });

  test('objectName: a too-long name keeps a readable prefix and ends in 8 hex of the sha256 of the parts', () => {
    const longPart = 'a'.repeat(70);
    const name = objectName(['vitess', longPart]);
    const expectedSuffix = createHash('sha256').update(`vitess/${longPart}`).digest('hex').slice(0, 8);
    expect(name).toHaveLength(63);
    expect(name.startsWith('vitess-aaaa')).toBe(true);
    expect(name.endsWith(`-${expectedSuffix}`)).toBe(true);
  });

  test('objectName: seed names unchanged', () => {
    expect(objectName(['vitess', 'zone1'])).toBe('vitess-zone1');
    expect(objectName(['vitess-zone1', 'main'])).toBe('vitess-zone1-main');
    expect(objectName(['vitess', 'vttablet', 'zone1', '0123456789'])).toBe('vitess-vttablet-zone1-0123456789');
  });

  test('objectName: empty or all-invalid input still gives a valid name', () => {
    for (const input of [[], [''], ['---'], ['_'], ['日本'], ['-', '-']]) expect(validName(objectName(input))).toBe(true);
  });

  // BUG (reported): a name changed only by lower-casing or by replacing invalid characters is not
  // hashed, so it collides with the valid name it was mapped to. Keyspace names may contain '_'
  // (lib/api/cluster.ts), so keyspaces `my_ks` and `my-ks` get the same VitessKeyspace object.
  test('objectName: injective on single parts — a sanitized name never collides with the valid name it became', () => {
    expect(objectName(['my_ks'])).not.toBe(objectName(['my-ks']));
    expect(objectName(['vitess-zone1', 'my_ks'])).not.toBe(objectName(['vitess-zone1', 'my-ks']));
    expect(objectName(['Main'])).not.toBe(objectName(['main']));
  });
});

describe('labelValue', () => {
  for (const [label, params] of [['random', runs()], ['regression seed', regression()]] as const) {
    test(`labelValue: always a valid label value of at most 63 characters (${label})`, () => {
      fc.assert(fc.property(anyString, (input) => validLabelValue(labelValue(input))), params);
    });
  }

  test('labelValue: deterministic', () => {
    fc.assert(fc.property(anyString, (input) => labelValue(input) === labelValue(`${input}`)), runs());
  });

  test('labelValue: identity on valid label values', () => {
    const valid = fc.oneof(
      dnsLabel(63),
      fc.string({ unit: fc.constantFrom(...'aZ09._-'.split('')), maxLength: 61 }).map((s) => `A${s}9`),
    );
    fc.assert(fc.property(valid, (value) => labelValue(value) === value), runs());
  });

  test('labelValue: distinct long inputs sharing a 60-char prefix give distinct values', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'B', '.', '_'), minLength: 60, maxLength: 60 }), anyString, (prefix, rest) => {
        const one = labelValue(`${prefix}1${rest}`);
        const two = labelValue(`${prefix}2${rest}`);
        return one !== two;
      }),
      runs(),
    );
  });

  test('labelValue: examples', () => {
    expect(labelValue('x-80')).toBe('x-80');
    expect(labelValue('-80')).toMatch(/^80-[0-9a-f]{8}$/);
    expect(labelValue('')).toBe('');
    const long = labelValue('k'.repeat(100));
    expect(long).toHaveLength(63);
    expect(long.endsWith(createHash('sha256').update('k'.repeat(100)).digest('hex').slice(0, 8))).toBe(true);
  });
});

describe('isDnsLabel / isLabelValue', () => {
  test('isDnsLabel agrees with the Kubernetes rule', () => {
    fc.assert(fc.property(anyString, (s) => isDnsLabel(s) === validName(s)), runs());
  });
  test('isLabelValue agrees with the Kubernetes rule', () => {
    fc.assert(fc.property(anyString, (s) => isLabelValue(s) === validLabelValue(s)), runs());
  });
  test('examples', () => {
    expect(isDnsLabel('a'.repeat(63))).toBe(true);
    expect(isDnsLabel('a'.repeat(64))).toBe(false);
    expect(isDnsLabel('-a')).toBe(false);
    expect(isDnsLabel('A')).toBe(false);
    expect(isLabelValue('A_b.c')).toBe(true);
    expect(isLabelValue('_a')).toBe(false);
  });
});
