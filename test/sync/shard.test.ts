/**
 * sync-shard's volume expansion, filesystem-resize restarts and tablet PDB, on golden requests
 * edited by hand (each test says what it changes).
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest, type SyncResponse } from '../../lib/metacontroller/request.ts';
import { shardLayer } from '../../lib/sync/shard.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';

type Request = { parent: KubeObject & { spec: Record<string, any> }; children: Record<string, Record<string, KubeObject & Record<string, any>>> };
const request = (name: string): Request => loadJson(join(FIXTURES, 'sync-shard', name, 'request.json')) as Request;
const sync = (body: Request, now = FIXED_NOW): SyncResponse => shardLayer.sync(parseSyncRequest(body, 'VitessShard'), { now });
const child = (response: SyncResponse, kind: string, name: string) => response.children.find((c) => c.kind === kind && c.metadata.name === name) as (KubeObject & Record<string, any>) | undefined;
const condition = (response: SyncResponse, type: string) => (response.status.conditions as { type: string; status: string; reason: string; message: string }[]).find((c) => c.type === type);

const RDONLY = 'vitess-vttablet-zone1-1327744200';
const REPLICA = 'vitess-vttablet-zone1-0214747900';

function withStorage(body: Request, storage: string): Request {
  for (const pool of ['replica', 'rdonly']) body.parent.spec.tablets[pool].volumeClaim = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } };
  return body;
}

/** The claim of `name` observed with a pending filesystem resize since `since`. */
function resizePending(body: Request, name: string, since: string): Request {
  const claim = body.children['PersistentVolumeClaim.v1']![name]!;
  claim.status = { ...claim.status, capacity: { storage: '4Gi' }, conditions: [{ type: 'FileSystemResizePending', status: 'True', lastTransitionTime: since }] };
  return body;
}

describe('volume expansion', () => {
  test('a larger size is asked of every existing claim at once, and reported until the claims have it', () => {
    const response = sync(withStorage(request('seed-x-80-all-ready'), '6Gi'));
    for (const name of [RDONLY, REPLICA]) expect(child(response, 'PersistentVolumeClaim', name)?.spec.resources.requests.storage).toBe('6Gi');
    const expansions = response.status.volumeExpansion as { name: string; state: string }[];
    expect(expansions.map((e) => e.state)).toEqual(['requested', 'requested', 'requested']);
    expect(condition(response, 'Updated')).toMatchObject({ status: 'False', reason: 'RollingOut' });
    expect(condition(response, 'Updated')?.message).toContain('allowVolumeExpansion');
    expect(response.resyncAfterSeconds).toBe(10);
    // No tablet restarts for it: the Pods are answered as they are.
    expect(child(response, 'Pod', RDONLY)).toBeDefined();
    expect(child(response, 'Pod', REPLICA)).toBeDefined();
  });

  test('the same size in another spelling (4096Mi = 4Gi) changes nothing', () => {
    const response = sync(withStorage(request('seed-x-80-all-ready'), '4096Mi'));
    expect(child(response, 'PersistentVolumeClaim', RDONLY)?.spec.resources.requests.storage).toBe('4Gi');
    expect(response.status.volumeExpansion).toBeUndefined();
    expect(response.status.notApplied).toBeUndefined();
    expect(condition(response, 'Updated')?.status).toBe('True');
  });

  test('a smaller size is refused: the claims keep theirs, and notApplied names each', () => {
    const response = sync(withStorage(request('seed-x-80-all-ready'), '3Gi'));
    expect(child(response, 'PersistentVolumeClaim', RDONLY)?.spec.resources.requests.storage).toBe('4Gi');
    expect(response.status.notApplied).toContain(`PersistentVolumeClaim/${RDONLY}: spec.resources.requests.storage stays 4Gi, larger than the 3Gi asked: a volume cannot shrink`);
  });

  test('a claim grown by hand beyond the spec is never asked to shrink back', () => {
    const body = request('seed-x-80-all-ready');
    const claim = body.children['PersistentVolumeClaim.v1']![RDONLY]!;
    claim.spec = { ...claim.spec, resources: { requests: { storage: '50Gi' } } };
    const response = sync(withStorage(body, '6Gi'));
    // Answered as last applied (4Gi): the apply merge leaves the live 50Gi alone, as desired equals last applied.
    expect(child(response, 'PersistentVolumeClaim', RDONLY)?.spec.resources.requests.storage).toBe('4Gi');
    expect(child(response, 'PersistentVolumeClaim', REPLICA)?.spec.resources.requests.storage).toBe('6Gi');
  });
});

