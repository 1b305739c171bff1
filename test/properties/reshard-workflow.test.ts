/**
 * Laws of the declarative reshard (lib/sync/reshard.ts), through the simulator, in every state it
 * passes: examples/minimal.yaml's unsharded `commerce` resharded to a random partition of the key space,
 * with one random step failing once (the user then deletes the failed Job, which retries it), traffic
 * reversed (`traffic: source`) at a random round and maybe switched forward again later, and the
 * reshard taken out of the spec (cancelled) at a random round, or never.
 *
 * Where traffic serves is modelled as Vitess keeps it: each switch or reverse Job moves reads or
 * writes when it completes (docs/decisions/0026-reshard-reverse-traffic.md).
 *
 * - the serving set always covers the whole key space: reads and writes each serve from the source
 *   or from every target, and the shards they serve from are present and not retired;
 * - no shard of the serving set is retired before traffic left it (writes switched, then complete);
 * - complete runs only with all traffic on the targets, cancel only with all of it on the sources;
 * - a Job that moves writes back or forth is made at least vtgate's buffer window (60 s) after the
 *   previous move of writes completed;
 * - nothing of the source is deleted while the workflow is not complete: its VitessShard, Pods and
 *   PVCs stay;
 * - a cancel before complete started ends with the source as it was and the targets gone; a reverse
 *   left in place ends with the workflow held and traffic on the source unless complete ran (then,
 *   as otherwise, the reshard ends Complete).
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { kubeletStep } from '../../lib/simulator/kubelet.ts';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { deleteByUser } from '../../lib/simulator/metacontroller.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { runRound, simulate } from '../../lib/simulator/simulate.ts';
import { allObjects, type ClusterState, getObject, storeKey, updateObject, updateStatus } from '../../lib/simulator/store.ts';
import { layers } from '../../lib/sync/index.ts';
import { RESHARD_STEPS, REVERSE_STEPS, type ReshardStep } from '../../lib/templates/reshard-jobs.ts';
import { VTGATE_MIN_TIME_BETWEEN_FAILOVERS_SECONDS } from '../../lib/vitess/flags.ts';
import { shardNamePart } from '../../lib/vitess/shards.ts';
import { LAW_TIMEOUT_MS, runs, scaledRuns } from '../arbitraries/index.ts';

type Json = Record<string, any>;
const START = new Date('2026-01-01T00:00:00Z');
const controllers = loadControllers();
const KEYSPACE = 'mini-zone1-commerce';
const SOURCE = `${KEYSPACE}-0`;

const minimal = parseClusterYaml(readFileSync(join(import.meta.dir, '..', '..', 'examples', 'minimal.yaml'), 'utf8'));
let convergedMinimal: ClusterState | undefined;
function base(): ClusterState {
  if (convergedMinimal === undefined) {
    const result = simulate([minimal], { controllers, layers, kubelet: true, start: START, maxRounds: 300 });
    if (!result.converged) throw new Error('minimal did not converge');
    convergedMinimal = result.state;
  }
  return convergedMinimal;
}

function edit(state: ClusterState, change: (spec: Json) => void): ClusterState {
  const cluster = getObject(state, storeKey({ kind: 'VitessCluster', metadata: { name: 'mini', namespace: 'default' } })) as KubeObject;
  const spec = structuredClone(cluster.spec) as Json;
  change(spec);
  return updateObject(state, { ...cluster, spec }).state;
}

interface Scenario {
  bounds: string[];
  failing?: ReshardStep;
  cancelAt?: number;
  /** The round `traffic: source` is set, and the round it is set back to `target` (after it), if ever. */
  reverseAt?: number;
  forwardAt?: number;
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    bounds: fc.uniqueArray(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 3 }).map((points) => points.sort((a, b) => a - b).map((p) => p.toString(16).padStart(2, '0'))),
    failing: fc.option(fc.constantFrom(...RESHARD_STEPS, ...REVERSE_STEPS), { nil: undefined }),
    // The workflow completes in about 7 rounds when no step fails: the events fall around its switches.
    cancelAt: fc.option(fc.integer({ min: 1, max: 14 }), { nil: undefined, freq: 2 }),
    reverseAt: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined, freq: 3 }),
    forwardAfter: fc.option(fc.integer({ min: 1, max: 14 }), { nil: undefined, freq: 2 }),
  })
  .map(({ forwardAfter, ...rest }) => ({ ...rest, forwardAt: rest.reverseAt === undefined || forwardAfter === undefined ? undefined : rest.reverseAt + forwardAfter }));

/** Where Vitess serves reads and writes from, as the completed switch and reverse Jobs left it. */
interface Traffic {
  reads: 'source' | 'target';
  writes: 'source' | 'target';
  completed: boolean;
  /** Write switches undone (a reverse-writes Job that found writes on the targets). */
  writesReversed: number;
  /** When the last Job that moved writes completed (ms). */
  writesMovedAt?: number;
  /** Jobs (by uid) already applied. */
  seen: Set<string>;
}

