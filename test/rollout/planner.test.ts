/**
 * Laws of the rollout planner, over random slots: children present or missing, on old or new
 * revisions, ready or not, gated or not, being deleted or not.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import type { KubeObject } from '../../lib/kube/object.ts';
import { heldChild, LAST_APPLIED_ANNOTATION } from '../../lib/metacontroller/hold.ts';
import { type Gate, planRollout, REVISION_ANNOTATION, type Slot } from '../../lib/rollout/planner.ts';

const RUNS = Number(process.env.FC_RUNS ?? 1000);
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const params = { numRuns: RUNS, seed: SEED };

/** The state of one child, built valid by construction. */
interface ChildState {
  presence: 'missing' | 'old' | 'new' | 'removed' | 'deleting';
  ready: boolean;
  method: 'apply' | 'replace';
  gate: 'none' | 'open' | 'pending' | 'failed';
}

const childState = fc.record<ChildState>({
  presence: fc.constantFrom('missing', 'old', 'new', 'removed', 'deleting'),
  ready: fc.boolean(),
  method: fc.constantFrom('apply', 'replace'),
  gate: fc.constantFrom('none', 'none', 'open', 'pending', 'failed'),
});

function object(name: string, revision: string, ready: boolean, extra: Record<string, unknown> = {}): KubeObject {
  const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, annotations: { [REVISION_ANNOTATION]: revision } }, data: { revision } };
  return {
    ...applied,
    metadata: {
      ...applied.metadata,
      uid: `uid-${name}`,
      resourceVersion: '7',
      annotations: { ...applied.metadata.annotations, [LAST_APPLIED_ANNOTATION]: JSON.stringify(applied) },
      ...extra,
    },
    status: { ready },
  };
}

function toSlot(state: ChildState, index: number): Slot {
  const name = `child-${index}`;
  const desired: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, annotations: { [REVISION_ANNOTATION]: 'new' } }, data: { revision: 'new' } };
  const gate: Gate | undefined = state.gate === 'none' ? undefined : { state: state.gate, prerequisites: [], message: `gate of ${name}` };
  switch (state.presence) {
    case 'missing':
      return { desired, method: state.method };
    case 'old':
      return { desired, observed: object(name, 'old', state.ready), method: state.method, gate };
    case 'new':
      return { desired, observed: object(name, 'new', state.ready), method: state.method };
    case 'removed':
      return { observed: object(name, 'old', state.ready), method: state.method, gate };
    case 'deleting':
      return { desired, observed: object(name, 'old', state.ready, { deletionTimestamp: '2026-01-01T00:00:00Z' }), method: state.method };
  }
}

const scenario = fc.record({
  states: fc.array(childState, { maxLength: 12 }),
  maxInFlight: fc.integer({ min: 1, max: 4 }),
});

const isSettled = (child: KubeObject): boolean => (child.status as { ready: boolean }).ready;

function plan(states: ChildState[], maxInFlight: number) {
  const slots = states.map(toSlot);
  return { slots, plan: planRollout(slots, { maxInFlight, isSettled }) };
}

const MOVING = new Set(['move', 'remove', 'wait-gate']);

describe('rollout planner', () => {
  test('never more in flight than allowed: children started this sync <= maxInFlight minus those already in flight', () => {
    fc.assert(
      fc.property(scenario, ({ states, maxInFlight }) => {
        const { plan: p } = plan(states, maxInFlight);
        const started = p.slots.filter((slot) => MOVING.has(slot.decision)).length;
        expect(started).toBeLessThanOrEqual(Math.max(0, maxInFlight - p.inFlight.length));
      }),
      params,
    );
  });

  test('order respected: the children that start moving come before every child still waiting', () => {
    fc.assert(
      fc.property(scenario, ({ states, maxInFlight }) => {
        const { plan: p } = plan(states, maxInFlight);
        const decisions = p.slots.map((slot) => slot.decision).filter((d) => MOVING.has(d) || d === 'hold');
        const firstHold = decisions.indexOf('hold');
        if (firstHold >= 0) expect(decisions.slice(firstHold).every((d) => d === 'hold')).toBe(true);
      }),
      params,
    );
  });

  test('a held child is answered byte for byte as it was last applied', () => {
    fc.assert(
      fc.property(scenario, ({ states, maxInFlight }) => {
        const { slots, plan: p } = plan(states, maxInFlight);
        p.slots.forEach((slot, i) => {
          if (slot.decision !== 'hold') return;
          const observed = slots[i]?.observed as KubeObject;
          const lastApplied = observed.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
          expect(JSON.stringify(slot.answer[0])).toBe(lastApplied as string);
          expect(slot.answer[0]).toEqual(heldChild(observed));
        });
      }),
      params,
    );
  });

  test('new children are created at once, whatever the rollout is doing', () => {
    fc.assert(
      fc.property(scenario, ({ states, maxInFlight }) => {
        const { slots, plan: p } = plan(states, maxInFlight);
        slots.forEach((slot, i) => {
          if (slot.observed === undefined) expect(p.slots[i]?.answer).toEqual([slot.desired as KubeObject]);
        });
      }),
      params,
    );
  });

  test('progress: when nothing is in flight and no gate blocks, the first outdated child moves', () => {
    const settledOldOrNew = fc.array(
      fc.record<ChildState>({ presence: fc.constantFrom('old', 'new'), ready: fc.constant(true), method: fc.constantFrom('apply', 'replace'), gate: fc.constantFrom('none', 'open') }),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(settledOldOrNew, fc.integer({ min: 1, max: 4 }), (states, maxInFlight) => {
        const { plan: p } = plan(states, maxInFlight);
        const firstOld = states.findIndex((s) => s.presence === 'old');
        if (firstOld >= 0) expect(p.slots[firstOld]?.decision).toBe('move');
        else expect(p.complete).toBe(true);
      }),
      params,
    );
  });

  test('a failed gate pauses the rollout: nothing after it starts moving', () => {
    fc.assert(
      fc.property(scenario, ({ states, maxInFlight }) => {
        const { plan: p } = plan(states, maxInFlight);
        const failedAt = p.slots.findIndex((slot, i) => slot.decision === 'wait-gate' && states[i]?.gate === 'failed');
        if (failedAt < 0) return;
        expect(p.paused).toBeDefined();
        expect(p.slots.slice(failedAt + 1).some((slot) => MOVING.has(slot.decision))).toBe(false);
      }),
      params,
    );
  });

  test('a child moved by replacement is left out of the answer; by apply, answered as desired', () => {
    fc.assert(
      fc.property(scenario, ({ states, maxInFlight }) => {
        const { slots, plan: p } = plan(states, maxInFlight);
        p.slots.forEach((slot, i) => {
          if (slot.decision !== 'move') return;
          const s = slots[i] as Slot;
          expect(slot.answer).toEqual(s.method === 'apply' ? [s.desired as KubeObject] : []);
        });
      }),
      params,
    );
  });

  test('determinism: the same slots give the same plan', () => {
    fc.assert(
      fc.property(scenario, ({ states, maxInFlight }) => {
        expect(JSON.stringify(plan(states, maxInFlight).plan)).toBe(JSON.stringify(plan(states, maxInFlight).plan));
      }),
      params,
    );
  });

  test('no null child is ever answered', () => {
    fc.assert(
      fc.property(scenario, ({ states, maxInFlight }) => {
        for (const child of plan(states, maxInFlight).plan.children) expect(child).not.toBeNull();
      }),
      params,
    );
  });
});
