import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { type Condition, type ConditionInput, condition, hasTrueCondition, stampConditions } from '../../lib/kube/conditions.ts';
import { regression, runs } from '../arbitraries/index.ts';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const status = fc.constantFrom<Condition['status']>('True', 'False', 'Unknown');
const type = fc.constantFrom('Ready', 'Updated', 'Available', 'Progressing');
const time = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2024-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());

const previousConditions: fc.Arbitrary<Condition[]> = fc.uniqueArray(
  fc.record({ type, status, reason: fc.string({ maxLength: 8 }), message: fc.string({ maxLength: 8 }), lastTransitionTime: time }),
  { selector: (c) => c.type, maxLength: 4 },
);
const nextConditions: fc.Arbitrary<ConditionInput[]> = fc.uniqueArray(
  fc.record({ type, status, reason: fc.string({ maxLength: 8 }), message: fc.string({ maxLength: 8 }) }),
  { selector: (c) => c.type, maxLength: 4 },
);

describe('stampConditions', () => {
  for (const [label, params] of [['random', runs()], ['regression seed', regression()]] as const) {
    test(`stampConditions: lastTransitionTime kept when the status is unchanged, now when changed or new (${label})`, () => {
      fc.assert(
        fc.property(previousConditions, nextConditions, (previous, next) => {
          const stamped = stampConditions(previous, next, NOW);
          expect(stamped).toHaveLength(next.length);
          stamped.forEach((c, i) => {
            const before = previous.find((p) => p.type === c.type);
            const expected = before !== undefined && before.status === c.status ? before.lastTransitionTime : '2025-03-01T12:00:00Z';
            expect(c.lastTransitionTime).toBe(expected);
            // Everything else comes from `next`, unchanged.
            expect({ type: c.type, status: c.status, reason: c.reason, message: c.message }).toEqual(next[i]!);
          });
        }),
        params,
      );
    });
  }

  test('stampConditions: second precision (metav1.Time): two stamps within one second give the same bytes', () => {
    const first = stampConditions([], [condition('Ready', true, 'R', 'm')], new Date('2025-03-01T12:00:00.120Z'));
    const second = stampConditions([], [condition('Ready', true, 'R', 'm')], new Date('2025-03-01T12:00:00.870Z'));
    expect(JSON.stringify(first)).toBe(JSON.stringify(second));
    expect(first[0]?.lastTransitionTime).toBe('2025-03-01T12:00:00Z');
  });

  test('stampConditions: idempotent — re-stamping its own output at a later time changes nothing', () => {
    fc.assert(
      fc.property(previousConditions, nextConditions, (previous, next) => {
        const once = stampConditions(previous, next, NOW);
        const twice = stampConditions(once, next, new Date('2030-01-01T00:00:00Z'));
        expect(twice).toEqual(once);
      }),
      runs(),
    );
  });

  test('units: new, unchanged, changed, no previous status', () => {
    const previous: Condition[] = [{ type: 'Ready', status: 'False', reason: 'X', message: 'x', lastTransitionTime: '2024-01-01T00:00:00.000Z' }];
    expect(stampConditions(previous, [condition('Ready', false, 'Y', 'y')], NOW)[0]?.lastTransitionTime).toBe('2024-01-01T00:00:00.000Z');
    expect(stampConditions(previous, [condition('Ready', true, 'Y', 'y')], NOW)[0]?.lastTransitionTime).toBe('2025-03-01T12:00:00Z');
    expect(stampConditions(previous, [condition('Updated', false, 'Y', 'y')], NOW)[0]?.lastTransitionTime).toBe('2025-03-01T12:00:00Z');
    expect(stampConditions(undefined, [condition('Ready', true, 'R', 'm')], NOW)).toEqual([
      { type: 'Ready', status: 'True', reason: 'R', message: 'm', lastTransitionTime: '2025-03-01T12:00:00Z' },
    ]);
  });
});

describe('condition / hasTrueCondition', () => {
  test('condition maps ok to True/False', () => {
    expect(condition('Ready', true, 'R', 'm').status).toBe('True');
    expect(condition('Ready', false, 'R', 'm').status).toBe('False');
  });
  test('hasTrueCondition finds a True condition of the type only', () => {
    expect(hasTrueCondition({ status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'Ready')).toBe(true);
    expect(hasTrueCondition({ status: { conditions: [{ type: 'Ready', status: 'False' }] } }, 'Ready')).toBe(false);
    expect(hasTrueCondition({ status: { conditions: [{ type: 'Other', status: 'True' }] } }, 'Ready')).toBe(false);
    expect(hasTrueCondition({ status: { conditions: 'nope' } }, 'Ready')).toBe(false);
    expect(hasTrueCondition({}, 'Ready')).toBe(false);
    expect(hasTrueCondition({ status: { conditions: [null, { type: 'Ready', status: 'True' }] } }, 'Ready')).toBe(true);
  });
});

describe('stampConditions with a mangled previous status', () => {
  const now = new Date('2026-02-02T00:00:00.000Z');
  const next = [{ type: 'Ready', status: 'True' as const, reason: 'R', message: 'm' }];
  for (const previous of [null, 'Ready', { type: 'Ready' }, [null], [42, { type: 'Ready', status: 'True' }]]) {
    test(`ignores ${JSON.stringify(previous)} and stamps now`, () => {
      expect(stampConditions(previous, next, now)).toEqual([{ ...next[0]!, lastTransitionTime: '2026-02-02T00:00:00Z' }]);
    });
  }
  test('keeps a valid earlier condition found among invalid ones', () => {
    const earlier = { type: 'Ready', status: 'True', reason: 'x', message: 'y', lastTransitionTime: '2025-01-01T00:00:00.000Z' };
    expect(stampConditions([null, 'x', earlier], next, now)[0]?.lastTransitionTime).toBe(earlier.lastTransitionTime);
  });
});