describe('filesystem resize on restart', () => {
  const since = '2026-01-01T01:00:00Z';
  const afterGrace = new Date('2026-01-01T01:02:00Z');

  test('within the grace period the tablet waits for an online resize', () => {
    const response = sync(resizePending(request('seed-x-80-all-ready'), RDONLY, since), new Date('2026-01-01T01:01:00Z'));
    expect(child(response, 'Pod', RDONLY)).toBeDefined();
    expect((response.status.rollout as { message: string }).message).toContain('for the kubelet to grow the filesystem');
  });

  test('after it, an rdonly tablet that started before the resize is restarted (its Pod left out)', () => {
    const response = sync(resizePending(request('seed-x-80-all-ready'), RDONLY, since), afterGrace);
    expect(child(response, 'Pod', RDONLY)).toBeUndefined();
    expect(child(response, 'PersistentVolumeClaim', RDONLY)).toBeDefined();
  });

  test('a replica tablet first gets its PlannedReparentShard Job', () => {
    const response = sync(resizePending(request('seed-x-80-all-ready'), REPLICA, since), afterGrace);
    expect(child(response, 'Pod', REPLICA)).toBeDefined();
    expect(child(response, 'Job', `${REPLICA}-reparent`)).toBeDefined();
  });

  test('a Pod created after the resize became pending is not restarted again (it mounted the grown volume)', () => {
    const body = resizePending(request('seed-x-80-all-ready'), RDONLY, since);
    body.children['Pod.v1']![RDONLY]!.metadata.creationTimestamp = '2026-01-01T01:01:30Z';
    const response = sync(body, afterGrace);
    expect(child(response, 'Pod', RDONLY)).toBeDefined();
    expect((response.status.volumeExpansion as { state: string }[])[0]?.state).toBe('filesystem-resize-pending');
  });

  test('without a lastTransitionTime nothing restarts (no way to tell whether the Pod already mounted it)', () => {
    const body = resizePending(request('seed-x-80-all-ready'), RDONLY, since);
    delete body.children['PersistentVolumeClaim.v1']![RDONLY]!.status.conditions[0].lastTransitionTime;
    expect(child(sync(body, afterGrace), 'Pod', RDONLY)).toBeDefined();
  });
});

describe("the shard's tablet PDB", () => {
  test('at most one tablet of the shard unavailable, selecting every tablet of the shard in the cell', () => {
    const budget = child(sync(request('seed-x-80-all-ready')), 'PodDisruptionBudget', 'vitess-zone1-main-x-80');
    expect(budget?.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'vitess.io/cluster': 'vitess', 'vitess.io/cell': 'zone1', 'vitess.io/keyspace': 'main', 'vitess.io/shard': 'x-80', 'vitess.io/component': 'vttablet' } },
    });
  });

  test('none with a single tablet (it could only block drains or protect nothing), and an observed one goes', () => {
    const body = request('seed-x-80-all-ready');
    body.parent.spec.tablets.replica.replicas = 1;
    body.parent.spec.tablets.rdonly.replicas = 0;
    const response = sync(body);
    expect(response.children.some((c) => c.kind === 'PodDisruptionBudget')).toBe(false);
  });
});

