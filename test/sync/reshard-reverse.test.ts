/**
 * Reversing a reshard's traffic by a spec edit (docs/decisions/0026-reshard-reverse-traffic.md),
 * through the keyspace hook: the seed's keyspace `main` resharding `-80` into `-40`, `40-80`, with the
 * workflow's Jobs observed in each state the reversal passes.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest, type SyncResponse } from '../../lib/metacontroller/request.ts';
import { keyspaceLayer } from '../../lib/sync/keyspace.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';

type Json = Record<string, any>;
/** A Job's state; `done` with a number: completed that many seconds before the sync. */
type JobState = 'done' | 'active' | 'failed' | number;

const KS = 'vitess-zone1-main';
const SOURCE = `${KS}-x-80`;
const TARGETS = [`${KS}-x-40`, `${KS}-40-80`] as const;
const jobName = (step: string): string => `${KS}-reshard-${step}`;

function job(step: string, state: JobState): KubeObject & Json {
  const completionTime = typeof state === 'number' ? { completionTime: new Date(FIXED_NOW.getTime() - state * 1000).toISOString() } : {};
  const status = state === 'done' || typeof state === 'number' ? { succeeded: 1, ...completionTime, conditions: [{ type: 'Complete', status: 'True' }] } : state === 'failed' ? { failed: 7, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } : { active: 1 };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName(step), namespace: 'default', labels: { 'vitess.io/component': 'reshard', 'vitess.io/reshard-step': step }, annotations: { 'vitess.io/reshard-targets': '-40,40-80' } },
    spec: {},
    status,
  };
}

/**
 * The keyspace with the reshard in its spec (`traffic`, or none: the reshard left the spec, its
 * targets with it) and these reshard Jobs observed, beside the target VitessShards.
 */
function sync(traffic: 'target' | 'source' | 'removed', jobs: Record<string, JobState>): SyncResponse {
  const body = loadJson(join(FIXTURES, 'sync-keyspace', 'seed-main-all-ready', 'request.json')) as Json;
  const shards = body.children['VitessShard.vitess.io/v1alpha1'];
  const source = shards[SOURCE];
  for (const [name, shard, keyRange] of [
    [TARGETS[0], '-40', { start: '', end: '40' }],
    [TARGETS[1], '40-80', { start: '40', end: '80' }],
  ] as const) {
    const target = structuredClone(source);
    target.metadata = { ...target.metadata, name, uid: `uid-${name}`, labels: { ...target.metadata.labels, 'vitess.io/shard': name.slice(KS.length + 1) } };
    target.spec = { ...target.spec, name: shard, keyRange, reshardTarget: true };
    shards[name] = target;
  }
  if (traffic !== 'removed') {
    body.parent.spec.shards = [...body.parent.spec.shards, { name: '-40', keyRange: { start: '', end: '40' }, reshardTarget: true }, { name: '40-80', keyRange: { start: '40', end: '80' }, reshardTarget: true }];
    body.parent.spec.reshard = { maxLagSeconds: 30, runsWorkflow: true, traffic };
  }
  body.children['Job.batch/v1'] = Object.fromEntries(Object.entries(jobs).map(([step, state]) => [jobName(step), job(step, state)]));
  return keyspaceLayer.sync(parseSyncRequest(body, 'VitessKeyspace'), { now: FIXED_NOW });
}

const jobsIn = (response: SyncResponse): string[] =>
  response.children
    .filter((c) => c.kind === 'Job' && c.metadata.name.startsWith(`${KS}-reshard-`))
    .map((c) => c.metadata.name.slice(`${KS}-reshard-`.length))
    .sort();
const resharding = (response: SyncResponse): Json => response.status.resharding as Json;
const shard = (response: SyncResponse, name: string): (KubeObject & Json) | undefined => response.children.find((c) => c.kind === 'VitessShard' && c.metadata.name === name) as (KubeObject & Json) | undefined;
const script = (response: SyncResponse, step: string): string => {
  const found = response.children.find((c) => c.kind === 'Job' && c.metadata.name === jobName(step)) as Json;
  return found.spec.template.spec.containers[0].command[2] as string;
};

const COPIED = { create: 'done', 'wait-for-copy': 'done' } as const;
const SWITCHED = { ...COPIED, 'switch-reads': 'done', 'switch-writes': 'done' } as const;

