/**
 * Rollout laws of one sync (docs/design.md, "Rolling updates"), at every layer on a random path of a
 * random cluster after a random edit, against a random observed state:
 * - a held child is answered byte for byte as last applied;
 * - a replica tablet Pod (in a shard with > 1 replica tablets) is left out only when a completed
 *   reparent Job for its target revision is observed;
 * - one sync never starts more moves than the rollout setting allows, minus what is already in flight;
 * - progress: whenever everything observed is Ready and the rollout is not done, the answer changes something.
 * These are the 1,000-case forms; test/properties/simulation.test.ts checks the same laws round by
 * round in whole-system simulations (fewer cases). FC_RUNS scenarios (default 1000); FC_SEED replays.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { canonicalJson, type KubeObject, objectKey } from '../../lib/kube/object.ts';
import { isReady } from '../../lib/kube/readiness.ts';
import { LAST_APPLIED_ANNOTATION } from '../../lib/metacontroller/hold.ts';
import { REVISION_ANNOTATION } from '../../lib/rollout/planner.ts';
import { REPARENT_FOR_ANNOTATION } from '../../lib/templates/reparent-job.ts';
import { reparentJobName } from '../../lib/vitess/names.ts';
import { LAW_TIMEOUT_MS, runs } from '../arbitraries/index.ts';
import { caseAt, casesOf, hasTrueCondition, type LayerCase, LAYER_SCENARIOS, NAMESPACE, SHARED_SEED, VITESS_KINDS } from '../arbitraries/system.ts';

const TIMEOUT_MS = LAW_TIMEOUT_MS;
const RUNS = runs({ seed: SHARED_SEED });

function exercised(counter: { n: number }): void {
  if (process.env.SHOW_COUNTS) console.log("exercised", counter.n);
  if ((RUNS.numRuns ?? 0) >= 1000) expect(counter.n).toBeGreaterThan(0);
}

const revision = (o: KubeObject | undefined): string | undefined => o?.metadata.annotations?.[REVISION_ANNOTATION];
const deleting = (o: KubeObject): boolean => o.metadata.deletionTimestamp !== undefined;

function withNamespace(child: KubeObject): KubeObject {
  return child.metadata.namespace === undefined ? { ...child, metadata: { ...child.metadata, namespace: NAMESPACE } } : child;
}

/** The answer is exactly what was last applied (as canonical JSON, the annotation's form). */
function isHeld(answer: KubeObject | undefined, observed: KubeObject): boolean {
  return answer !== undefined && canonicalJson(withNamespace(answer)) === observed.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
}

/** How many children of this parent may move at once: its rollout setting. */
export function rolloutSetting(parent: KubeObject): number {
  const spec = parent.spec as { rollout?: Partial<Record<'cells' | 'components' | 'shards' | 'tablets', number>> };
  const field = ({ VitessCluster: 'cells', VitessCell: 'components', VitessKeyspace: 'shards', VitessShard: 'tablets' } as const)[parent.kind as 'VitessCluster'];
  return spec.rollout?.[field] ?? 1;
}

function settled(o: KubeObject): boolean {
  return isReady(o) && (!VITESS_KINDS.has(o.kind) || hasTrueCondition(o, 'Updated'));
}

function isReplicaPod(o: KubeObject): boolean {
  return o.kind === 'Pod' && o.metadata.labels?.['vitess.io/tablet-type'] === 'replica';
}

/** Observed children that are outdated (a newer desired revision; PVCs never are) or no longer desired. */
function movable(c: LayerCase): KubeObject[] {
  const desired = new Map(c.newDesired.map((d) => [objectKey(d), d]));
  return c.observed.filter((o) => {
    // Reparent Jobs are gates of tablet moves, not moves of their own.
    if (deleting(o) || o.metadata.annotations?.[REPARENT_FOR_ANNOTATION] !== undefined) return false;
    const d = desired.get(objectKey(o));
    if (d === undefined) return true;
    return o.kind !== 'PersistentVolumeClaim' && revision(d) !== revision(o);
  });
}

