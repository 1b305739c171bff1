/**
 * Issue 19 item 2: a child the hook asked for that never appears is named in status
 * (lib/sync/absent.ts, docs/decisions/0021-child-not-created.md).
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest, type SyncResponse } from '../../lib/metacontroller/request.ts';
import { CHILD_NOT_CREATED, findAbsences, NOT_CREATED_GRACE_SECONDS, notCreatedOf, rememberedAbsences } from '../../lib/sync/absent.ts';
import { clusterLayer } from '../../lib/sync/cluster.ts';
import { keyspaceLayer } from '../../lib/sync/keyspace.ts';
import { shardLayer } from '../../lib/sync/shard.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';

type Request = { parent: KubeObject & { spec: Record<string, unknown>; status?: Record<string, unknown> }; children: Record<string, Record<string, KubeObject>> };
const request = (hook: string, name: string): Request => loadJson(join(FIXTURES, hook, name, 'request.json')) as Request;
const sync = (layer: { sync: typeof shardLayer.sync }, body: Request, kind: string, now = FIXED_NOW): SyncResponse => layer.sync(parseSyncRequest(body, kind), { now });
const ago = (seconds: number, from = FIXED_NOW): string => new Date(from.getTime() - seconds * 1000).toISOString().replace('.000Z', 'Z');
type Condition = { type: string; status: string; reason: string; message: string };
const ready = (response: SyncResponse): Condition => (response.status.conditions as Condition[]).find((c) => c.type === 'Ready')!;

const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' } });
const parentWith = (status: unknown): KubeObject & { status?: unknown } => ({ apiVersion: 'vitess.io/v1alpha1', kind: 'VitessShard', metadata: { name: 's', namespace: 'default' }, status });

const TABLET = 'vitess-vttablet-zone1-1327744200';
const SHARD = 'vitess-zone1-main-x-80';

describe('findAbsences', () => {
  test('a child answered and not observed is remembered from now; once observed it is forgotten', () => {
    const first = findAbsences(parentWith(undefined), [pod('a'), pod('b')], new Map([['Pod/b', pod('b')]]), FIXED_NOW);
    expect(first.awaiting).toEqual([{ child: 'Pod/a', since: ago(0) }]);
    expect(first.notCreated).toEqual([]);
    expect(first.resyncAfterSeconds).toBe(NOT_CREATED_GRACE_SECONDS);
    const later = new Date(FIXED_NOW.getTime() + 30_000);
    const second = findAbsences(parentWith({ awaitingCreation: first.awaiting }), [pod('a')], new Map(), later);
    expect(second.awaiting).toEqual(first.awaiting);
    expect(second.resyncAfterSeconds).toBe(NOT_CREATED_GRACE_SECONDS - 30);
    const seen = findAbsences(parentWith({ awaitingCreation: first.awaiting }), [pod('a')], new Map([['Pod/a', pod('a')]]), later);
    expect(seen).toEqual({ awaiting: [], notCreated: [] });
  });

  test('still absent after the grace period: reported with its owner and since when', () => {
    const status = { awaitingCreation: [{ child: 'Pod/a', since: ago(NOT_CREATED_GRACE_SECONDS) }] };
    const result = findAbsences(parentWith(status), [pod('a')], new Map(), FIXED_NOW);
    expect(result.notCreated).toEqual([{ child: 'Pod/a', owner: 'VitessShard/s', since: ago(NOT_CREATED_GRACE_SECONDS) }]);
    expect(result.resyncAfterSeconds).toBeUndefined();
    const justBefore = findAbsences(parentWith({ awaitingCreation: [{ child: 'Pod/a', since: ago(NOT_CREATED_GRACE_SECONDS - 1) }] }), [pod('a')], new Map(), FIXED_NOW);
    expect(justBefore.notCreated).toEqual([]);
    expect(justBefore.resyncAfterSeconds).toBe(1);
  });

  test('a child no longer answered is forgotten (a left-out child is not awaited)', () => {
    const status = { awaitingCreation: [{ child: 'Pod/gone', since: ago(600) }] };
    expect(findAbsences(parentWith(status), [], new Map(), FIXED_NOW)).toEqual({ awaiting: [], notCreated: [] });
  });

  test('times are kept to the second, as the API server writes them: two syncs in one second write the same bytes', () => {
    const a = findAbsences(parentWith(undefined), [pod('a')], new Map(), new Date('2026-01-01T00:00:00.100Z'));
    const b = findAbsences(parentWith(undefined), [pod('a')], new Map(), new Date('2026-01-01T00:00:00.900Z'));
    expect(a.awaiting).toEqual([{ child: 'Pod/a', since: '2026-01-01T00:00:00Z' }]);
    expect(b).toEqual(a);
  });

  test('a hostile status is unknown, not a crash: malformed entries are ignored, a future time counts as now', () => {
    for (const status of [null, 'x', 5, [], { awaitingCreation: 'x' }, { awaitingCreation: [null, 3, 'Pod/a', { child: 5 }, { child: 'Pod/a', since: 'yesterday' }, { child: 'Pod/a' }] }]) {
      expect(findAbsences(parentWith(status), [pod('a')], new Map(), FIXED_NOW)).toEqual({ awaiting: [{ child: 'Pod/a', since: ago(0) }], notCreated: [], resyncAfterSeconds: NOT_CREATED_GRACE_SECONDS });
    }
    const future = findAbsences(parentWith({ awaitingCreation: [{ child: 'Pod/a', since: '2099-01-01T00:00:00Z' }] }), [pod('a')], new Map(), FIXED_NOW);
    expect(future.awaiting).toEqual([{ child: 'Pod/a', since: ago(0) }]);
    expect(notCreatedOf({ ...pod('x'), status: { notCreated: [{ child: 'Pod/a', owner: 'VitessShard/s', since: 'never' }, 'junk', { child: 'Pod/b', owner: 'VitessShard/s', since: ago(200) }] } })).toEqual([
      { child: 'Pod/b', owner: 'VitessShard/s', since: ago(200) },
    ]);
  });

  test('law: for any status, only answered unobserved children are awaited, each once, none since after now', () => {
    const names = fc.constantFrom('a', 'b', 'c', 'd');
    fc.assert(
      fc.property(fc.jsonValue(), fc.uniqueArray(names), fc.uniqueArray(names), fc.array(fc.record({ child: names.map((n) => `Pod/${n}`), since: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) })), (junk, answered, observedNames, entries) => {
        for (const status of [junk, { awaitingCreation: entries }, { awaitingCreation: [junk, ...entries] }]) {
          const observed = new Map(observedNames.map((n) => [`Pod/${n}`, pod(n)]));
          const result = findAbsences(parentWith(status), answered.map(pod), observed, FIXED_NOW);
          const expected = answered.filter((n) => !observedNames.includes(n)).map((n) => `Pod/${n}`);
          expect(result.awaiting.map((a) => a.child)).toEqual(expected);
          for (const a of result.awaiting) expect(Date.parse(a.since)).toBeLessThanOrEqual(FIXED_NOW.getTime());
          expect(result.notCreated.every((n) => expected.includes(n.child))).toBe(true);
          expect(rememberedAbsences(status).size).toBeLessThanOrEqual(4);
        }
      }),
    );
  });
});

describe('a layer with a child that never appears', () => {
  /** The ready seed shard whose rdonly tablet Pod was refused: absent, asked for since `seconds` ago. */
  function shardMissingTablet(seconds: number | undefined): Request {
    const body = request('sync-shard', 'seed-x-80-all-ready');
    delete body.children['Pod.v1']![TABLET];
    if (seconds !== undefined) body.parent.status = { ...body.parent.status, awaitingCreation: [{ child: `Pod/${TABLET}`, since: ago(seconds) }] };
    return body;
  }

  test('within the grace period: Ready=False ChildrenNotReady, the time remembered, a resync when it runs out', () => {
    const response = sync(shardLayer, shardMissingTablet(undefined), 'VitessShard');
    expect(ready(response).reason).toBe('ChildrenNotReady');
    expect(response.status.awaitingCreation).toEqual([{ child: `Pod/${TABLET}`, since: ago(0) }]);
    expect(response.status.notCreated).toBeUndefined();
    expect(response.resyncAfterSeconds).toBeLessThanOrEqual(NOT_CREATED_GRACE_SECONDS);
  });

  test('after the grace period: Ready=False ChildNotCreated naming the child, since when, and the describe command of its owner', () => {
    const response = sync(shardLayer, shardMissingTablet(NOT_CREATED_GRACE_SECONDS + 5), 'VitessShard');
    const condition = ready(response);
    expect(condition).toMatchObject({ status: 'False', reason: CHILD_NOT_CREATED });
    expect(condition.message).toContain(`Pod/${TABLET}`);
    expect(condition.message).toContain(`since ${ago(NOT_CREATED_GRACE_SECONDS + 5)}`);
    expect(condition.message).toContain(`kubectl describe vitessshard ${SHARD} -n default`);
    expect(response.status.notCreated).toEqual([{ child: `Pod/${TABLET}`, owner: `VitessShard/${SHARD}`, since: ago(NOT_CREATED_GRACE_SECONDS + 5) }]);
    // The child is still asked for: Metacontroller keeps trying.
    expect(response.children.some((c) => c.kind === 'Pod' && c.metadata.name === TABLET)).toBe(true);
  });

  test('a hostile awaitingCreation in the shard status does not fail the sync', () => {
    const body = shardMissingTablet(undefined);
    body.parent.status = { ...body.parent.status, awaitingCreation: { not: 'a list' }, notCreated: 'nope' };
    expect(ready(sync(shardLayer, body, 'VitessShard')).reason).toBe('ChildrenNotReady');
  });

  test('carried up: the keyspace and the cluster report the shard\'s notCreated and say ChildNotCreated', () => {
    const shardStatus = sync(shardLayer, shardMissingTablet(NOT_CREATED_GRACE_SECONDS + 5), 'VitessShard').status;
    const keyspace = request('sync-keyspace', 'seed-main-all-ready');
    const shard = Object.values(keyspace.children['VitessShard.vitess.io/v1alpha1']!).find((s) => s.metadata.name === SHARD)!;
    shard.status = shardStatus;
    const keyspaceResponse = sync(keyspaceLayer, keyspace, 'VitessKeyspace');
    expect(ready(keyspaceResponse)).toMatchObject({ status: 'False', reason: CHILD_NOT_CREATED });
    expect(keyspaceResponse.status.notCreated).toEqual(shardStatus.notCreated);

    const cluster = request('sync-cluster', 'seed-all-ready');
    const cell = Object.values(cluster.children['VitessCell.vitess.io/v1alpha1']!)[0]!;
    cell.status = { ...(cell.status as object), notCreated: shardStatus.notCreated };
    const top = ready(sync(clusterLayer, cluster, 'VitessCluster'));
    expect(top).toMatchObject({ status: 'False', reason: CHILD_NOT_CREATED });
    expect(top.message).toContain(`Pod/${TABLET}`);
    expect(top.message).toContain(`kubectl describe vitessshard ${SHARD} -n default`);
  });
});
