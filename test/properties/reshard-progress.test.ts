/**
 * Laws of a reshard's figures in the status (lib/sync/reshard-progress.ts, docs/decisions/0025):
 * over random target sets, each target carrying a fresh record, a stale one, or none, and random
 * streams (some of the workflow, some not, lags known or not).
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import type { KubeObject } from '../../lib/kube/object.ts';
import { reshardProgress } from '../../lib/sync/reshard-progress.ts';
import { STATE_MAX_AGE_SECONDS, VITESS_STATE_ANNOTATION, type ObservedStream, vitessStateText } from '../../lib/vitess/state.ts';
import { LAW_TIMEOUT_MS, runs } from '../arbitraries/index.ts';

const RUNS = runs();
const NOW = new Date('2026-12-07T13:00:00Z');
const STATES = ['Init', 'Copying', 'Running', 'Lagging', 'Stopped', 'Error'];

const streamArb: fc.Arbitrary<ObservedStream> = fc.record(
  {
    id: fc.nat(1000),
    source: fc.constantFrom('commerce/0', 'commerce/-80', 'other/0'),
    workflow: fc.constantFrom('reshard', 'reshard', 'other'),
    state: fc.constantFrom(...STATES),
    lagSeconds: fc.nat(100_000),
    rowsCopied: fc.nat(10_000_000),
    tablesCopied: fc.nat(500),
  },
  { requiredKeys: ['id', 'source', 'workflow', 'state', 'rowsCopied', 'tablesCopied'] },
);

/** A target: a fresh record, a stale one, a state without a record, or no VitessShard at all. */
const targetArb = fc.record({ kind: fc.constantFrom('fresh', 'fresh', 'fresh', 'stale', 'none', 'absent'), age: fc.nat(STATE_MAX_AGE_SECONDS), streams: fc.array(streamArb, { maxLength: 4 }) });

interface TargetCase {
  kind: string;
  age: number;
  streams: ObservedStream[];
}

function world(targets: readonly TargetCase[]): Map<string, KubeObject> {
  const observed = new Map<string, KubeObject>();
  targets.forEach((t, i) => {
    if (t.kind === 'absent') return;
    const age = t.kind === 'stale' ? STATE_MAX_AGE_SECONDS + 1 + t.age : t.age;
    const state = { observedAt: new Date(NOW.getTime() - age * 1000).toISOString(), gates: 1, primary: 'zone1-0000000101', tablets: [], ...(t.kind === 'none' ? {} : { vreplication: { tablet: 'zone1-0000000101', streams: t.streams } }) };
    const name = `t${i}`;
    observed.set(`VitessShard/${name}`, { apiVersion: 'vitess.io/v1alpha1', kind: 'VitessShard', metadata: { name, annotations: { [VITESS_STATE_ANNOTATION]: vitessStateText(state) } }, spec: { keyspace: 'commerce', name } });
  });
  return observed;
}

describe('reshard progress laws', () => {
  test('unknown is never shown: any target without a fresh record, or no stream of the workflow, shows no figure at all', () => {
    fc.assert(
      fc.property(fc.array(targetArb, { minLength: 1, maxLength: 4 }), (targets) => {
        const progress = reshardProgress(world(targets), 'commerce', targets.map((_, i) => `t${i}`), 'reshard', NOW);
        const known = targets.every((t) => t.kind === 'fresh') && targets.some((t) => t.streams.some((s) => s.workflow === 'reshard'));
        expect(progress !== undefined).toBe(known);
      }),
      RUNS,
    );
  }, LAW_TIMEOUT_MS);

  test("the figures are the workflow's streams': rows summed, copying counted, lag the largest exactly when every lag is known", () => {
    fc.assert(
      fc.property(fc.array(targetArb.map((t): TargetCase => ({ ...t, kind: 'fresh' })), { minLength: 1, maxLength: 4 }), (targets) => {
        const progress = reshardProgress(world(targets), 'commerce', targets.map((_, i) => `t${i}`), 'reshard', NOW);
        const streams = targets.flatMap((t) => t.streams.filter((s) => s.workflow === 'reshard'));
        if (streams.length === 0) return expect(progress).toBeUndefined();
        expect(progress?.streams).toHaveLength(streams.length);
        expect(progress?.copy).toEqual({ rowsCopied: streams.reduce((sum, s) => sum + s.rowsCopied, 0), streamsCopying: streams.filter((s) => s.state === 'Init' || s.state === 'Copying').length });
        const lags = streams.map((s) => s.lagSeconds);
        expect(progress?.lagSeconds).toEqual(lags.every((l) => l !== undefined) ? Math.max(...(lags as number[])) : undefined);
      }),
      RUNS,
    );
  }, LAW_TIMEOUT_MS);
});