test('a pending (unbound) claim is not asked to grow: the API server refuses a size change before it is bound', () => {
  const body = withStorage(request('seed-x-80-all-ready'), '6Gi');
  body.children['PersistentVolumeClaim.v1']![RDONLY]!.status = { phase: 'Pending' };
  const response = sync(body);
  expect(child(response, 'PersistentVolumeClaim', RDONLY)?.spec.resources.requests.storage).toBe('4Gi');
  expect(child(response, 'PersistentVolumeClaim', REPLICA)?.spec.resources.requests.storage).toBe('6Gi');
  expect((response.status.volumeExpansion as { name: string; state: string }[]).find((e) => e.name === RDONLY)?.state).toBe('waiting-for-bind');
});

describe('reparents spaced by vtgate --buffer-min-time-between-failovers', () => {
  const REPLICA_1 = 'vitess-vttablet-zone1-0214747901';
  /** Mid-rollout: the first replica tablet restarted on its new revision; its reparent Job completed `ago` ms before FIXED_NOW. */
  function firstReplicaDone(agoMs: number): Request {
    const body = request('seed-x-80-reparent-complete-restarts-tablet');
    const job = body.children['Job.batch/v1']![`${REPLICA}-reparent`]!;
    const pod = body.children['Pod.v1']![REPLICA]!;
    pod.metadata.annotations = { ...pod.metadata.annotations, 'vitess.io/revision': job.metadata.annotations!['vitess.io/reparent-for']! };
    job.status = { ...job.status, completionTime: new Date(FIXED_NOW.getTime() - agoMs).toISOString() };
    return body;
  }

  test('10 s after the last reparent: no Job for the next replica yet, the last Job kept, and the rollout says how long it waits', () => {
    const response = sync(firstReplicaDone(10_000));
    expect(child(response, 'Job', `${REPLICA_1}-reparent`)).toBeUndefined();
    expect(child(response, 'Pod', REPLICA_1)).toBeDefined();
    expect(child(response, 'Job', `${REPLICA}-reparent`)).toBeDefined();
    expect((response.status.rollout as { message: string }).message).toContain('waiting 60s before the next reparent: vtgate buffers one failover per shard per 60s');
    expect(response.status.unclassified).toBeUndefined();
    expect(response.resyncAfterSeconds).toBe(10);
  });

  test('70 s after it: the next replica gets its Job, and the last one goes', () => {
    const response = sync(firstReplicaDone(70_000));
    const container = child(response, 'Job', `${REPLICA_1}-reparent`)?.spec.template.spec.containers[0];
    expect(container.command.join(' ')).toContain('--avoid-primary="$AVOID_PRIMARY" "$SHARD"');
    expect(container.env).toContainEqual({ name: 'AVOID_PRIMARY', value: 'zone1-0214747901' });
    expect(container.env).toContainEqual({ name: 'SHARD', value: 'main/-80' });
    expect(child(response, 'Job', `${REPLICA}-reparent`)).toBeUndefined();
    expect(child(response, 'Pod', REPLICA_1)).toBeDefined();
  });

  test('while another reparent Job still runs, the next waits for it to finish', () => {
    const body = firstReplicaDone(0);
    const job = body.children['Job.batch/v1']![`${REPLICA}-reparent`]!;
    job.status = { active: 1, startTime: '2025-12-31T23:59:00Z' };
    const response = sync(body);
    expect(child(response, 'Job', `${REPLICA_1}-reparent`)).toBeUndefined();
    expect((response.status.rollout as { message: string }).message).toContain(`waiting for reparent Job ${REPLICA}-reparent to finish before the next reparent`);
  });
});

