/**
 * Whole-system laws, round by round: a random cluster converged under the simulator (our manifests,
 * the four real hooks, Metacontroller's apply, deletion and garbage collection), then a random edit,
 * rolled out with a fake kubelet that delays readiness by 0-2 rounds per object version (seeded).
 * Every round's state before and after and its actions are recorded (test/arbitraries/system.ts), and
 * each law below reads the same memoized traces (one seed per run: SHARED_SEED, FC_SEED to replay).
 *
 * Simulations are expensive (a trace is ~20-800 ms), so these run FC_RUNS * 0.08 cases (80 by default,
 * 800 at FC_RUNS=10000). The 1,000-case forms of the same laws are the one-sync properties in
 * rollout.test.ts, data-safety.test.ts and immutability.test.ts.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { hasTrueCondition } from '../../lib/kube/conditions.ts';
import { type KubeObject, objectKey } from '../../lib/kube/object.ts';
import { isReady } from '../../lib/kube/readiness.ts';
import { REVISION_ANNOTATION } from '../../lib/rollout/planner.ts';
import { objectRef } from '../../lib/simulator/metacontroller.ts';
import { allObjects, getObject, storeKey, type ClusterState } from '../../lib/simulator/store.ts';
import { REPARENT_SPACING_MS } from '../../lib/sync/shard.ts';
import { REPARENT_FOR_ANNOTATION } from '../../lib/templates/reparent-job.ts';
import { reparentJobName } from '../../lib/vitess/names.ts';
import { LAW_TIMEOUT_MS, runs, scaledRuns } from '../arbitraries/index.ts';
import { CELL_RECORD_COMPONENT, KEYSPACE_RECORD_COMPONENT, SHARD_RECORD_COMPONENT, TABLET_RECORD_COMPONENT } from '../../lib/templates/topology-jobs.ts';
import {
  asParent,
  CLUSTER_KEY,
  clusterParent,
  conditionOf,
  desiredOf,
  expandTree,
  invalidSimScenario,
  SHARED_SEED,
  simScenario,
  type Trace,
  type TraceRound,
  traceOf,
  VITESS_KINDS,
} from '../arbitraries/system.ts';

const SIM_RUNS = runs({ seed: SHARED_SEED, numRuns: scaledRuns(0.08, 5) });
const INVALID_RUNS = runs({ seed: SHARED_SEED, numRuns: scaledRuns(0.05, 5) });
const TIMEOUT_MS = LAW_TIMEOUT_MS;
const SCENARIOS = simScenario();

/** Counts what a law actually saw, so it cannot pass vacuously (checked when there are enough runs). */
function exercised(what: string, counter: { n: number }): void {
  if ((SIM_RUNS.numRuns ?? 0) >= 40) expect({ [what]: counter.n > 0 }).toEqual({ [what]: true });
}

const revision = (o: KubeObject | undefined): string | undefined => o?.metadata.annotations?.[REVISION_ANNOTATION];
const isReparentJob = (o: KubeObject): boolean => o.metadata.annotations?.[REPARENT_FOR_ANNOTATION] !== undefined;
/**
 * A Job deleting a removed tablet's, shard's or keyspace's topology record (docs/decisions/0023): like a
 * reparent Job, a step of a child's removal rather than a child that moves.
 */
const RECORD_COMPONENTS = new Set([TABLET_RECORD_COMPONENT, SHARD_RECORD_COMPONENT, KEYSPACE_RECORD_COMPONENT, CELL_RECORD_COMPONENT]);
const isRecordJob = (o: KubeObject): boolean => o.kind === 'Job' && RECORD_COMPONENTS.has(o.metadata.labels?.['vitess.io/component'] ?? '');

/**
 * Settled (the design's definition, written out here rather than taken from lib/): Ready, and for our
 * own kinds the latest generation observed and Ready and Updated each True or waiting only for a
 * removal to be confirmed (reason RemovalPending), which no rollout can help.
 */