describe('traffic: source', () => {
  test('after the write switch: reverse-writes runs first, the forward Jobs stay, nothing of the source is touched', () => {
    const response = sync('source', SWITCHED);
    expect(jobsIn(response)).toEqual(['create', 'reverse-writes', 'switch-reads', 'switch-writes', 'wait-for-copy']);
    expect(script(response, 'reverse-writes')).toContain('reversetraffic --tablet-types=primary');
    expect(resharding(response)).toMatchObject({ state: 'Reversing', step: 'reverse-writes', sources: ['-80'], targets: ['-40', '40-80'] });
    expect(shard(response, SOURCE)?.spec.retire).toBeUndefined();
  });

  test('writes reversed: reverse-reads runs', () => {
    const response = sync('source', { ...SWITCHED, 'reverse-writes': 'done' });
    expect(jobsIn(response)).toContain('reverse-reads');
    expect(script(response, 'reverse-reads')).toContain('reversetraffic --tablet-types=rdonly,replica');
    expect(resharding(response)).toMatchObject({ state: 'Reversing', step: 'reverse-reads' });
  });

  test('both reversed: the forward switch Jobs go (a later switch runs them again), the workflow is held, complete never runs', () => {
    const response = sync('source', { ...SWITCHED, 'reverse-writes': 'done', 'reverse-reads': 'done' });
    expect(jobsIn(response)).toEqual(['create', 'reverse-reads', 'reverse-writes', 'wait-for-copy']);
    expect(resharding(response)).toMatchObject({ state: 'ServingSources', step: 'reverse-reads' });
    expect(shard(response, SOURCE)?.spec.retire).toBeUndefined();
    expect(sync('source', { ...COPIED, 'reverse-writes': 'done', 'reverse-reads': 'done' }).children.some((c) => c.metadata.name === jobName('complete'))).toBe(false);
  });

  test('a switch under way finishes first: it is answered as it is and no reverse Job starts', () => {
    const response = sync('source', { ...COPIED, 'switch-reads': 'done', 'switch-writes': 'active' });
    expect(jobsIn(response)).toEqual(['create', 'switch-reads', 'switch-writes', 'wait-for-copy']);
    expect(resharding(response)).toMatchObject({ state: 'Reversing', step: 'switch-writes' });
  });

  test('before any switch: the reverse steps still run (each a no-op when Vitess says nothing was switched), then the workflow holds', () => {
    expect(jobsIn(sync('source', COPIED))).toEqual(['create', 'reverse-writes', 'wait-for-copy']);
    expect(resharding(sync('source', { ...COPIED, 'reverse-writes': 'done', 'reverse-reads': 'done' })).state).toBe('ServingSources');
  });

  test('a failed reverse step stops there and says why', () => {
    const response = sync('source', { ...SWITCHED, 'reverse-writes': 'failed' });
    expect(resharding(response)).toMatchObject({ state: 'Failed', step: 'reverse-writes' });
    expect(jobsIn(response)).not.toContain('reverse-reads');
  });

  test('once complete started it is too late: the reshard completes and says traffic: source is not honoured', () => {
    const response = sync('source', { ...SWITCHED, complete: 'active' });
    expect(jobsIn(response)).toEqual(['complete', 'create', 'switch-reads', 'switch-writes', 'wait-for-copy']);
    expect(resharding(response).message).toContain('not honoured');
  });
});

describe('traffic: target again', () => {
  test("after a reversal: the reversal's Jobs go first, no switch starts in the same answer", () => {
    const response = sync('target', { ...COPIED, 'reverse-writes': 'done', 'reverse-reads': 'done' });
    expect(jobsIn(response)).toEqual(['create', 'wait-for-copy']);
    expect(resharding(response)).toMatchObject({ state: 'Running', step: 'switch-reads' });
  });

  test('forward switch Jobs from before the reversal go with them (they no longer say where traffic is)', () => {
    expect(jobsIn(sync('target', { ...SWITCHED, 'reverse-writes': 'done' }))).toEqual(['create', 'wait-for-copy']);
  });

  test('a reverse step under way finishes first', () => {
    const response = sync('target', { ...SWITCHED, 'reverse-writes': 'done', 'reverse-reads': 'active' });
    expect(jobsIn(response)).toEqual(['create', 'reverse-reads', 'wait-for-copy']);
    expect(resharding(response).message).toContain('reverse-reads');
  });

  test('then the switches run again from switch-reads', () => {
    expect(jobsIn(sync('target', COPIED))).toEqual(['create', 'switch-reads', 'wait-for-copy']);
  });
});