/** Applies the Jobs completed since the last call, checking that complete and cancel ran when they may. */
function follow(traffic: Traffic, objects: readonly KubeObject[]): void {
  for (const job of objects) {
    if (job.kind !== 'Job' || !job.metadata.name.startsWith(`${KEYSPACE}-reshard-`) || (job.status as Json | undefined)?.succeeded !== 1) continue;
    const uid = job.metadata.uid ?? job.metadata.name;
    if (traffic.seen.has(uid)) continue;
    traffic.seen.add(uid);
    const step = job.metadata.name.slice(`${KEYSPACE}-reshard-`.length) as ReshardStep;
    const moves = (step === 'switch-writes' && traffic.writes === 'source') || (step === 'reverse-writes' && traffic.writes === 'target');
    if (moves) {
      // vtgate buffers a write switch only 60 s after the previous one ended: the Job moving writes was made no sooner.
      const created = Date.parse(job.metadata.creationTimestamp ?? '');
      if (traffic.writesMovedAt !== undefined) expect(created - traffic.writesMovedAt).toBeGreaterThanOrEqual(VTGATE_MIN_TIME_BETWEEN_FAILOVERS_SECONDS * 1000);
      traffic.writesMovedAt = Date.parse(String((job.status as Json).completionTime));
    }
    if (step === 'switch-reads') traffic.reads = 'target';
    if (step === 'switch-writes') traffic.writes = 'target';
    if (step === 'reverse-writes' && traffic.writes === 'target') traffic.writesReversed += 1;
    if (step === 'reverse-writes') traffic.writes = 'source';
    if (step === 'reverse-reads') traffic.reads = 'source';
    // Vitess refuses both otherwise (ErrWorkflowNotFullySwitched; ErrWorkflowDeleteWritesSwitched), and so does the cancel Job.
    if (step === 'complete') {
      expect([traffic.reads, traffic.writes]).toEqual(['target', 'target']);
      traffic.completed = true;
    }
    if (step === 'cancel') expect([traffic.reads, traffic.writes]).toEqual(['source', 'source']);
  }
}

function targetsOf(bounds: readonly string[]): { keyRange: { start: string; end: string } }[] {
  const edges = ['', ...bounds, ''];
  return edges.slice(0, -1).map((start, i) => ({ keyRange: { start, end: edges[i + 1] as string } }));
}

const shardObject = (name: string) => `${KEYSPACE}-${shardNamePart(name)}`;
const jobDone = (objects: readonly KubeObject[], step: ReshardStep) =>
  objects.some((o) => o.kind === 'Job' && o.metadata.name === `${KEYSPACE}-reshard-${step}` && (o.status as Json | undefined)?.succeeded === 1);

function check(objects: readonly KubeObject[], targets: readonly string[], traffic: Traffic): void {
  const shard = (name: string) => objects.find((o) => o.kind === 'VitessShard' && o.metadata.name === shardObject(name)) as (KubeObject & Json) | undefined;
  const complete = jobDone(objects, 'complete');
  const source = shard('0');
  // Nothing of the source is deleted while the workflow is not complete.
  expect(source).toBeDefined();
  const owned = (kind: string) => objects.filter((o) => o.kind === kind && o.metadata.ownerReferences?.some((ref) => ref.name === SOURCE));
  if (!complete) {
    expect(source?.spec.retire).toBeUndefined();
    expect(owned('Pod')).toHaveLength(2);
    expect(owned('PersistentVolumeClaim')).toHaveLength(2);
  }
  expect(owned('PersistentVolumeClaim')).toHaveLength(2);
  // No shard of the serving set is retired before traffic left it.
  if (source?.spec.retire === true) expect([traffic.writes, traffic.completed]).toEqual(['target', true]);
  // The serving set covers the whole key space: reads and writes each serve from shards present and not retired.
  for (const side of new Set([traffic.reads, traffic.writes])) {
    for (const name of side === 'target' ? targets : ['0']) {
      expect(shard(name)).toBeDefined();
      expect(shard(name)?.spec.retire).toBeUndefined();
    }
  }
}

interface Outcome {
  objects: KubeObject[];
  traffic: Traffic;
  /** Whether the cancel came before complete started (undefined: no cancel). */
  cancelledBeforeComplete: boolean | undefined;
  /** Whether the spec ends with `traffic: source` (set, and not set back). */
  sourceAtEnd: boolean;
}