function settled(o: KubeObject): boolean {
  if (!VITESS_KINDS.has(o.kind)) return isReady(o);
  const status = (o.status ?? {}) as { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string }[]; tablets?: { settled?: boolean } };
  const current = o.metadata.generation === undefined || (status.observedGeneration ?? -1) >= o.metadata.generation;
  const ok = (type: string): boolean => (status.conditions ?? []).some((c) => c.type === type && (c.status === 'True' || c.reason === 'RemovalPending'));
  // A cell in the first phase of a rollout (its components held until every cell's tablets rolled,
  // docs/decisions/0017) is as far as that phase takes it once its tablets settled and it is Ready.
  const held = o.kind === 'VitessCell' && (o.spec as { rollout?: { holdComponents?: boolean } } | undefined)?.rollout?.holdComponents === true;
  // Its tablets settled, or all it waits for is a removal the user has not confirmed (which the layers
  // count as settled, so that it stalls nothing else: the regression below).
  const removalPending = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.reason === 'RemovalPending');
  if (held) return current && ok('Ready') && (status.tablets?.settled === true || removalPending);
  return current && ok('Ready') && ok('Updated');
}

function childrenOf(state: ClusterState, parent: KubeObject): Map<string, KubeObject> {
  return new Map(
    allObjects(state)
      .filter((o) => o.metadata.ownerReferences?.some((ref) => ref.controller === true && ref.uid === parent.metadata.uid) && !isReparentJob(o) && !isRecordJob(o))
      .map((o) => [objectKey(o), o]),
  );
}

function rolloutSetting(parent: KubeObject | undefined): number {
  if (parent === undefined) return 0;
  const spec = parent.spec as { rollout?: Partial<Record<string, number>> };
  const field = ({ VitessCluster: 'cells', VitessCell: 'components', VitessKeyspace: 'shards', VitessShard: 'tablets' } as Record<string, string>)[parent.kind] as string;
  return spec.rollout?.[field] ?? 1;
}

function finalState(trace: Trace): ClusterState {
  return (trace.rounds.at(-1) as TraceRound).after;
}

function vitessParents(state: ClusterState): KubeObject[] {
  return allObjects(state).filter((o) => VITESS_KINDS.has(o.kind));
}

/** A shard's desired tablet Pods (name -> desired revision and type), from its spec as it is in `state`. */
function desiredPods(shard: KubeObject): Map<string, { revision?: string; type?: string }> {
  return new Map(
    desiredOf(asParent(shard))
      .filter((o) => o.kind === 'Pod')
      .map((o) => [o.metadata.name, { revision: revision(o), type: o.metadata.labels?.['vitess.io/tablet-type'] }]),
  );
}

/** Pod deletions a shard made in a round, with the shard as it was then. */
function podDeletions(round: TraceRound): { shard: KubeObject; pod: KubeObject }[] {
  return round.actions.flatMap((action) => {
    if (action.verb !== 'delete' || !action.object.startsWith('Pod/') || !action.by.startsWith('VitessShard/')) return [];
    const [, namespace, name] = action.object.split('/');
    const [, shardNamespace, shardName] = action.by.split('/');
    const pod = getObject(round.before, `${namespace}/Pod/${name}`);
    const shard = getObject(round.after, `${shardNamespace}/VitessShard/${shardName}`);
    return pod === undefined || shard === undefined ? [] : [{ shard, pod }];
  });
}

/** The waves of a rollout: per parent, ceil(children moved or removed / its rollout setting), summed over all parents. */
function waves(trace: Trace): number {
  const before = trace.edited;
  const after = finalState(trace);
  let total = 0;
  for (const parent of vitessParents(after)) {
    const old = childrenOf(before, parent);
    const now = childrenOf(after, parent);
    let moved = 0;
    for (const [key, child] of old) {
      const next = now.get(key);
      if (next === undefined || (child.kind !== 'PersistentVolumeClaim' && revision(next) !== revision(child))) moved++;
    }
    const setting = Math.min(rolloutSetting(parent), rolloutSetting(getObject(before, storeKey(parent))) || Infinity);
    total += Math.ceil(moved / setting);
  }
  return total;
}

/**
 * The bound on rounds, derived from how the hooks move children (and checked against measurements:
 * over 400 random traces the largest `rounds - (2D+3)W - D` was 6):
 * - c = 2D + 3 rounds per wave at most, D the kubelet's largest delay. The slowest wave is a replica
 *   tablet: its reparent Job is created (1 round), completes within D, the Pod is left out (1), created
 *   anew (1) and Ready within D; the next wave starts the round after. A Deployment wave takes D + 1, a
 *   Job replaced D + 2; a Vitess child's wave is its own children's waves (counted separately) plus 2
 *   rounds for its status to reach its parent (< c).
 * - k = D + 8: an edit reaches every layer in its first round (parents sync top-down); new children
 *   are created at once at every layer and are Ready within D + 1; statuses then climb the four layers
 *   one round each; and the last, quiet round counts. 6 was measured, 2 rounds of margin.
 */
