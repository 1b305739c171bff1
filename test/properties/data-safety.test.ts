/**
 * Data safety of every answer (docs/design.md, "Answers that keep data safe"): an observed child the
 * answer leaves out is deleted, so
 * - no tablet PVC is left out unless volumeRetention is Delete, its tablet is beyond the pool size
 *   and its Pod is gone;
 * - an invalid spec (a user's invalid edit of the cluster: unknown cell, overlapping ranges, duplicate
 *   names, negative replicas, both spellings, a keyspace in `global`; or a lower layer's spec broken by
 *   hand) leaves out nothing and answers every observed child exactly as last applied;
 * - a removed cell, keyspace or shard that reports volumes (or has not reported yet) is kept until
 *   its name is in spec.confirmRemoval.
 * FC_RUNS scenarios (default 1000); FC_SEED replays a failure.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { type KubeObject, objectKey } from '../../lib/kube/object.ts';
import { LAST_APPLIED_ANNOTATION } from '../../lib/metacontroller/hold.ts';
import { LAW_TIMEOUT_MS, runs } from '../arbitraries/index.ts';
import { caseAt, casesOf, conditionOf, depthsOf, invalidCaseAt, LAYER_SCENARIOS, SHARED_SEED, syncBody, VITESS_KINDS } from '../arbitraries/system.ts';

const TIMEOUT_MS = LAW_TIMEOUT_MS;
const RUNS = runs({ seed: SHARED_SEED });

/** Counts the cases that exercised a law's interesting branch, so a law cannot pass vacuously. */
function exercised(counter: { n: number }): void {
  if (process.env.SHOW_COUNTS) console.log("exercised", counter.n);
  if ((RUNS.numRuns ?? 0) >= 1000) expect(counter.n).toBeGreaterThan(0);
}

describe('data safety', () => {
  test("data safety: no PVC is left out of a shard's answer unless volumeRetention is Delete, the tablet is beyond the pool size and its Pod is gone", () => {
    // Counted for SHOW_COUNTS only: PVCs the law lets go (Delete retention, tablet gone, Pod gone) are rarer.
    const deletable = { n: 0 };
    const kept = { n: 0 };
    fc.assert(
      fc.property(LAYER_SCENARIOS, (scenario) => {
        for (const c of [caseAt(scenario, 3), caseAt(scenario, 3, 'ready')]) {
          if (c === undefined) continue;
          const retention = (c.parent.spec as { tablets: { volumeRetention?: string } }).tablets.volumeRetention ?? 'Retain';
          const answered = new Set(c.answer.children.map(objectKey));
          const observedKeys = new Set(c.observed.map(objectKey));
          const desiredKeys = new Set(c.newDesired.map(objectKey));
          for (const pvc of c.observed.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.deletionTimestamp === undefined)) {
            const name = pvc.metadata.name;
            const mayGo = retention === 'Delete' && !desiredKeys.has(`Pod/${name}`) && !observedKeys.has(`Pod/${name}`);
            if (mayGo) deletable.n++;
            else {
              kept.n++;
              if (!answered.has(objectKey(pvc))) throw new Error(`PVC ${name} left out (retention ${retention}, desired Pod: ${desiredKeys.has(`Pod/${name}`)}, observed Pod: ${observedKeys.has(`Pod/${name}`)})`);
            }
          }
        }
      }),
      RUNS,
    );
    exercised(kept);
    if (process.env.SHOW_COUNTS) console.log('deletable', deletable.n);
  }, TIMEOUT_MS);

  test('data safety: an invalid spec leaves out nothing and answers every observed child byte-identical to its last-applied annotation', () => {
    fc.assert(
      fc.property(LAYER_SCENARIOS, (scenario) => {
        for (const depth of depthsOf(scenario)) {
          const c = invalidCaseAt(scenario, depth);
          if (c === undefined) continue;
          const answer = syncBody(c.body, c.kind);
          expect(conditionOf({ ...c.parent, status: answer.status } as KubeObject, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
          expect(answer.children.length).toBe(c.observed.length);
          const byKey = new Map(answer.children.map((child) => [objectKey(child), child]));
          for (const observed of c.observed) {
            const held = byKey.get(objectKey(observed));
            if (held === undefined) throw new Error(`${objectKey(observed)} left out under an invalid spec`);
            const applied = observed.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
            if (applied !== undefined) expect({ [objectKey(observed)]: JSON.stringify(held) }).toEqual({ [objectKey(observed)]: applied });
            else {
              // No record of what was applied: the observed object itself, less what the server and the controllers own.
              expect(held.spec).toEqual(observed.spec);
              expect(held.metadata.labels).toEqual(observed.metadata.labels);
              expect(held.status).toBeUndefined();
            }
          }
        }
      }),
      RUNS,
    );
  }, TIMEOUT_MS);

  test('data safety: a removed cell, keyspace or shard that reports volumes (or has not reported yet) is never deleted without confirmRemoval', () => {
    const protectedRemovals = { n: 0 };
    fc.assert(
      fc.property(LAYER_SCENARIOS, (scenario) => {
        for (const c of casesOf(scenario)) {
          const confirmed = new Set((c.parent.spec as { confirmRemoval?: string[] }).confirmRemoval ?? []);
          const desired = new Set(c.newDesired.map(objectKey));
          const answered = new Map(c.answer.children.map((child) => [objectKey(child), child]));
          for (const observed of c.observed) {
            if (!VITESS_KINDS.has(observed.kind) || desired.has(objectKey(observed)) || observed.metadata.deletionTimestamp !== undefined) continue;
            const volumes = (observed.status as { volumes?: number } | undefined)?.volumes;
            if (volumes === 0 || confirmed.has(observed.metadata.name)) continue;
            protectedRemovals.n++;
            const held = answered.get(objectKey(observed));
            if (held === undefined) throw new Error(`${objectKey(observed)} (volumes: ${volumes}) deleted without confirmRemoval`);
            expect(JSON.stringify(held)).toBe(observed.metadata.annotations?.[LAST_APPLIED_ANNOTATION] as string);
            expect(conditionOf({ ...c.parent, status: c.answer.status } as KubeObject, 'Ready')).toMatchObject({ status: 'False', reason: 'RemovalPending' });
          }
        }
      }),
      RUNS,
    );
    exercised(protectedRemovals);
  }, TIMEOUT_MS);
});