describe('the Vitess-aware rollout (docs/decisions/0017), on the golden requests with a fresh state', () => {
  const REPLICA_1 = 'vitess-vttablet-zone1-0214747901';
  const STATE = 'vitess.io/vitess-state';
  type State = { observedAt: string; gates: number; primary: string | null; tablets: { alias: string; cell: string; type: string; serving: boolean; hostname: string }[] };
  const stateOf = (body: Request): State => JSON.parse(body.parent.metadata.annotations?.[STATE] as string) as State;
  const withState = (body: Request, edit: (state: State) => State): Request => {
    body.parent.metadata.annotations = { ...body.parent.metadata.annotations, [STATE]: JSON.stringify(edit(stateOf(body))) };
    return body;
  };

  test('rdonly served: the next replica (not the primary) restarts, and no reparent Job is made', () => {
    const response = sync(request('seed-x-80-vitess-replica-restarts-without-reparent'));
    expect(child(response, 'Pod', REPLICA_1)).toBeUndefined();
    expect(response.children.filter((c) => c.kind === 'Job')).toEqual([]);
    expect(response.status).toMatchObject({ vitessState: 'fresh', primary: 'zone1-0214747900' });
  });

  test('with rollout.cells > 1, another cell\'s tablet of the shard that vtgate does not serve from holds every take-down', () => {
    const body = withState(request('seed-x-80-vitess-replica-restarts-without-reparent'), (state) => ({
      ...state,
      tablets: [...state.tablets, { alias: 'zone2-0000000001', cell: 'zone2', type: 'replica', serving: false, hostname: '10.0.0.9' }],
    }));
    const sameCellOnly = sync(structuredClone(body));
    expect(child(sameCellOnly, 'Pod', REPLICA_1)).toBeUndefined();
    body.parent.spec.rollout.cells = 2;
    const guarded = sync(body);
    expect(child(guarded, 'Pod', REPLICA_1)).toBeDefined();
    expect((guarded.status.rollout as { message: string }).message).toContain('waiting for vtgate to serve from zone2-0000000001 before taking down another tablet of main/-80');
  });

  test('a recreated tablet served at an old IP does not count: the next waits until vtgate serves it at its Pod IP', () => {
    const body = withState(request('seed-x-80-vitess-replica-restarts-without-reparent'), (state) => ({
      ...state,
      tablets: state.tablets.map((t) => (t.alias === 'zone1-1327744200' ? { ...t, hostname: '10.1.2.3' } : t)),
    }));
    const response = sync(body);
    expect(child(response, 'Pod', REPLICA_1)).toBeDefined();
    expect((response.status.rollout as { message: string }).message).toContain(`vtgate does not serve from Pod/${RDONLY} at its Pod's IP yet`);
  });

  test('a state older than 60 s is stale: the fallback (a reparent Job away from the first replica), status says stale', () => {
    const body = withState(request('seed-x-80-vitess-replica-restarts-without-reparent'), (state) => ({ ...state, observedAt: new Date(FIXED_NOW.getTime() - 61_000).toISOString() }));
    const response = sync(body);
    expect(response.status.vitessState).toBe('stale');
    expect(child(response, 'Job', `${REPLICA}-reparent`)?.spec.template.spec.containers[0].env).toContainEqual({ name: 'AVOID_PRIMARY', value: 'zone1-0214747900' });
    expect(child(response, 'Pod', REPLICA)).toBeDefined();
  });

  test("a reshard target's streams, as its primary reports them, are in status.vreplication while the state is fresh", () => {
    const vreplication = { tablet: 'zone1-0214747900', streams: [{ id: 1, source: 'main/0', workflow: 'reshard', state: 'Copying', rowsCopied: 120, tablesCopied: 2 }] };
    const body = withState(request('seed-x-80-vitess-replica-restarts-without-reparent'), (state) => ({ ...state, vreplication }) as State);
    expect(sync(structuredClone(body)).status.vreplication).toEqual(vreplication);
    const stale = withState(body, (state) => ({ ...state, observedAt: new Date(FIXED_NOW.getTime() - 61_000).toISOString() }));
    expect(sync(stale).status.vreplication).toBeUndefined();
    expect(sync(request('seed-x-80-vitess-replica-restarts-without-reparent')).status.vreplication).toBeUndefined();
  });

  test('without the annotation: status says missing, and the fallback holds', () => {
    const body = request('seed-x-80-vitess-replica-restarts-without-reparent');
    delete body.parent.metadata.annotations?.[STATE];
    const response = sync(body);
    expect(response.status.vitessState).toBe('missing');
    expect(response.status.primary).toBeUndefined();
    expect(child(response, 'Job', `${REPLICA}-reparent`)).toBeDefined();
  });

  test('the primary\'s reparent failed: the rollout pauses, Ready stays True (nothing is down), Updated=False RolloutPaused', () => {
    const body = request('seed-x-80-vitess-reparent-done-vtgate-not-yet');
    const job = body.children['Job.batch/v1']![`${REPLICA}-reparent`]!;
    job.status = { failed: 4, conditions: [{ type: 'Failed', status: 'True' }] };
    const response = sync(body);
    expect(condition(response, 'Updated')).toMatchObject({ status: 'False', reason: 'RolloutPaused' });
    expect(condition(response, 'Ready')).toMatchObject({ status: 'True' });
    expect(child(response, 'Pod', REPLICA)).toBeDefined();
  });
});