function roundBound(trace: Trace): number {
  const d = trace.scenario.maxDelay;
  return (2 * d + 3) * waves(trace) + (d + 4) * topologyRemovals(trace) + spacedReparents(trace) * Math.max(0, SPACING_ROUNDS - (2 * d + 3)) + d + 8;
}

/** The rounds of the shard layer's reparent spacing (REPARENT_SPACING_MS; a round is 10 s here). */
const SPACING_ROUNDS = Math.ceil(REPARENT_SPACING_MS / 10_000);

/**
 * Reparents that waited for the spacing after the one before in their shard (docs/decisions/0012):
 * without the Vitess state every replica tablet gets one, so a shard's second and later reparents each
 * start up to SPACING_ROUNDS after the previous one completed, longer than a wave's 2D + 3.
 */
function spacedReparents(trace: Trace): number {
  const perShard = new Map<string, number>();
  for (const round of trace.rounds) {
    for (const action of round.actions) {
      if (action.verb !== 'create' || !action.object.startsWith('Job/') || !action.object.endsWith('-reparent')) continue;
      perShard.set(action.by, (perShard.get(action.by) ?? 0) + 1);
    }
  }
  return [...perShard.values()].reduce((sum, jobs) => sum + Math.max(0, jobs - 1), 0);
}

/**
 * Removals that wait for a topology record Job (docs/decisions/0023): a removed tablet of a shard that
 * stays, and a removed shard or keyspace. Each adds d + 4 rounds to its wave: the Job is created once
 * the Pods are gone (1), completes within D, the child's status climbs (1), it is left out (1), and
 * the Job goes (1). A removed shard's tablets retire at once, within its own.
 */
function topologyRemovals(trace: Trace): number {
  const after = finalState(trace);
  const gone = (o: KubeObject): boolean => getObject(after, storeKey(o)) === undefined;
  const layers = allObjects(trace.edited).filter((o) => (o.kind === 'VitessShard' || o.kind === 'VitessKeyspace') && gone(o)).length;
  const tablets = allObjects(trace.edited).filter((o) => o.kind === 'Pod' && o.metadata.labels?.['vitess.io/tablet-uid'] !== undefined && gone(o) && o.metadata.ownerReferences?.some((ref) => allObjects(after).some((p) => p.metadata.uid === ref.uid))).length;
  return layers + tablets;
}

function describeTrace(trace: Trace): string {
  return `rounds ${trace.rounds.length}, waves ${waves(trace)}, delay <= ${trace.scenario.maxDelay}`;
}