function play({ bounds, failing, cancelAt, reverseAt, forwardAt }: Scenario): Outcome {
  const targets = targetsOf(bounds);
  const targetNames = targets.map((t) => `${t.keyRange.start}-${t.keyRange.end}`);
  let state = edit(base(), (spec) => (spec.keyspaces[0].reshard = { shards: targets }));
  const failingJob = failing === undefined ? undefined : `${KEYSPACE}-reshard-${failing}`;
  const traffic: Traffic = { reads: 'source', writes: 'source', completed: false, writesReversed: 0, seen: new Set() };
  const completeStarted = () => allObjects(state).some((o) => o.kind === 'Job' && o.metadata.name === `${KEYSPACE}-reshard-complete`);
  let failedOnce = false;
  let cancelledBeforeComplete: boolean | undefined;
  let sourceAtEnd = false;
  const lastEvent = Math.max(cancelAt ?? 0, reverseAt ?? 0, forwardAt ?? 0);
  let last = '';
  let still = 0;
  for (let round = 1; round <= 200; round++) {
    const now = new Date(START.getTime() + 3_600_000 + round * 10_000);
    if (round === reverseAt && cancelledBeforeComplete === undefined) {
      sourceAtEnd = true;
      state = edit(state, (spec) => (spec.keyspaces[0].reshard.traffic = 'source'));
    }
    if (round === forwardAt && cancelledBeforeComplete === undefined) {
      sourceAtEnd = false;
      state = edit(state, (spec) => (spec.keyspaces[0].reshard.traffic = 'target'));
    }
    if (round === cancelAt) {
      cancelledBeforeComplete = !completeStarted();
      state = edit(state, (spec) => delete spec.keyspaces[0].reshard);
    }
    state = runRound(state, controllers, layers, round, now, undefined).state;
    follow(traffic, allObjects(state));
    check(allObjects(state), targetNames, traffic);
    const failingKey = storeKey({ kind: 'Job', metadata: { name: failingJob ?? '', namespace: 'default' } });
    const job = failingJob === undefined ? undefined : getObject(state, failingKey);
    if (job !== undefined && (job.status as Json | undefined)?.failed === 7) {
      // The user read the reason and deleted the failed Job: the step runs again.
      state = deleteByUser(state, failingKey, now).state;
    }
    state = kubeletStep(state, round, now, { becomesReady: (o) => !(o.kind === 'Job' && o.metadata.name === failingJob && !failedOnce) }).state;
    if (job !== undefined && !failedOnce) {
      state = updateStatus(state, failingKey, { failed: 7, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }).state;
      failedOnce = true;
    }
    const objects = allObjects(state);
    follow(traffic, objects);
    check(objects, targetNames, traffic);
    const text = JSON.stringify(objects.map((o) => [o.kind, o.metadata.name, o.metadata.resourceVersion]));
    still = text === last ? still + 1 : 0;
    last = text;
    if (still >= 2 && round > lastEvent) return { objects, traffic, cancelledBeforeComplete, sourceAtEnd };
  }
  throw new Error('the reshard did not settle');
}

describe('declarative reshard laws', () => {
  test(
    'reshard, reversed and cancelled at random: the serving set always covers the whole key space, no serving shard is retired before traffic left it, complete and cancel run only with traffic wholly moved, nothing of the source goes while the workflow is not complete; a cancel before complete leaves the source as it was',
    () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { objects, traffic, cancelledBeforeComplete, sourceAtEnd } = play(s);
          const keyspace = objects.find((o) => o.kind === 'VitessKeyspace') as KubeObject & Json;
          if (process.env.SHOW_COUNTS) console.log('case', JSON.stringify(s), cancelledBeforeComplete, sourceAtEnd, keyspace.status.resharding?.state, traffic.reads, traffic.writes, 'writesReversed', traffic.writesReversed);
          const targets = targetsOf(s.bounds).map((t) => shardObject(`${t.keyRange.start}-${t.keyRange.end}`));
          const source = objects.find((o) => o.kind === 'VitessShard' && o.metadata.name === SOURCE) as KubeObject & Json;
          if (cancelledBeforeComplete === true) {
            for (const name of targets) expect(objects.some((o) => o.kind === 'VitessShard' && o.metadata.name === name)).toBe(false);
            expect(source.spec.retire).toBeUndefined();
            expect(objects.filter((o) => o.kind === 'Pod' && o.metadata.ownerReferences?.some((ref) => ref.name === SOURCE))).toHaveLength(2);
            expect([traffic.reads, traffic.writes]).toEqual(['source', 'source']);
          } else if (cancelledBeforeComplete === undefined && sourceAtEnd && !traffic.completed) {
            // traffic: source is honoured unless complete ran (a failed complete the user deleted did not).
            expect(keyspace.status.resharding.state).toBe('ServingSources');
            expect([traffic.reads, traffic.writes]).toEqual(['source', 'source']);
          } else if (cancelledBeforeComplete === undefined) {
            expect(keyspace.status.resharding.state).toBe('Complete');
            expect([traffic.reads, traffic.writes]).toEqual(['target', 'target']);
          }
        }),
        runs({ numRuns: scaledRuns(0.03, 8) }),
      );
    },
    LAW_TIMEOUT_MS,
  );
});