/** Moves this answer starts: movable children not held, and held replica Pods whose reparent Job is being made or run. */
function started(c: LayerCase): string[] {
  const answered = new Map(c.answer.children.map((a) => [objectKey(a), a]));
  const observed = new Map(c.observed.map((o) => [objectKey(o), o]));
  return movable(c)
    .filter((o) => {
      if (!isHeld(answered.get(objectKey(o)), o)) return true;
      if (!isReplicaPod(o)) return false;
      const job = `Job/${reparentJobName(o.metadata.name)}`;
      // Waiting on its gate: a reparent Job answered that is new or not complete yet. (A Job left out
      // while its Pod is held is not a move: a Job that is not its Pod's turn is dropped, stale or not.)
      const observedJob = observed.get(job);
      return answered.has(job) && (observedJob === undefined || !isReady(observedJob));
    })
    .map(objectKey);
}

/** Children the planner certainly counts as in flight: being created, being deleted, or on the new revision and not settled. */
function surelyInFlight(c: LayerCase): number {
  const observed = new Map(c.observed.map((o) => [objectKey(o), o]));
  let n = c.observed.filter(deleting).length;
  for (const d of c.newDesired) {
    const o = observed.get(objectKey(d));
    if (o === undefined) n++;
    else if (!deleting(o) && revision(o) === revision(d) && !settled(o)) n++;
  }
  return n;
}

