/**
 * The topology follows the spec down (lib/sync/tablet-records.ts, lib/sync/shard-removal.ts): on
 * golden requests edited by hand (each test says what it changes), and through the simulator, round by
 * round, checking the order of the steps in every state it passes through.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest, type SyncResponse } from '../../lib/metacontroller/request.ts';
import { kubeletStep } from '../../lib/simulator/kubelet.ts';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { runRound, simulate } from '../../lib/simulator/simulate.ts';
import { allObjects, type ClusterState, getObject, storeKey, updateObject } from '../../lib/simulator/store.ts';
import { layers } from '../../lib/sync/index.ts';
import { clusterLayer } from '../../lib/sync/cluster.ts';
import { keyspaceLayer } from '../../lib/sync/keyspace.ts';
import { shardLayer } from '../../lib/sync/shard.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';

type Json = Record<string, any>;
type Request = { parent: KubeObject & { spec: Json; status?: Json }; children: Record<string, Record<string, KubeObject & Json>> };
const request = (hook: string, name: string): Request => loadJson(join(FIXTURES, hook, name, 'request.json')) as Request;
const syncShard = (body: Request): SyncResponse => shardLayer.sync(parseSyncRequest(body, 'VitessShard'), { now: FIXED_NOW });
const syncKeyspace = (body: Request): SyncResponse => keyspaceLayer.sync(parseSyncRequest(body, 'VitessKeyspace'), { now: FIXED_NOW });
const syncCluster = (body: Request): SyncResponse => clusterLayer.sync(parseSyncRequest(body, 'VitessCluster'), { now: FIXED_NOW });
const child = (response: SyncResponse, kind: string, name: string) => response.children.find((c) => c.kind === kind && c.metadata.name === name) as (KubeObject & Json) | undefined;
const condition = (response: SyncResponse, type: string) => (response.status.conditions as { type: string; status: string; reason: string; message: string }[]).find((c) => c.type === type);

const RDONLY = 'vitess-vttablet-zone1-1327744200';
const RDONLY_JOB = `${RDONLY}-unregister`;
const REMOVED_SHARD = 'vitess-zone1-main-80-x';

function failed(job: KubeObject & Json): void {
  job.status = { failed: 7, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] };
}

describe('a tablet removed by a scale-down', () => {
  test('once its Pod is gone: a DeleteTablets Job with the alias in its environment; under Delete its PVC waits for the Job', () => {
    const response = syncShard(request('sync-shard', 'seed-x-80-scaled-down-volume-deleted'));
    const job = child(response, 'Job', RDONLY_JOB);
    const container = job?.spec.template.spec.containers[0];
    expect(container.env).toContainEqual({ name: 'TABLET_ALIAS', value: 'zone1-1327744200' });
    expect(container.command[2]).not.toContain('zone1-1327744200');
    expect(container.command[2]).not.toContain('--allow-primary');
    expect(child(response, 'PersistentVolumeClaim', RDONLY)).toBeDefined();
    expect(response.status.removedTablets).toEqual([{ name: RDONLY, alias: 'zone1-1327744200', record: 'deleting' }]);
  });

  test('once the Job completed: the PVC goes under Delete, the Job with it', () => {
    const response = syncShard(request('sync-shard', 'seed-x-80-scaled-down-record-deleted-volume-goes'));
    expect(child(response, 'PersistentVolumeClaim', RDONLY)).toBeUndefined();
    expect(child(response, 'Job', RDONLY_JOB)).toBeDefined();
    const body = request('sync-shard', 'seed-x-80-scaled-down-record-deleted-volume-goes');
    delete body.children['PersistentVolumeClaim.v1']![RDONLY];
    const after = syncShard(body);
    expect(child(after, 'Job', RDONLY_JOB)).toBeUndefined();
    // The status says what this sync saw: the record deleted (the Job goes with this answer).
    expect(after.status.removedTablets).toEqual([{ name: RDONLY, alias: 'zone1-1327744200', record: 'deleted' }]);
    expect(condition(after, 'Updated')?.status).toBe('True');
  });

  test('under Retain the completed Job stays beside the retained PVC, and the shard is Updated', () => {
    const response = syncShard(request('sync-shard', 'seed-x-80-scaled-down-volume-retained'));
    expect(child(response, 'Job', RDONLY_JOB)).toBeDefined();
    expect(child(response, 'PersistentVolumeClaim', RDONLY)).toBeDefined();
    expect(condition(response, 'Updated')?.status).toBe('True');
  });

  test('a failed Job is kept, says why, holds the PVC, and does not block the rollout', () => {
    const body = request('sync-shard', 'seed-x-80-scaled-down-record-deleted-volume-goes');
    failed(body.children['Job.batch/v1']![RDONLY_JOB]!);
    const response = syncShard(body);
    expect(child(response, 'Job', RDONLY_JOB)).toBeDefined();
    expect(child(response, 'PersistentVolumeClaim', RDONLY)).toBeDefined();
    expect(response.status.removedTablets).toEqual([{ name: RDONLY, alias: 'zone1-1327744200', record: 'failed', message: expect.stringContaining('delete the Job to retry') }]);
    expect(condition(response, 'Updated')).toMatchObject({ status: 'False', message: expect.stringContaining(`DeleteTablets zone1-1327744200 failed (Job ${RDONLY_JOB})`) });
    expect((response.status.rollout as { inFlight: string[] }).inFlight).toEqual([]);
  });

  test('a tablet desired again: its Job is obsolete and goes (the tablet registers anew)', () => {
    const body = request('sync-shard', 'seed-x-80-scaled-down-record-deleted-volume-goes');
    body.parent.spec.tablets.rdonly.replicas = 1;
    const response = syncShard(body);
    expect(child(response, 'Job', RDONLY_JOB)).toBeUndefined();
    expect(child(response, 'Pod', RDONLY)).toBeDefined();
  });

  test("only the operator's tablets: a PVC whose UID is outside the shard's ranges, or whose name does not match its UID, gets no Job", () => {
    for (const uid of ['1', '214747900']) {
      const body = request('sync-shard', 'seed-x-80-scaled-down-volume-deleted');
      body.children['PersistentVolumeClaim.v1']![RDONLY]!.metadata.labels!['vitess.io/tablet-uid'] = uid;
      const response = syncShard(body);
      expect(response.children.filter((c) => c.kind === 'Job')).toEqual([]);
      expect(response.status.removedTablets).toBeUndefined();
    }
  });
});

describe('a retiring shard', () => {
  test('stops every tablet at once, without reparenting, with no PDB or backup Jobs, and is not retired while Pods run', () => {
    const body = request('sync-shard', 'seed-x-80-all-ready');
    body.parent.spec.retire = true;
    const response = syncShard(body);
    expect(response.children.filter((c) => c.kind === 'Pod')).toEqual([]);
    expect(response.children.filter((c) => c.kind === 'Job' || c.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(response.children.filter((c) => c.kind === 'PersistentVolumeClaim')).toHaveLength(3);
    expect(response.status.retired).toBe(false);
  });

  test('deletes its primary record too (--allow-primary), and is retired once every record is deleted', () => {
    const deleting = syncShard(request('sync-shard', 'seed-80-x-retiring-deletes-tablet-records'));
    const jobs = deleting.children.filter((c) => c.kind === 'Job') as (KubeObject & Json)[];
    expect(jobs).toHaveLength(3);
    for (const job of jobs) expect(job.spec.template.spec.containers[0].command[2]).toContain('DeleteTablets --allow-primary "$TABLET_ALIAS"');
    const body = request('sync-shard', 'seed-80-x-retiring-deletes-tablet-records');
    for (const job of Object.values(body.children['Job.batch/v1'] ?? {})) job.status = { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    expect(syncShard(body).status.retired).toBe(true);
  });
});

describe('a shard removed with confirmRemoval', () => {
  test('its keyspace retires it first (retire: true), and deletes nothing yet', () => {
    // The keyspace's first sync with the shard out of its spec.
    const body = request('sync-keyspace', 'seed-main-all-ready');
    body.parent.spec.shards = body.parent.spec.shards.slice(0, 1);
    body.parent.spec.confirmRemoval = [REMOVED_SHARD];
    const first = syncKeyspace(body);
    expect(child(first, 'VitessShard', REMOVED_SHARD)?.spec.retire).toBe(true);
    expect(first.children.filter((c) => c.kind === 'Job')).toEqual([]);
    // Until the shard reports retired, the keyspace waits.
    const response = syncKeyspace(request('sync-keyspace', 'seed-main-shard-removed-retires-it'));
    expect(child(response, 'VitessShard', REMOVED_SHARD)?.spec.retire).toBe(true);
    expect(response.children.filter((c) => c.kind === 'Job')).toEqual([]);
    expect(response.status.removedShards).toEqual([{ name: REMOVED_SHARD, shard: '80-', state: 'retiring' }]);
  });

  test('once retired: a DeleteShards Job, the shard kept beside it; once complete, both leave the answer', () => {
    const deleting = syncKeyspace(request('sync-keyspace', 'seed-main-shard-retired-deletes-its-record'));
    const job = child(deleting, 'Job', `${REMOVED_SHARD}-unregister`);
    expect(job?.spec.template.spec.containers[0].env).toContainEqual({ name: 'SHARD', value: '80-' });
    expect(child(deleting, 'VitessShard', REMOVED_SHARD)).toBeDefined();
    const done = syncKeyspace(request('sync-keyspace', 'seed-main-shard-record-deleted-shard-goes'));
    expect(child(done, 'VitessShard', REMOVED_SHARD)).toBeUndefined();
    expect(child(done, 'Job', `${REMOVED_SHARD}-unregister`)).toBeUndefined();
  });

  test('a status written for an older spec is not taken as retired', () => {
    const body = request('sync-keyspace', 'seed-main-shard-retired-deletes-its-record');
    const shard = body.children['VitessShard.vitess.io/v1alpha1']![REMOVED_SHARD]!;
    shard.metadata.generation = (shard.status?.observedGeneration as number) + 1;
    const response = syncKeyspace(body);
    expect(response.children.filter((c) => c.kind === 'Job')).toEqual([]);
  });

  test('a failed DeleteShards Job is kept and reported; the shard stays', () => {
    const body = request('sync-keyspace', 'seed-main-shard-record-deleted-shard-goes');
    failed(body.children['Job.batch/v1']![`${REMOVED_SHARD}-unregister`]!);
    const response = syncKeyspace(body);
    expect(child(response, 'VitessShard', REMOVED_SHARD)).toBeDefined();
    expect(child(response, 'Job', `${REMOVED_SHARD}-unregister`)).toBeDefined();
    expect(condition(response, 'Updated')?.message).toContain('DeleteShards main/80- failed');
  });

  test("a removed shard naming another keyspace is not this keyspace's to clean: plain removal, no Job", () => {
    const body = request('sync-keyspace', 'seed-main-shard-removed-retires-it');
    body.children['VitessShard.vitess.io/v1alpha1']![REMOVED_SHARD]!.spec.keyspace = 'other';
    const response = syncKeyspace(body);
    expect(child(response, 'VitessShard', REMOVED_SHARD)).toBeUndefined();
    expect(response.children.filter((c) => c.kind === 'Job')).toEqual([]);
  });

  test('a removal not confirmed keeps the shard as it is (RemovalPending), never retired', () => {
    const body = request('sync-keyspace', 'seed-main-all-ready');
    body.parent.spec.shards = body.parent.spec.shards.slice(0, 1);
    const response = syncKeyspace(body);
    expect(child(response, 'VitessShard', REMOVED_SHARD)?.spec.retire).toBeUndefined();
    expect(condition(response, 'Ready')?.reason).toBe('RemovalPending');
  });
});

describe('a cell removed with confirmRemoval', () => {
  const CELL = 'default/vitess-zone1';
  const CELL_JOB = 'vitess-zone1-unregister';

  test('once retired: a DeleteCellInfo Job of the cluster with the cell and its root in its environment; the cell kept beside it', () => {
    const response = syncCluster(request('sync-cluster', 'cell-retired-deletes-its-cellinfo'));
    const container = child(response, 'Job', CELL_JOB)?.spec.template.spec.containers[0];
    expect(container.env).toContainEqual({ name: 'CELL', value: 'zone1' });
    expect(container.env).toContainEqual({ name: 'CELL_ROOT', value: '/vitess/zone1' });
    expect(container.command[2]).not.toContain('zone1');
    expect(child(response, 'VitessCell', 'vitess-zone1')?.spec.retire).toBe(true);
    expect(response.status.removedCells).toEqual([{ name: 'vitess-zone1', cell: 'zone1', state: 'deleting-record' }]);
  });

  test('once the Job completed, both leave the answer; a failed Job is kept, reported, and the cell stays', () => {
    const body = request('sync-cluster', 'cell-retired-deletes-its-cellinfo');
    const job = child(syncCluster(body), 'Job', CELL_JOB) as KubeObject & Json;
    body.children['Job.batch/v1'] = { [`default/${CELL_JOB}`]: { ...job, metadata: { ...job.metadata, namespace: 'default' }, status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } } };
    const done = syncCluster(body);
    expect(child(done, 'VitessCell', 'vitess-zone1')).toBeUndefined();
    expect(child(done, 'Job', CELL_JOB)).toBeUndefined();
    const failedJob = { ...job, metadata: { ...job.metadata, namespace: 'default' } };
    failed(failedJob);
    body.children['Job.batch/v1'] = { [`default/${CELL_JOB}`]: failedJob };
    const kept = syncCluster(body);
    expect(child(kept, 'VitessCell', 'vitess-zone1')).toBeDefined();
    expect(child(kept, 'Job', CELL_JOB)).toBeDefined();
    expect((kept.status.removedCells as Json[])[0]?.state).toBe('failed');
    expect(condition(kept, 'Updated')?.message).toContain('DeleteCellInfo zone1 failed');
  });

  test("a removed cell that names another cluster, or the global cell, is not this cluster's to clean: plain removal, no Job", () => {
    for (const change of [(spec: Json) => (spec.cluster = 'other'), (spec: Json) => (spec.name = 'global')]) {
      const body = request('sync-cluster', 'cell-retired-deletes-its-cellinfo');
      change(body.children['VitessCell.vitess.io/v1alpha1']![CELL]!.spec);
      const response = syncCluster(body);
      expect(child(response, 'Job', CELL_JOB)).toBeUndefined();
      expect(child(response, 'VitessCell', 'vitess-zone1')).toBeUndefined();
    }
  });
});

const START = new Date('2026-01-01T00:00:00Z');
const controllers = loadControllers();

function seedConverged(): ClusterState {
  const cluster = parseClusterYaml(readFileSync(join(import.meta.dir, '..', '..', 'examples', 'seed-my-vitess.yaml'), 'utf8'));
  const result = simulate([cluster], { controllers, layers, kubelet: true, start: START, maxRounds: 300 });
  if (!result.converged) throw new Error('seed did not converge');
  return result.state;
}

function edit(state: ClusterState, change: (spec: Json) => Json): ClusterState {
  const cluster = getObject(state, storeKey({ kind: 'VitessCluster', metadata: { name: 'vitess', namespace: 'default' } })) as KubeObject;
  return updateObject(state, { ...cluster, spec: change(structuredClone(cluster.spec) as Json) }).state;
}

/** Runs rounds (hooks, then the kubelet) until nothing changes, calling `check` on every state. */
function run(state: ClusterState, check: (objects: KubeObject[]) => void): KubeObject[] {
  let current = state;
  let last = '';
  for (let round = 1; round <= 150; round++) {
    const now = new Date(START.getTime() + 3_600_000 + round * 10_000);
    current = runRound(current, controllers, layers, round, now, undefined).state;
    check(allObjects(current));
    current = kubeletStep(current, round, now).state;
    const objects = allObjects(current);
    check(objects);
    const text = JSON.stringify(objects.map((o) => [o.kind, o.metadata.name, o.metadata.resourceVersion]));
    if (text === last) return objects;
    last = text;
  }
  throw new Error('did not settle');
}

