/**
 * Laws of the declarative reshard (lib/sync/reshard.ts), through the simulator, in every state it
 * passes: examples/minimal.yaml's unsharded `commerce` resharded to a random partition of the key space,
 * with one random step failing once (the user then deletes the failed Job, which retries it) and the
 * reshard taken out of the spec (cancelled) at a random round, or never.
 *
 * - the serving set always covers the whole key space: the sources until the workflow completed,
 *   the targets after, each shard present and not retired;
 * - no shard of the serving set is retired before traffic left it (switch-writes completed);
 * - nothing of the source is deleted while the workflow is not complete: its VitessShard, Pods and
 *   PVCs stay;
 * - a cancel before any switch ends with the source as it was and the targets gone; without a cancel
 *   the reshard ends Complete.
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
import { RESHARD_STEPS, type ReshardStep } from '../../lib/templates/reshard-jobs.ts';
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
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  bounds: fc.uniqueArray(fc.integer({ min: 1, max: 255 }), { minLength: 1, maxLength: 3 }).map((points) => points.sort((a, b) => a - b).map((p) => p.toString(16).padStart(2, '0'))),
  failing: fc.option(fc.constantFrom(...RESHARD_STEPS), { nil: undefined }),
  cancelAt: fc.option(fc.integer({ min: 1, max: 25 }), { nil: undefined }),
});

function targetsOf(bounds: readonly string[]): { keyRange: { start: string; end: string } }[] {
  const edges = ['', ...bounds, ''];
  return edges.slice(0, -1).map((start, i) => ({ keyRange: { start, end: edges[i + 1] as string } }));
}

const shardObject = (name: string) => `${KEYSPACE}-${shardNamePart(name)}`;
const jobDone = (objects: readonly KubeObject[], step: ReshardStep) =>
  objects.some((o) => o.kind === 'Job' && o.metadata.name === `${KEYSPACE}-reshard-${step}` && (o.status as Json | undefined)?.succeeded === 1);

function check(objects: readonly KubeObject[], targets: readonly string[]): void {
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
  if (source?.spec.retire === true) expect(jobDone(objects, 'switch-writes')).toBe(true);
  // The serving set covers the whole key space: every shard of it present and not retired.
  for (const name of complete ? targets : ['0']) {
    expect(shard(name)).toBeDefined();
    expect(shard(name)?.spec.retire).toBeUndefined();
  }
}

function play({ bounds, failing, cancelAt }: Scenario): { objects: KubeObject[]; cancelledBeforeSwitch: boolean | undefined } {
  const targets = targetsOf(bounds);
  const targetNames = targets.map((t) => `${t.keyRange.start}-${t.keyRange.end}`);
  let state = edit(base(), (spec) => (spec.keyspaces[0].reshard = { shards: targets }));
  const failingJob = failing === undefined ? undefined : `${KEYSPACE}-reshard-${failing}`;
  let failedOnce = false;
  let cancelledBeforeSwitch: boolean | undefined;
  let last = '';
  let still = 0;
  for (let round = 1; round <= 150; round++) {
    const now = new Date(START.getTime() + 3_600_000 + round * 10_000);
    if (round === cancelAt) {
      cancelledBeforeSwitch = !allObjects(state).some((o) => o.kind === 'Job' && o.metadata.name.startsWith(`${KEYSPACE}-reshard-switch-`));
      state = edit(state, (spec) => delete spec.keyspaces[0].reshard);
    }
    state = runRound(state, controllers, layers, round, now, undefined).state;
    check(allObjects(state), cancelAt !== undefined && round >= cancelAt ? [] : targetNames);
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
    check(objects, cancelAt !== undefined && round >= cancelAt ? [] : targetNames);
    const text = JSON.stringify(objects.map((o) => [o.kind, o.metadata.name, o.metadata.resourceVersion]));
    still = text === last ? still + 1 : 0;
    last = text;
    if (still >= 2 && (cancelAt === undefined || round > cancelAt)) return { objects, cancelledBeforeSwitch };
  }
  throw new Error('the reshard did not settle');
}

describe('declarative reshard laws', () => {
  test(
    'reshard: the serving set always covers the whole key space, no serving shard is retired before traffic left it, nothing of the source goes while the workflow is not complete; a cancel before the switch leaves the source as it was',
    () => {
      fc.assert(
        fc.property(scenario, (s) => {
          const { objects, cancelledBeforeSwitch } = play(s);
          if (process.env.SHOW_COUNTS) console.log('case', JSON.stringify(s), 'cancelledBeforeSwitch', cancelledBeforeSwitch, (objects.find((o) => o.kind === 'VitessKeyspace') as KubeObject & Json).status.resharding?.state);
          const keyspace = objects.find((o) => o.kind === 'VitessKeyspace') as KubeObject & Json;
          const targets = targetsOf(s.bounds).map((t) => shardObject(`${t.keyRange.start}-${t.keyRange.end}`));
          if (s.cancelAt === undefined) {
            expect(keyspace.status.resharding.state).toBe('Complete');
          } else if (cancelledBeforeSwitch === true) {
            for (const name of targets) expect(objects.some((o) => o.kind === 'VitessShard' && o.metadata.name === name)).toBe(false);
            const source = objects.find((o) => o.kind === 'VitessShard' && o.metadata.name === SOURCE) as KubeObject & Json;
            expect(source.spec.retire).toBeUndefined();
            expect(objects.filter((o) => o.kind === 'Pod' && o.metadata.ownerReferences?.some((ref) => ref.name === SOURCE))).toHaveLength(2);
          }
        }),
        runs({ numRuns: scaledRuns(0.03, 8) }),
      );
    },
    LAW_TIMEOUT_MS,
  );
});