describe('Ready means serving (docs/decisions/0017)', () => {
  const unready = (body: Request, name: string, created?: string): Request => {
    const pod = body.children['Pod.v1']![name]!;
    pod.status = { ...pod.status, conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2025-12-31T23:59:00Z' }] };
    if (created !== undefined) pod.metadata.creationTimestamp = created;
    return body;
  };

  test('a tablet the rollout restarted, not Ready yet: Ready stays True (RollingUpdate), Updated carries the rollout', () => {
    const response = sync(request('seed-x-80-vitess-waits-for-vtgate-to-serve-the-new-ip'));
    expect(condition(response, 'Ready')).toMatchObject({ status: 'True' });
    const body = unready(request('seed-x-80-vitess-waits-for-vtgate-to-serve-the-new-ip'), RDONLY);
    const restarting = sync(body);
    expect(condition(restarting, 'Ready')).toMatchObject({ status: 'True', reason: 'RollingUpdate' });
    expect(condition(restarting, 'Ready')?.message).toContain(`Pod/${RDONLY} taken down by the rollout (at most 1 at a time)`);
    expect(condition(restarting, 'Updated')).toMatchObject({ status: 'False', reason: 'RollingOut' });
  });

  test('the same while the layer was not Ready before: it stays False (a layer turns Ready only once every child is)', () => {
    const body = unready(request('seed-x-80-vitess-waits-for-vtgate-to-serve-the-new-ip'), RDONLY);
    body.parent.status = { ...(body.parent.status as Record<string, unknown>), conditions: [{ type: 'Ready', status: 'False', reason: 'ChildrenNotReady', message: '', lastTransitionTime: '2025-12-31T00:00:00Z' }] };
    expect(condition(sync(body), 'Ready')).toMatchObject({ status: 'False', reason: 'ChildrenNotReady' });
  });

  test('an unready tablet the rollout did not move (a replica still on its old revision), besides the restarting one: Ready=False', () => {
    const body = unready(unready(request('seed-x-80-vitess-waits-for-vtgate-to-serve-the-new-ip'), RDONLY), REPLICA);
    expect(condition(sync(body), 'Ready')).toMatchObject({ status: 'False', reason: 'ChildrenNotReady' });
  });

  test('a restarted tablet still not Ready 600 s after its Pod was created: Ready=False, RolloutDeadlineExceeded', () => {
    const body = unready(request('seed-x-80-vitess-waits-for-vtgate-to-serve-the-new-ip'), RDONLY, new Date(FIXED_NOW.getTime() - 601_000).toISOString());
    expect(condition(sync(body), 'Ready')).toMatchObject({ status: 'False', reason: 'RolloutDeadlineExceeded' });
  });
});