describe('whole-system simulation', () => {
  test('convergence: a converged cluster plus a random edit reaches the new desired state, Updated=True and Ready=True at the top, within (2D+3) * waves + (D+4) * topology removals + the reparent spacing + D + 8 rounds', () => {
    fc.assert(
      fc.property(SCENARIOS, (scenario) => {
        const trace = traceOf(scenario);
        // From scratch first: the random cluster itself converges, Ready and Updated.
        expect(trace.initial.converged).toBe(true);
        const key = CLUSTER_KEY(scenario.name);
        const initialTop = getObject(trace.initial.state, key);
        expect([conditionOf(initialTop, 'Ready')?.status, conditionOf(initialTop, 'Updated')?.status]).toEqual(['True', 'True']);
        // Then the edit.
        expect({ converged: trace.converged, rounds: trace.rounds.length }).toEqual({ converged: true, rounds: expect.any(Number) });
        if (trace.rounds.length > roundBound(trace)) throw new Error(`took ${trace.rounds.length} rounds, bound ${roundBound(trace)} (${describeTrace(trace)})`);
        const state = finalState(trace);
        const top = getObject(state, key) as KubeObject;
        expect((top.status as { observedGeneration?: number }).observedGeneration).toBe(top.metadata.generation);
        const pending = vitessParents(state).flatMap((o) => ((o.status as { pendingRemovals?: string[] }).pendingRemovals ?? []).map((name) => `${o.metadata.name}: ${name}`));
        if (pending.length > 0) {
          // A removal waiting for confirmation: kept, and the top says so; everything else the edit
          // asked for still completes (checked below).
          expect({ Ready: conditionOf(top, 'Ready')?.reason, Updated: conditionOf(top, 'Updated')?.reason }).toEqual({ Ready: 'RemovalPending', Updated: 'RemovalPending' });
        } else {
          expect({ Ready: conditionOf(top, 'Ready')?.status, Updated: conditionOf(top, 'Updated')?.status }).toEqual({ Ready: 'True', Updated: 'True' });
        }
        // The desired state of the edited spec, layer by layer, is what runs (PVCs: present; they are never changed).
        const live = new Map(allObjects(state).map((o) => [`${o.kind}/${o.metadata.name}`, o]));
        for (const view of expandTree(clusterParent(scenario.name, trace.newSpec))) {
          for (const child of view.desired) {
            const running = live.get(objectKey(child));
            if (running === undefined) throw new Error(`${objectKey(child)} is desired but missing (${describeTrace(trace)})`);
            if (child.kind !== 'PersistentVolumeClaim') expect({ [objectKey(child)]: revision(running) }).toEqual({ [objectKey(child)]: revision(child) });
          }
        }
        expect(allObjects(state).filter(isReparentJob).map(objectKey)).toEqual([]);
      }),
      SIM_RUNS,
    );
  }, TIMEOUT_MS);

  /**
   * Regression (found by the convergence law above; cells global, a, m; keyspace main in a; edit:
   * remove main unconfirmed + new image): a removal waiting for confirmation used to stall every other
   * change of the edit, as its cell counted as in flight forever. A layer waiting only for that
   * confirmation now counts as settled, and the pending removal is reported up to the top.
   */
  test('convergence: a removal waiting for confirmation does not stall the rest of the rollout, and the top names it', () => {
    const stalled = fc
      .record({ name: fc.constantFrom('vitess', 'prod'), replicas: fc.integer({ min: 1, max: 3 }), delaySeed: fc.nat(), maxDelay: fc.integer({ min: 0, max: 2 }) })
      .map(({ name, replicas, delaySeed, maxDelay }) => ({
        name,
        base: {
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } } },
          cells: [{ name: 'global', etcd: {}, vtctld: {} }, { name: 'a', vtgate: {} }, { name: 'm', vtgate: {} }],
          keyspaces: [{ name: 'main', cells: ['a'], tablets: { replica: { replicas } } }],
        },
        edits: [
          { kind: 'removeKeyspace' as const, pick: 0, confirm: false },
          { kind: 'image' as const, target: 'cluster' as const, pick: 0, image: 'vitess/lite:v23.0.0' },
        ],
        delaySeed,
        maxDelay,
      }));
    fc.assert(
      fc.property(stalled, (scenario) => {
        const trace = traceOf(scenario);
        expect(trace.converged).toBe(true);
        const state = finalState(trace);
        const live = new Map(allObjects(state).map((o) => [`${o.kind}/${o.metadata.name}`, o]));
        for (const view of expandTree(clusterParent(scenario.name, trace.newSpec))) {
          for (const child of view.desired) {
            if (child.kind !== 'PersistentVolumeClaim') expect({ [objectKey(child)]: revision(live.get(objectKey(child))) }).toEqual({ [objectKey(child)]: revision(child) });
          }
        }
        expect(conditionOf(getObject(state, CLUSTER_KEY(scenario.name)), 'Updated')?.reason).toBe('RemovalPending');
      }),
      runs({ seed: SHARED_SEED, numRuns: 3 }),
    );
  }, TIMEOUT_MS);

  test('rollout (simulated): never more children in flight per parent than its rollout setting', () => {
    fc.assert(
      fc.property(SCENARIOS, (scenario) => {
        const trace = traceOf(scenario);
        const last = finalState(trace);
        for (const parent of vitessParents(last)) {
          const existing = childrenOf(trace.edited, parent);
          const kept = [...childrenOf(last, parent).keys()].filter((k) => existing.has(k));
          const before = getObject(trace.edited, storeKey(parent));
          for (const round of trace.rounds) {
            const now = childrenOf(round.after, parent);
            const busy = kept.filter((k) => now.get(k) === undefined || !settled(now.get(k) as KubeObject));
            const removed = round.actions.filter((a) => a.verb === 'delete' && a.by === objectRef(parent) && !kept.some((k) => a.object === `${k.split('/')[0]}/${parent.metadata.namespace}/${k.split('/')[1]}`));
            const removedMoves = removed.filter((a) => {
              const [kind, namespace, name] = a.object.split('/');
              const gone = getObject(round.before, `${namespace}/${kind}/${name}`);
              return gone !== undefined && !isReparentJob(gone) && !isRecordJob(gone);
            });
            const allowed = Math.max(rolloutSetting(before), rolloutSetting(getObject(round.after, storeKey(parent))));
            if (busy.length + removedMoves.length > allowed) {
              throw new Error(`round ${round.round}: ${objectRef(parent)} has ${busy.length} children in flight (${busy.join(', ')}) and removed ${removedMoves.map((a) => a.object).join(', ') || 'nothing'}; rollout setting ${allowed}`);
            }
          }
        }
      }),
      SIM_RUNS,
    );
  }, TIMEOUT_MS);

  /**
   * rdonly first: when a replica tablet Pod is left out, every rdonly tablet of the shard is on its new
   * revision (or, with a rollout setting above 1, being recreated in the same window); with a setting
   * of 1 each was also Ready before the replica moved.
   */
  test('rollout (simulated): the rdonly tablets of a shard are all updated before any replica tablet Pod moves', () => {
    const seen = { n: 0 };
    fc.assert(
      fc.property(SCENARIOS, (scenario) => {
        const trace = traceOf(scenario);
        for (const round of trace.rounds) {
          for (const { shard, pod } of podDeletions(round)) {
            if (pod.metadata.labels?.['vitess.io/tablet-type'] !== 'replica') continue;
            for (const [name, want] of desiredPods(shard)) {
              if (want.type !== 'rdonly') continue;
              seen.n++;
              const now = getObject(round.after, `${shard.metadata.namespace}/Pod/${name}`);
              if (now !== undefined || rolloutSetting(shard) === 1) {
                expect({ round: round.round, replicaMoved: pod.metadata.name, rdonly: name, revision: revision(now) }).toEqual({ round: round.round, replicaMoved: pod.metadata.name, rdonly: name, revision: want.revision });
              }
              if (rolloutSetting(shard) === 1) {
                const then = getObject(round.before, `${shard.metadata.namespace}/Pod/${name}`);
                expect({ rdonly: name, readyBeforeReplicaMoved: then !== undefined && isReady(then) }).toEqual({ rdonly: name, readyBeforeReplicaMoved: true });
              }
            }
          }
        }
      }),
      SIM_RUNS,
    );
    exercised('replica Pods moved in shards with rdonly tablets', seen);
  }, TIMEOUT_MS);

  test('rollout (simulated): a replica tablet Pod (in a shard with > 1 replica tablets) is deleted only after a completed reparent Job for its target revision', () => {
    const seen = { n: 0 };
    fc.assert(
      fc.property(SCENARIOS, (scenario) => {
        const trace = traceOf(scenario);
        for (const round of trace.rounds) {
          for (const { shard, pod } of podDeletions(round)) {
            if (pod.metadata.labels?.['vitess.io/tablet-type'] !== 'replica') continue;
            const spec = shard.spec as { tablets: { replica: { replicas: number } }; retire?: boolean };
            // A retiring shard (its removal confirmed, or holding no data) stops every tablet at once: the whole shard goes.
            if (spec.retire === true) continue;
            const replicaPods = [...childrenOf(round.before, shard).values()].filter((o) => o.kind === 'Pod' && o.metadata.labels?.['vitess.io/tablet-type'] === 'replica');
            if (Math.max(spec.tablets.replica.replicas, replicaPods.length) <= 1) continue;
            seen.n++;
            const target = desiredPods(shard).get(pod.metadata.name)?.revision ?? 'removal';
            const job = getObject(round.before, `${shard.metadata.namespace}/Job/${reparentJobName(pod.metadata.name)}`);
            expect({ round: round.round, pod: pod.metadata.name, job: job === undefined ? 'none' : { complete: hasTrueCondition(job, 'Complete'), for: job.metadata.annotations?.[REPARENT_FOR_ANNOTATION] } }).toEqual({
              round: round.round,
              pod: pod.metadata.name,
              job: { complete: true, for: target },
            });
          }
        }
      }),
      SIM_RUNS,
    );
    exercised('replica Pods moved after a reparent', seen);
  }, TIMEOUT_MS);

  test('rollout (simulated): a held child is never written: every update moves a child to a new revision', () => {
    fc.assert(
      fc.property(SCENARIOS, (scenario) => {
        const trace = traceOf(scenario);
        for (const round of trace.rounds) {
          for (const action of round.actions.filter((a) => a.verb === 'update')) {
            const [kind, namespace, name] = action.object.split('/');
            const key = `${namespace}/${kind}/${name}`;
            const before = revision(getObject(round.before, key));
            expect({ round: round.round, updated: action.object, revisionChanged: before !== revision(getObject(round.after, key)) }).toEqual({ round: round.round, updated: action.object, revisionChanged: true });
          }
        }
      }),
      SIM_RUNS,
    );
  }, TIMEOUT_MS);

  test('immutability (simulated): the API server never refuses a write and no hook ever fails, from creation through the rollout', () => {
    fc.assert(
      fc.property(SCENARIOS, (scenario) => {
        const trace = traceOf(scenario);
        const errors = [...trace.initial.steps.flatMap((s) => s.actions), ...trace.rounds.flatMap((r) => r.actions)].filter((a) => a.verb === 'error');
        expect(errors).toEqual([]);
      }),
      SIM_RUNS,
    );
  }, TIMEOUT_MS);

  test('data safety (simulated): a PVC is deleted only by a shard with volumeRetention Delete once its tablet left the pool and its Pod is gone, or with a removal named in confirmRemoval', () => {
    fc.assert(
      fc.property(SCENARIOS, (scenario) => {
        const trace = traceOf(scenario);
        const confirmed = new Set(trace.newSpec.confirmRemoval ?? []);
        for (const round of trace.rounds) {
          for (const action of round.actions) {
            if (!action.object.startsWith('PersistentVolumeClaim/') || (action.verb !== 'delete' && action.verb !== 'garbage-collect')) continue;
            const name = action.object.split('/')[2] as string;
            if (action.verb === 'delete') {
              const [, namespace, shardName] = action.by.split('/');
              const shard = getObject(round.after, `${namespace}/VitessShard/${shardName}`) as KubeObject;
              const retention = (shard.spec as { tablets: { volumeRetention?: string } }).tablets.volumeRetention;
              expect({ pvc: name, retention, desired: desiredPods(shard).has(name), podThen: getObject(round.before, `${namespace}/Pod/${name}`) !== undefined }).toEqual({
                pvc: name,
                retention: 'Delete',
                desired: false,
                podThen: false,
              });
            } else {
              // A confirmed name confirms the objects below it too (object names nest: a keyspace's shards).
              const isConfirmed = (name: string): boolean => [...confirmed].some((c) => name === c || name.startsWith(`${c}-`));
              const confirmedRemovals = round.actions.filter((a) => a.verb === 'delete' && VITESS_KINDS.has(a.object.split('/')[0] as string) && isConfirmed(a.object.split('/')[2] as string));
              if (confirmedRemovals.length === 0) throw new Error(`round ${round.round}: PVC ${name} garbage-collected without a confirmed removal`);
            }
          }
        }
      }),
      SIM_RUNS,
    );
  }, TIMEOUT_MS);

  test('data safety (simulated): an invalid edit changes nothing but statuses, and the top reports InvalidSpec', () => {
    fc.assert(
      fc.property(invalidSimScenario(), (scenario) => {
        const trace = traceOf(scenario);
        expect(trace.converged).toBe(true);
        const writes = trace.rounds.flatMap((r) => r.actions).filter((a) => a.verb !== 'status');
        expect(writes).toEqual([]);
        const strip = (o: KubeObject) => {
          const { status: _status, metadata, ...rest } = o;
          const { resourceVersion: _rv, ...meta } = metadata;
          return { ...rest, metadata: meta };
        };
        const before = allObjects(trace.edited).map(strip);
        expect(allObjects(finalState(trace)).map(strip)).toEqual(before);
        const top = getObject(finalState(trace), CLUSTER_KEY(scenario.name));
        expect(conditionOf(top, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
      }),
      INVALID_RUNS,
    );
  }, TIMEOUT_MS);
});
