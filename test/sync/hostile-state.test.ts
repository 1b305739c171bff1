/**
 * Regression tests for issue 9 items 1-3 and issue 11 item 1: observed states the hooks did not
 * produce (relabelled, tampered or half-reported children) must never make a 200 answer leave out a
 * child that holds data; a desired child no rollout slot carries is a bug (the sync throws: 500).
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { LAST_APPLIED_ANNOTATION } from '../../lib/metacontroller/hold.ts';
import { parseSyncRequest, type SyncResponse } from '../../lib/metacontroller/request.ts';
import { cellLayer } from '../../lib/sync/cell.ts';
import { keyspaceLayer } from '../../lib/sync/keyspace.ts';
import { defineLayer } from '../../lib/sync/pipeline.ts';
import { volumesOf } from '../../lib/rollout/slots.ts';
import { shardDefinition, shardLayer } from '../../lib/sync/shard.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';

type Request = { parent: KubeObject & { spec: Record<string, any> }; children: Record<string, Record<string, KubeObject>> };
const request = (hook: string, name: string): Request => loadJson(join(FIXTURES, hook, name, 'request.json')) as Request;
const sync = (layer: { sync: typeof shardLayer.sync }, body: Request, kind: string): SyncResponse => layer.sync(parseSyncRequest(body, kind), { now: FIXED_NOW });
const answered = (response: SyncResponse) => new Set(response.children.map((c) => `${c.kind}/${c.apiVersion.includes('/') ? c.apiVersion.split('/')[0] : ''}/${c.metadata.name}`));
const keyOf = (c: KubeObject) => `${c.kind}/${c.apiVersion.includes('/') ? c.apiVersion.split('/')[0] : ''}/${c.metadata.name}`;

const RDONLY = 'vitess-vttablet-zone1-1327744200';
const REPLICA_2 = 'vitess-vttablet-zone1-0214747901';

describe('hostile observed state: regressions', () => {
  test('issue 9.1: a retained PVC whose tablet-type label was changed is kept', () => {
    const body = request('sync-shard', 'seed-x-80-all-ready');
    body.parent.spec.tablets.rdonly.replicas = 0;
    delete body.children['Pod.v1']![RDONLY];
    const pvc = body.children['PersistentVolumeClaim.v1']![RDONLY]!;
    pvc.metadata.labels = { ...pvc.metadata.labels, 'vitess.io/tablet-type': 'retired' };
    const response = sync(shardLayer, body, 'VitessShard');
    expect(answered(response).has(keyOf(pvc))).toBe(true);
  });

  test('issue 9.1: a retained PVC without a tablet-type label is kept even under volumeRetention Delete (its pool is unknown)', () => {
    const body = request('sync-shard', 'seed-x-80-all-ready');
    body.parent.spec.tablets.rdonly.replicas = 0;
    body.parent.spec.tablets.volumeRetention = 'Delete';
    delete body.children['Pod.v1']![RDONLY];
    const pvc = body.children['PersistentVolumeClaim.v1']![RDONLY]!;
    delete pvc.metadata.labels!['vitess.io/tablet-type'];
    expect(answered(sync(shardLayer, body, 'VitessShard')).has(keyOf(pvc))).toBe(true);
  });

  test('issue 9.1: a removed replica Pod without its tablet-type label is held (no drop without a reparent) and reported unclassified', () => {
    const body = request('sync-shard', 'seed-x-80-all-ready');
    body.parent.spec.tablets.replica.replicas = 1;
    const pod = body.children['Pod.v1']![REPLICA_2]!;
    delete pod.metadata.labels!['vitess.io/tablet-type'];
    const response = sync(shardLayer, body, 'VitessShard');
    expect(answered(response).has(keyOf(pod))).toBe(true);
    expect(response.status.unclassified).toContain(`Pod/${REPLICA_2}`);
  });

  test('mislabelled: a removed replica Pod labelled rdonly is not dropped without a PlannedReparentShard Job', () => {
    const body = request('sync-shard', 'seed-x-80-all-ready');
    body.parent.spec.tablets.replica.replicas = 1;
    const pod = body.children['Pod.v1']![REPLICA_2]!;
    pod.metadata.labels = { ...pod.metadata.labels, 'vitess.io/tablet-type': 'rdonly' };
    const response = sync(shardLayer, body, 'VitessShard');
    expect(answered(response).has(keyOf(pod))).toBe(true);
    expect(response.children.some((c) => c.kind === 'Job' && c.metadata.name === `${REPLICA_2}-reparent`)).toBe(true);
  });

  test('mislabelled: a removed rdonly Pod labelled replica waits for a reparent too (the label may be right about what runs)', () => {
    const body = request('sync-shard', 'seed-x-80-all-ready');
    body.parent.spec.tablets.rdonly.replicas = 0;
    const pod = body.children['Pod.v1']![RDONLY]!;
    pod.metadata.labels = { ...pod.metadata.labels, 'vitess.io/tablet-type': 'replica' };
    const response = sync(shardLayer, body, 'VitessShard');
    expect(answered(response).has(keyOf(pod))).toBe(true);
    expect(response.children.some((c) => c.kind === 'Job' && c.metadata.name === `${RDONLY}-reparent`)).toBe(true);
  });

  test('mislabelled: a desired rdonly tablet whose Pod is labelled replica restarts only after a reparent', () => {
    const body = request('sync-shard', 'seed-x-80-all-ready');
    for (const pool of ['rdonly', 'replica']) body.parent.spec.tablets[pool].image = 'vitess/lite:v24.0.4';
    const pod = body.children['Pod.v1']![RDONLY]!;
    pod.metadata.labels = { ...pod.metadata.labels, 'vitess.io/tablet-type': 'replica' };
    const response = sync(shardLayer, body, 'VitessShard');
    expect(answered(response).has(keyOf(pod))).toBe(true);
    expect(response.children.some((c) => c.kind === 'Job' && c.metadata.name === `${RDONLY}-reparent`)).toBe(true);
  });

  test("issue 9.2: a held PVC whose last-applied annotation names another object is answered under the observed object's identity", () => {
    const body = request('sync-shard', 'seed-x-80-all-ready');
    const pvc = body.children['PersistentVolumeClaim.v1']![RDONLY]!;
    const applied = JSON.parse(pvc.metadata.annotations![LAST_APPLIED_ANNOTATION]!);
    pvc.metadata.annotations![LAST_APPLIED_ANNOTATION] = JSON.stringify({ ...applied, metadata: { ...applied.metadata, name: 'someone-else' } });
    const response = sync(shardLayer, body, 'VitessShard');
    expect(answered(response).has(keyOf(pvc))).toBe(true);
    expect(answered(response).has('PersistentVolumeClaim//someone-else')).toBe(false);
  });

  test('issue 9.2: a held VitessShard observed at vitess.io/v1beta1 with a v1alpha1 last-applied keeps the observed identity', () => {
    const body = request('sync-keyspace', 'seed-main-all-ready');
    const shards = body.children['VitessShard.vitess.io/v1alpha1']!;
    const name = 'vitess-zone1-main-x-80';
    const shard = shards[name]!;
    delete shards[name];
    const bumped = { ...shard, apiVersion: 'vitess.io/v1beta1' };
    body.children['VitessShard.vitess.io/v1beta1'] = { [name]: bumped };
    body.parent.spec.shards = body.parent.spec.shards.filter((s: { name: string }) => s.name !== '-80');
    const response = sync(keyspaceLayer, body, 'VitessKeyspace');
    const held = response.children.find((c) => c.metadata.name === name);
    expect(held).toBeDefined();
    expect(held?.apiVersion).toBe('vitess.io/v1beta1');
  });

  test('issue 9.2: a held VitessShard whose last-applied annotation was tampered to another name is still answered', () => {
    const body = request('sync-keyspace', 'seed-main-all-ready');
    const name = 'vitess-zone1-main-x-80';
    const shard = body.children['VitessShard.vitess.io/v1alpha1']![name]!;
    const applied = JSON.parse(shard.metadata.annotations![LAST_APPLIED_ANNOTATION]!);
    shard.metadata.annotations![LAST_APPLIED_ANNOTATION] = JSON.stringify({ ...applied, kind: 'VitessKeyspace' });
    body.parent.spec.shards = body.parent.spec.shards.filter((s: { name: string }) => s.name !== '-80');
    const response = sync(keyspaceLayer, body, 'VitessKeyspace');
    expect(response.children.some((c) => c.kind === 'VitessShard' && c.metadata.name === name)).toBe(true);
  });

  test('issue 9.3: a shard that has not reported volumes makes its keyspace report the count unknown', () => {
    const body = request('sync-keyspace', 'seed-main-all-ready');
    const shard = body.children['VitessShard.vitess.io/v1alpha1']!['vitess-zone1-main-x-80']!;
    delete (shard.status as Record<string, unknown>).volumes;
    const response = sync(keyspaceLayer, body, 'VitessKeyspace');
    expect(response.status.volumesUnknown).toBe(true);
  });

  test('issue 9.3: a removed keyspace whose volume count is unknown is kept until confirmRemoval names it', () => {
    const body = request('sync-cell', 'seed-zone1-all-ready');
    const keyspaces = body.children['VitessKeyspace.vitess.io/v1alpha1']!;
    const [name, keyspace] = Object.entries(keyspaces)[0]!;
    keyspace.status = { ...(keyspace.status as object), volumes: 0, volumesUnknown: true };
    body.parent.spec.keyspaces = [];
    const response = sync(cellLayer, body, 'VitessCell');
    expect(response.children.some((c) => c.kind === 'VitessKeyspace' && c.metadata.name === name)).toBe(true);
    expect(response.status.pendingRemovals).toContain(name);
    // Confirmed: no longer pending (it then goes through the rollout's removal gates).
    body.parent.spec.confirmRemoval = [name];
    expect(sync(cellLayer, body, 'VitessCell').status.pendingRemovals ?? []).not.toContain(name);
  });

  test('issue 18.8: a removed keyspace claiming volumes: 0 while listing ready shards is kept until confirmRemoval names it', () => {
    const body = request('sync-cell', 'seed-zone1-all-ready');
    const keyspaces = body.children['VitessKeyspace.vitess.io/v1alpha1']!;
    const [name, keyspace] = Object.entries(keyspaces)[0]!;
    expect((keyspace.status as { shards: { ready: boolean }[] }).shards.some((shard) => shard.ready)).toBe(true);
    keyspace.status = { ...(keyspace.status as object), volumes: 0 };
    body.parent.spec.keyspaces = [];
    const response = sync(cellLayer, body, 'VitessCell');
    expect(response.children.some((c) => c.kind === 'VitessKeyspace' && c.metadata.name === name)).toBe(true);
    expect(response.status.pendingRemovals).toContain(name);
    expect(response.status.volumesUnknown).toBe(true);
    body.parent.spec.confirmRemoval = [name];
    expect(sync(cellLayer, body, 'VitessCell').status.pendingRemovals ?? []).not.toContain(name);
  });

  test('issue 18.8: a count below what the status lists is unknown, at every layer; one that agrees is kept', () => {
    const shard = { apiVersion: 'vitess.io/v1alpha1', kind: 'VitessShard', metadata: { name: 's' } };
    const tablets = [{ name: 't1', ready: true }, { name: 't2', ready: true }, { name: 't3', ready: false }];
    expect(volumesOf({ ...shard, status: { volumes: 1, tablets } })).toBeUndefined();
    expect(volumesOf({ ...shard, status: { volumes: 2, tablets, retainedVolumes: ['old'] } })).toBeUndefined();
    expect(volumesOf({ ...shard, status: { volumes: 3, tablets, retainedVolumes: ['old'] } })).toBe(3);
    expect(volumesOf({ ...shard, status: { volumes: 0, tablets: [{ name: 't1', ready: false }] } })).toBe(0);
    const keyspace = { ...shard, kind: 'VitessKeyspace' };
    expect(volumesOf({ ...keyspace, status: { volumes: 0, shards: [{ name: 'x', ready: true }] } })).toBeUndefined();
    expect(volumesOf({ ...keyspace, status: { volumes: 0, shards: [{ name: 'x', ready: false }] } })).toBe(0);
    const cell = { ...shard, kind: 'VitessCell' };
    expect(volumesOf({ ...cell, status: { volumes: 0, keyspaces: [{ name: 'k', ready: true }] } })).toBeUndefined();
    expect(volumesOf({ ...cell, status: { volumes: 4, keyspaces: [{ name: 'k', ready: true }] } })).toBe(4);
  });

  test('issue 11.1: a desired child kind the slots do not carry fails the sync loudly instead of vanishing', () => {
    // A ConfigMap: the shard makes none, so its slots do not carry that kind (they carry its PDB).
    const extra = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'vitess-x-80-tablets' }, data: {} };
    const layer = defineLayer({ ...shardDefinition, children: (spec, parent, tablets, observed, declared) => [...shardDefinition.children(spec, parent, tablets, observed, declared), extra] });
    const body = request('sync-shard', 'seed-x-80-all-ready');
    expect(() => sync(layer, body, 'VitessShard')).toThrow(/ConfigMap\/vitess-x-80-tablets/);
  });
});