describe('rollout (one sync)', () => {
  test('rollout: a held child equals its last-applied state byte for byte', () => {
    const heldCount = { n: 0 };
    fc.assert(
      fc.property(LAYER_SCENARIOS, (scenario) => {
        for (const c of casesOf(scenario)) {
          const desired = new Map(c.newDesired.map((d) => [objectKey(d), d]));
          const observed = new Map(c.observed.map((o) => [objectKey(o), o]));
          for (const answer of c.answer.children) {
            const o = observed.get(objectKey(answer));
            const applied = o?.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
            // Held: answered on the observed revision while the desired one differs (or is gone); PVCs are always held.
            const isHeldAnswer = o !== undefined && revision(answer) === revision(o) && (revision(desired.get(objectKey(answer))) !== revision(o) || o.kind === 'PersistentVolumeClaim');
            if (!isHeldAnswer || applied === undefined) continue;
            heldCount.n++;
            expect({ [objectKey(answer)]: JSON.stringify(answer) }).toEqual({ [objectKey(answer)]: applied });
          }
        }
      }),
      RUNS,
    );
    exercised(heldCount);
  }, TIMEOUT_MS);

  test('rollout: a replica tablet Pod (in a shard with > 1 replica tablets) is left out only when a completed reparent Job for its target revision is observed', () => {
    const leftOut = { n: 0 };
    fc.assert(
      fc.property(LAYER_SCENARIOS, (scenario) => {
        // Random observed states, and all-Ready ones (where the rollout is free to move, so Pods do get left out).
        for (const c of [caseAt(scenario, 3), caseAt(scenario, 3, 'ready')]) {
          if (c === undefined) continue;
          const spec = c.parent.spec as { tablets: { replica: { replicas: number } } };
          const replicaPods = c.observed.filter(isReplicaPod);
          if (Math.max(spec.tablets.replica.replicas, replicaPods.length) <= 1) continue;
          const answered = new Set(c.answer.children.map(objectKey));
          const observed = new Map(c.observed.map((o) => [objectKey(o), o]));
          const desired = new Map(c.newDesired.map((d) => [objectKey(d), d]));
          for (const pod of replicaPods) {
            if (deleting(pod) || answered.has(objectKey(pod))) continue;
            leftOut.n++;
            const target = desired.has(objectKey(pod)) ? revision(desired.get(objectKey(pod))) : 'removal';
            const job = observed.get(`Job/${reparentJobName(pod.metadata.name)}`);
            expect({ pod: pod.metadata.name, job: job === undefined ? 'none' : { complete: hasTrueCondition(job, 'Complete'), for: job.metadata.annotations?.[REPARENT_FOR_ANNOTATION] } }).toEqual({
              pod: pod.metadata.name,
              job: { complete: true, for: target },
            });
          }
        }
      }),
      RUNS,
    );
    exercised(leftOut);
  }, TIMEOUT_MS);

  /**
   * rdonly first: a replica tablet never starts to move while an rdonly tablet of its shard still waits
   * on its old revision. With a rollout setting of 1 every rdonly tablet is moved and Ready first; with
   * more, the window may hold an rdonly tablet still being recreated and a replica tablet together.
   */
  test('rollout: a replica tablet starts to move (reparent or restart) only when no rdonly tablet of its shard still waits on its old revision', () => {
    const replicaMoves = { n: 0 };
    fc.assert(
      fc.property(LAYER_SCENARIOS, (scenario) => {
        for (const c of [caseAt(scenario, 3), caseAt(scenario, 3, 'ready')]) {
          if (c === undefined) continue;
          const moving = started(c).filter((key) => key.startsWith('Pod/') && c.observed.some((o) => objectKey(o) === key && isReplicaPod(o)));
          if (moving.length === 0) continue;
          replicaMoves.n++;
          const observed = new Map(c.observed.map((o) => [objectKey(o), o]));
          const rdonly = c.newDesired.filter((d) => d.kind === 'Pod' && d.metadata.labels?.['vitess.io/tablet-type'] === 'rdonly');
          const one = rolloutSetting(c.parent) === 1;
          const startedNow = new Set(started(c));
          const behind = rdonly
            .filter((d) => {
              const o = observed.get(objectKey(d));
              if (startedNow.has(objectKey(d))) return one;
              if (o === undefined || deleting(o)) return one;
              return revision(o) !== revision(d) || (one && !isReady(o));
            })
            .map(objectKey);
          expect({ replicaMoving: moving, rdonlyBehind: behind }).toEqual({ replicaMoving: moving, rdonlyBehind: [] });
        }
      }),
      RUNS,
    );
    exercised(replicaMoves);
  }, TIMEOUT_MS);

  test('rollout: one sync never starts more moves than its rollout setting minus the children already in flight', () => {
    const moving = { n: 0 };
    fc.assert(
      fc.property(LAYER_SCENARIOS, (scenario) => {
        for (const c of casesOf(scenario)) {
          const moves = started(c);
          moving.n += moves.length;
          const budget = Math.max(0, rolloutSetting(c.parent) - surelyInFlight(c));
          if (moves.length > budget) throw new Error(`${c.kind} ${c.parent.metadata.name}: ${moves.length} moves started (${moves.join(', ')}) with rollout setting ${rolloutSetting(c.parent)} and ${surelyInFlight(c)} already in flight`);
        }
      }),
      RUNS,
    );
    exercised(moving);
  }, TIMEOUT_MS);

  test('rollout: progress whenever everything observed is Ready and the rollout is not done', () => {
    const stalled = { n: 0 };
    fc.assert(
      fc.property(LAYER_SCENARIOS, (scenario) => {
        for (const c of casesOf(scenario, 'ready')) {
          const confirmed = new Set((c.parent.spec as { confirmRemoval?: string[] }).confirmRemoval ?? []);
          const retention = c.kind === 'VitessShard' ? ((c.parent.spec as { tablets: { volumeRetention?: string } }).tablets.volumeRetention ?? 'Retain') : 'Retain';
          const observed = new Map(c.observed.map((o) => [objectKey(o), o]));
          const desired = new Set(c.newDesired.map(objectKey));
          // Work left: a desired child missing or outdated, or a removal nothing forbids.
          const work =
            c.newDesired.some((d) => !observed.has(objectKey(d))) ||
            movable(c).some((o) => {
              if (desired.has(objectKey(o))) return true;
              if (VITESS_KINDS.has(o.kind)) return confirmed.has(o.metadata.name) || (o.status as { volumes?: number }).volumes === 0;
              if (o.kind === 'PersistentVolumeClaim') return retention === 'Delete' && !observed.has(`Pod/${o.metadata.name}`);
              return true;
            });
          if (!work) continue;
          // All that is left waits, by design, for the cluster's next phase: a primary (or, without the
          // Vitess state, a cell's lone replica) whose move must land on another cell's updated replica
          // (docs/decisions/0017). The layer says so; the cluster's convergence laws cover the rest.
          if ((c.answer.status as { primaryDeferred?: boolean }).primaryDeferred === true) continue;
          stalled.n++;
          const answered = new Map(c.answer.children.map((a) => [objectKey(a), a]));
          const changes =
            c.answer.children.some((a) => !observed.has(objectKey(a))) ||
            c.observed.some((o) => !answered.has(objectKey(o)) || !isHeld(answered.get(objectKey(o)), o));
          if (!changes) throw new Error(`${c.kind} ${c.parent.metadata.name}: everything observed is Ready, work is left, and the answer holds everything`);
        }
      }),
      RUNS,
    );
    exercised(stalled);
  }, TIMEOUT_MS);
});