const named = (objects: readonly KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);
const complete = (job: KubeObject | undefined) => (job?.status as { succeeded?: number } | undefined)?.succeeded === 1;
const ownedBy = (object: KubeObject, owner: string) => object.metadata.ownerReferences?.some((ref) => ref.name === owner) === true;

describe('through the simulator, in every state it passes', () => {
  test('removing shard 80- with confirmRemoval: tablets stop, then their records go, then the shard record, then the shard', () => {
    const initial = seedConverged();
    const tablets = named(allObjects(initial), 'Pod').filter((pod) => ownedBy(pod, REMOVED_SHARD)).map((pod) => pod.metadata.name);
    expect(tablets).toHaveLength(3);
    const seen = { tabletJobs: new Set<string>(), shardJob: false, tabletJobsDoneBeforeShardJob: true };
    const final = run(
      edit(initial, (spec) => {
        spec.keyspaces[0].shards = spec.keyspaces[0].shards.slice(0, 1);
        return { ...spec, confirmRemoval: [REMOVED_SHARD] };
      }),
      (objects) => {
        const pods = new Set(named(objects, 'Pod').map((pod) => pod.metadata.name));
        const jobs = new Map(named(objects, 'Job').map((job) => [job.metadata.name, job]));
        for (const tablet of tablets) {
          // A record Job only once the tablet's Pod is gone.
          if (jobs.has(`${tablet}-unregister`)) {
            expect(pods.has(tablet)).toBe(false);
            seen.tabletJobs.add(tablet);
          }
        }
        if (jobs.has(`${REMOVED_SHARD}-unregister`)) {
          seen.shardJob = true;
          // The shard record only after every tablet is stopped and its record deleted.
          for (const tablet of tablets) expect(pods.has(tablet)).toBe(false);
          for (const tablet of tablets) if (!complete(jobs.get(`${tablet}-unregister`))) seen.tabletJobsDoneBeforeShardJob = false;
        }
        // The shard leaves the cluster only after its record's Job completed.
        if (!objects.some((o) => o.kind === 'VitessShard' && o.metadata.name === REMOVED_SHARD)) expect(seen.shardJob).toBe(true);
      },
    );
    expect([...seen.tabletJobs].sort()).toEqual([...tablets].sort());
    expect(seen.shardJob).toBe(true);
    expect(seen.tabletJobsDoneBeforeShardJob).toBe(true);
    expect(final.some((o) => o.kind === 'VitessShard' && o.metadata.name === REMOVED_SHARD)).toBe(false);
    const recordJob = (o: KubeObject) => o.kind === 'Job' && ['tablet-record', 'shard-record'].includes(o.metadata.labels?.['vitess.io/component'] ?? '');
    expect(final.filter((o) => recordJob(o) || tablets.includes(o.metadata.name)).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    const keyspace = final.find((o) => o.kind === 'VitessKeyspace') as KubeObject & Json;
    expect(keyspace.status.conditions.find((c: Json) => c.type === 'Updated').status).toBe('True');
  }, 60_000);

  test("removing keyspace main with confirmRemoval: its shards leave the topology first, then the keyspace's record, then the keyspace", () => {
    const KEYSPACE = 'vitess-zone1-main';
    const seen = { shardJobs: new Set<string>(), keyspaceJob: false };
    const final = run(
      edit(seedConverged(), (spec) => ({ ...spec, keyspaces: [], confirmRemoval: [KEYSPACE] })),
      (objects) => {
        const shards = objects.filter((o) => o.kind === 'VitessShard').map((o) => o.metadata.name);
        const jobs = new Map(named(objects, 'Job').map((job) => [job.metadata.name, job]));
        for (const [name, job] of jobs) {
          if (!name.endsWith('-unregister') || !name.startsWith(`${KEYSPACE}-`) || name === `${KEYSPACE}-unregister`) continue;
          seen.shardJobs.add(name);
          // The keyspace leaves the cell whole: its own Job takes every shard out of the cell's serving graph (RemoveKeyspaceCell).
          expect((job as KubeObject & Json).spec.template.spec.containers[0].command[2]).not.toContain('RemoveShardCell');
        }
        if (jobs.has(`${KEYSPACE}-unregister`)) {
          seen.keyspaceJob = true;
          const container = (jobs.get(`${KEYSPACE}-unregister`) as KubeObject & Json).spec.template.spec.containers[0];
          expect(container.env).toContainEqual({ name: 'CELL', value: 'zone1' });
          expect(container.command[2]).toContain('RemoveKeyspaceCell "$KEYSPACE" "$CELL"');
          // The keyspace record only once none of its shards is left.
          expect(shards).toEqual([]);
          expect(named(objects, 'Pod').filter((pod) => pod.metadata.labels?.['vitess.io/keyspace'] === 'main')).toEqual([]);
        }
        if (!objects.some((o) => o.kind === 'VitessKeyspace' && o.metadata.name === KEYSPACE)) expect(seen.keyspaceJob).toBe(true);
      },
    );
    expect([...seen.shardJobs].sort()).toEqual([`${KEYSPACE}-80-x-unregister`, `${KEYSPACE}-x-80-unregister`]);
    expect(seen.keyspaceJob).toBe(true);
    expect(final.filter((o) => ['VitessKeyspace', 'VitessShard', 'PersistentVolumeClaim'].includes(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    const cell = final.find((o) => o.kind === 'VitessCell' && o.metadata.name === 'vitess-zone1') as KubeObject & Json;
    expect(cell.status.conditions.find((c: Json) => c.type === 'Updated').status).toBe('True');
  }, 60_000);

  test("removing keyspace main in the edit that rolls vtgate, one component at a time: vtgate does not wait for the keyspace's retirement (which would wait for vtgate's place in flight)", () => {
    const KEYSPACE = 'vitess-zone1-main';
    const final = run(
      edit(seedConverged(), (spec) => {
        const cells = [...spec.cells];
        cells[1] = { ...cells[1], vtgate: { ...cells[1].vtgate, image: 'vitess/lite:v24.0.4' } };
        return { ...spec, cells, keyspaces: [], confirmRemoval: [KEYSPACE], rollout: { ...spec.rollout, components: 1 } };
      }),
      () => {},
    );
    expect(final.filter((o) => ['VitessKeyspace', 'VitessShard'].includes(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    const vtgate = final.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['vitess.io/component'] === 'vtgate') as KubeObject & Json;
    expect(vtgate.spec.template.spec.containers[0].image).toBe('vitess/lite:v24.0.4');
    const cell = final.find((o) => o.kind === 'VitessCell' && o.metadata.name === 'vitess-zone1') as KubeObject & Json;
    expect(cell.status.conditions.find((c: Json) => c.type === 'Updated').status).toBe('True');
  }, 60_000);

  test("removing cell zone1 with confirmRemoval: its keyspaces leave the topology first, then its CellInfo, then the cell; its topology runs until then", () => {
    const CELL = 'vitess-zone1';
    const KEYSPACE = 'vitess-zone1-main';
    const seen = { keyspaceJob: false, cellJob: false, keyspaceJobDoneBeforeCellJob: true };
    const final = run(
      edit(seedConverged(), (spec) => ({ ...spec, cells: spec.cells.slice(0, 1), keyspaces: [], confirmRemoval: [CELL] })),
      (objects) => {
        const jobs = new Map(named(objects, 'Job').map((job) => [job.metadata.name, job]));
        const cell = objects.find((o) => o.kind === 'VitessCell' && o.metadata.name === CELL) as (KubeObject & Json) | undefined;
        if (jobs.has(`${KEYSPACE}-unregister`)) seen.keyspaceJob = true;
        const cellJob = jobs.get(`${CELL}-unregister`);
        if (cellJob !== undefined) {
          seen.cellJob = true;
          // The CellInfo only once none of the cell's keyspaces (nor its tablets) is left.
          expect(objects.filter((o) => o.kind === 'VitessKeyspace' && ownedBy(o, CELL))).toEqual([]);
          expect(named(objects, 'Pod').filter((pod) => pod.metadata.labels?.['vitess.io/keyspace'] === 'main')).toEqual([]);
          if (!seen.keyspaceJob) seen.keyspaceJobDoneBeforeCellJob = false;
          // The cell's Job is the cluster's: it goes with the cell, not with it.
          expect(ownedBy(cellJob, 'vitess')).toBe(true);
          // The retiring cell serves nothing: no vtgate left in it.
          expect(named(objects, 'Deployment').filter((d) => ownedBy(d, CELL))).toEqual([]);
        }
        // The cell leaves the cluster only after its CellInfo's Job completed.
        if (cell === undefined) expect(seen.cellJob).toBe(true);
        else if (cell.spec.retire === true && !complete(cellJob)) expect(cell.metadata.deletionTimestamp).toBeUndefined();
      },
    );
    expect(seen.keyspaceJob).toBe(true);
    expect(seen.cellJob).toBe(true);
    expect(seen.keyspaceJobDoneBeforeCellJob).toBe(true);
    expect(final.filter((o) => ['VitessCell', 'VitessKeyspace', 'VitessShard', 'PersistentVolumeClaim'].includes(o.kind) && o.metadata.name.startsWith(CELL)).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    expect(final.filter((o) => o.kind === 'Job' && o.metadata.name.endsWith('-unregister')).map((o) => o.metadata.name)).toEqual([]);
    const cluster = final.find((o) => o.kind === 'VitessCluster') as KubeObject & Json;
    expect(cluster.status.conditions.find((c: Json) => c.type === 'Updated').status).toBe('True');
    expect(cluster.status.removedCells).toBeUndefined();
  }, 60_000);

  test('a rollout restarts tablets and deletes no record: no DeleteTablets Job in any state', () => {
    const final = run(
      edit(seedConverged(), (spec) => {
        spec.keyspaces[0].tablets.defaults.image = 'vitess/lite:v24.0.4';
        return spec;
      }),
      (objects) => {
        expect(named(objects, 'Job').filter((job) => job.metadata.labels?.['vitess.io/component'] === 'tablet-record')).toEqual([]);
      },
    );
    expect(named(final, 'Pod').filter((pod) => pod.metadata.labels?.['vitess.io/tablet-type'] !== undefined)).toHaveLength(6);
  }, 60_000);
});

describe('a reshard taken out of the spec', () => {
  const reshardJob = (name: string, succeeded: boolean): KubeObject & Json => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `vitess-zone1-main-reshard-${name}`, namespace: 'default', labels: { 'vitess.io/component': 'reshard' }, annotations: { 'vitess.io/reshard-targets': '-40,40-80' } },
    spec: {},
    status: succeeded ? { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } : {},
  });

  test('shards set to the targets before the workflow completed: the sources are held whatever confirmRemoval says', () => {
    const body = request('sync-keyspace', 'seed-main-all-ready');
    // The user replaced -80 by -40, 40-80 in shards, confirmed the removal of -80, mid-way.
    body.parent.spec.shards = [{ name: '-40', keyRange: { start: '', end: '40' } }, { name: '40-80', keyRange: { start: '40', end: '80' } }, body.parent.spec.shards[1]];
    body.parent.spec.confirmRemoval = ['vitess-zone1-main-x-80'];
    // Room in the rollout for the removal beside the two new shards being created and 80- (its spec carries the setting).
    body.parent.spec.rollout.shards = 4;
    body.children['Job.batch/v1'] = { [`vitess-zone1-main-reshard-create`]: reshardJob('create', true), [`vitess-zone1-main-reshard-wait-for-copy`]: reshardJob('wait-for-copy', false) };
    const response = syncKeyspace(body);
    expect(child(response, 'VitessShard', 'vitess-zone1-main-x-80')?.spec.retire).toBeUndefined();
    expect((response.status.resharding as Json).state).toBe('CannotCancel');
    // Once the workflow completed, the same edit lets -80 go (retired first).
    body.children['Job.batch/v1'] = { [`vitess-zone1-main-reshard-complete`]: reshardJob('complete', true) };
    expect(child(syncKeyspace(body), 'VitessShard', 'vitess-zone1-main-x-80')?.spec.retire).toBe(true);
  });
});

describe('a reshard in two cells, through the simulator', () => {
  test("once the first cell's workflow completed, the second cell's copy of the source retires too; not before", () => {
    const minimal = parseClusterYaml(readFileSync(join(import.meta.dir, '..', '..', 'examples', 'minimal.yaml'), 'utf8')) as KubeObject & { spec: Json };
    minimal.spec.cells.push({ name: 'zone2' });
    minimal.spec.keyspaces[0].cells = ['zone1', 'zone2'];
    const started = simulate([minimal], { controllers, layers, kubelet: true, start: START, maxRounds: 300 });
    expect(started.converged).toBe(true);
    const cluster = getObject(started.state, storeKey({ kind: 'VitessCluster', metadata: { name: 'mini', namespace: 'default' } })) as KubeObject & { spec: Json };
    const spec = structuredClone(cluster.spec);
    spec.keyspaces[0].reshard = { shards: [{ keyRange: { start: '', end: '80' } }, { keyRange: { start: '80', end: '' } }] };
    const ZONE2_SOURCE = 'mini-zone2-commerce-0';
    let completedFirst = false;
    const final = run(updateObject(started.state, { ...cluster, spec }).state, (objects) => {
      if (objects.some((o) => o.kind === 'Job' && o.metadata.name === 'mini-zone1-commerce-reshard-complete' && complete(o))) completedFirst = true;
      const source = objects.find((o) => o.kind === 'VitessShard' && o.metadata.name === ZONE2_SOURCE) as (KubeObject & Json) | undefined;
      // zone2 runs no workflow Job, and its source retires only after the first cell's workflow completed.
      expect(objects.filter((o) => o.kind === 'Job' && o.metadata.name.startsWith('mini-zone2-commerce-reshard'))).toEqual([]);
      if (source?.spec.retire === true) expect(completedFirst).toBe(true);
    });
    const source = final.find((o) => o.kind === 'VitessShard' && o.metadata.name === ZONE2_SOURCE) as KubeObject & Json;
    expect(source.spec.retire).toBe(true);
    expect(source.status.retired).toBe(true);
    // Its PVCs stay until the user removes the source from shards (the usual confirmRemoval rule).
    expect(final.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.labels?.['vitess.io/cell'] === 'zone2' && o.metadata.labels?.['vitess.io/shard'] === '0')).toHaveLength(2);
    expect(final.filter((o) => o.kind === 'Pod' && o.metadata.labels?.['vitess.io/cell'] === 'zone2' && o.metadata.labels?.['vitess.io/shard'] === '0')).toEqual([]);
    const keyspace = final.find((o) => o.kind === 'VitessKeyspace' && o.metadata.name === 'mini-zone2-commerce') as KubeObject & Json;
    expect(keyspace.status.resharding.state).toBe('Complete');
  }, 60_000);
});