describe('removing reshard after a switch: reverse, then cancel', () => {
  test('writes switched: reverse-writes runs, the targets are held as they are', () => {
    const response = sync('removed', SWITCHED);
    expect(jobsIn(response)).toEqual(['create', 'reverse-writes', 'switch-reads', 'switch-writes', 'wait-for-copy']);
    expect(resharding(response)).toMatchObject({ state: 'Reversing', step: 'reverse-writes', targets: ['-40', '40-80'] });
    for (const target of TARGETS) expect(shard(response, target)).toBeDefined();
  });

  test('reads switched only: both reverse steps run (reverse-writes is a no-op), then the cancel', () => {
    const reads = { ...COPIED, 'switch-reads': 'done' } as const;
    expect(jobsIn(sync('removed', reads))).toContain('reverse-writes');
    expect(jobsIn(sync('removed', { ...reads, 'reverse-writes': 'done' }))).toContain('reverse-reads');
    const cancelling = sync('removed', { ...reads, 'reverse-writes': 'done', 'reverse-reads': 'done' });
    expect(jobsIn(cancelling)).toContain('cancel');
    expect(resharding(cancelling).state).toBe('Cancelling');
    expect(script(cancelling, 'cancel')).toContain('ReadsNotSwitched.WritesNotSwitched');
  });

  test('a switch under way finishes before reversing', () => {
    expect(resharding(sync('removed', { ...COPIED, 'switch-reads': 'active' }))).toMatchObject({ state: 'Reversing', step: 'switch-reads' });
  });

  test('cancelled after the reversal: the targets leave, the source serves as before', () => {
    const response = sync('removed', { ...SWITCHED, 'reverse-writes': 'done', 'reverse-reads': 'done', cancel: 'done' });
    expect(resharding(response).state).toBe('Cancelled');
    expect(shard(response, SOURCE)?.spec.retire).toBeUndefined();
  });

  test('once complete started it cannot be cancelled: the targets are kept', () => {
    const response = sync('removed', { ...SWITCHED, complete: 'done' });
    expect(resharding(response).state).toBe('CannotCancel');
    expect(jobsIn(response)).not.toContain('reverse-writes');
    for (const target of TARGETS) expect(shard(response, target)).toBeDefined();
  });
});

describe("write switches spaced by vtgate's buffer window (--buffer-min-time-between-failovers, 60 s)", () => {
  const updated = (response: SyncResponse) => (response.status.conditions as Json[]).find((c) => c.type === 'Updated');

  test('traffic: source 20 s after the write switch: reverse-writes waits 40 s more (Updated=False, so the hook comes back within 10 s)', () => {
    const response = sync('source', { ...COPIED, 'switch-reads': 100, 'switch-writes': 20 });
    expect(jobsIn(response)).not.toContain('reverse-writes');
    expect(resharding(response)).toMatchObject({ state: 'Reversing', step: 'reverse-writes' });
    expect(resharding(response).message).toContain('waiting 40 s');
    expect(updated(response)?.status).toBe('False');
    expect(response.resyncAfterSeconds).toBeLessThanOrEqual(10);
    expect(jobsIn(sync('source', { ...COPIED, 'switch-reads': 100, 'switch-writes': 61 }))).toContain('reverse-writes');
  });

  test('traffic: target 30 s after writes were reversed: the reversal Jobs stay, no switch starts until 60 s passed', () => {
    const waiting = sync('target', { ...COPIED, 'reverse-writes': 30, 'reverse-reads': 20 });
    expect(jobsIn(waiting)).toEqual(['create', 'reverse-reads', 'reverse-writes', 'wait-for-copy']);
    expect(resharding(waiting).message).toContain('waiting 30 s');
    expect(jobsIn(sync('target', { ...COPIED, 'reverse-writes': 60, 'reverse-reads': 50 }))).toEqual(['create', 'wait-for-copy']);
  });

  test('a cancel right after the write switch waits before reversing writes', () => {
    const response = sync('removed', { ...COPIED, 'switch-reads': 100, 'switch-writes': 5 });
    expect(jobsIn(response)).not.toContain('reverse-writes');
    expect(resharding(response)).toMatchObject({ state: 'Reversing', step: 'reverse-writes' });
    expect(resharding(response).message).toContain('waiting 55 s');
    for (const target of TARGETS) expect(shard(response, target)).toBeDefined();
  });
});
