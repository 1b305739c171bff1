/**
 * Issue 19 item 2 on a real API server: a child Metacontroller cannot create is named in status, at
 * the shard and at the top (docs/decisions/0021-child-not-created.md).
 *
 * examples/minimal.yaml with its tablets at a PriorityClass nobody created: the API server's Priority
 * admission refuses every tablet Pod. The tree is applied (everything else is accepted); then each
 * layer is synced against the live objects as Metacontroller would (the request built from what the
 * API server holds, its status included; absent children created, refusals kept; the answer's status
 * written to /status), first now, then once the grace period has passed, bottom up.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest, type SyncResponse } from '../../lib/metacontroller/request.ts';
import type { ControllerSpec } from '../../lib/simulator/controllers.ts';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { buildRequest } from '../../lib/simulator/metacontroller.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { CHILD_NOT_CREATED, NOT_CREATED_GRACE_SECONDS } from '../../lib/sync/absent.ts';
import { layers } from '../../lib/sync/index.ts';
import { ensureCrds, ensureMetacontrollerIdentity } from './support/install.ts';
import { apply, createNamespace, deleteNamespace, list, type Obj, read, replaceStatus, uniqueName } from './support/kube.ts';
import { EXAMPLES_DIR, renderCluster } from './support/render.ts';
import { applyTree, loadStrategies, newTreeState } from './support/tree.ts';

const CONTROLLERS = loadControllers();
const VITESS = 'vitess.io/v1alpha1';
type Condition = { type: string; status: string; reason: string; message: string };
type Status = { conditions?: Condition[]; notCreated?: { child: string; owner: string; since: string }[]; awaitingCreation?: { child: string; since: string }[] };

/** The children of `parent` the API server holds, per child type, as Metacontroller's request carries them. */
async function observed(controller: ControllerSpec, parent: Obj, namespace: string): Promise<Map<string, Map<string, KubeObject>>> {
  const byType = new Map<string, Map<string, KubeObject>>();
  for (const type of controller.children) {
    const group = new Map<string, KubeObject>();
    for (const o of await list(type.apiVersion, type.kind, namespace)) {
      const owner = (o.metadata.ownerReferences ?? []).find((r) => r.controller);
      if (owner?.uid !== parent.metadata.uid) continue;
      group.set(controller.hookVersion === 'v2' ? `${namespace}/${o.metadata.name}` : o.metadata.name, { ...o, apiVersion: type.apiVersion, kind: type.kind } as KubeObject);
    }
    byType.set(`${type.kind}.${type.apiVersion}`, group);
  }
  return byType;
}

/**
 * One sync of a live parent, as Metacontroller does it: the hook's answer, each absent child created
 * (owned by the parent; what the API server refuses is returned), the status written.
 */
async function syncLive(hook: string, kind: string, name: string, namespace: string, now: Date): Promise<{ response: SyncResponse; refused: string[] }> {
  const controller = CONTROLLERS.find((c) => c.hook === hook)!;
  const layer = layers.find((l) => l.name === hook)!;
  const parent = (await read({ apiVersion: VITESS, kind, metadata: { name, namespace } }))!;
  const children = await observed(controller, parent, namespace);
  const body = JSON.parse(JSON.stringify(buildRequest(controller, { ...parent, apiVersion: VITESS, kind } as KubeObject, children))) as unknown;
  const response = layer.sync(parseSyncRequest(body, kind), { now });
  const present = new Set([...children.values()].flatMap((group) => [...group.values()].map((c) => `${c.kind}/${c.metadata.name}`)));
  const refused: string[] = [];
  for (const child of response.children) {
    if (present.has(`${child.kind}/${child.metadata.name}`)) continue;
    const owned = { ...child, metadata: { ...child.metadata, namespace, ownerReferences: [{ apiVersion: VITESS, kind, name, uid: parent.metadata.uid!, controller: true, blockOwnerDeletion: true }] } } as unknown as Obj;
    try {
      await apply(owned, { as: 'metacontroller' });
    } catch (e) {
      refused.push(`${child.kind}/${child.metadata.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  await replaceStatus({ ...parent, apiVersion: VITESS, kind }, JSON.parse(JSON.stringify(response.status)) as Record<string, unknown>, 'metacontroller');
  return { response, refused };
}

async function statusOf(kind: string, name: string, namespace: string): Promise<Status> {
  return ((await read({ apiVersion: VITESS, kind, metadata: { name, namespace } }))?.status ?? {}) as Status;
}

const readyOf = (status: Status): Condition | undefined => status.conditions?.find((c) => c.type === 'Ready');

describe('a tablet Pod refused for a missing PriorityClass: ChildNotCreated at the shard, carried to the VitessCluster', () => {
  const namespace = uniqueName('e2e-not-created');
  const priorityClass = uniqueName('e2e-never-created');
  let rendered: Obj[] = [];
  const byKind = (kind: string): string[] => rendered.filter((o) => o.kind === kind).map((o) => o.metadata.name);

  beforeAll(async () => {
    await ensureCrds();
    // applyTree and the syncs below write children and statuses as Metacontroller does, with its ClusterRole only.
    await ensureMetacontrollerIdentity();
    await createNamespace(namespace);
    const cluster = parseClusterYaml(readFileSync(join(EXAMPLES_DIR, 'minimal.yaml'), 'utf8')) as unknown as Obj & { spec: { keyspaces: { tablets?: { defaults?: object } }[] } };
    cluster.metadata.namespace = namespace;
    for (const keyspace of cluster.spec.keyspaces) keyspace.tablets = { ...keyspace.tablets, defaults: { ...keyspace.tablets?.defaults, priorityClassName: priorityClass } };
    rendered = await renderCluster(cluster, namespace);
  });

  afterAll(async () => {
    await deleteNamespace(namespace);
  });

  test('the tree is applied: every tablet Pod is refused by the API server (no such PriorityClass), nothing else', async () => {
    const report = await applyTree(rendered, newTreeState(namespace), loadStrategies());
    const pods = rendered.filter((o) => o.kind === 'Pod' && (o.spec as { priorityClassName?: string }).priorityClassName === priorityClass).map((o) => `Pod/${namespace}/${o.metadata.name}`);
    expect(pods.length).toBeGreaterThan(0);
    // applyTree names each refused object `Kind/namespace/name: <the API server's error>`.
    expect(report.errors.map((e) => e.split(':')[0]).sort()).toEqual(pods.sort());
    for (const error of report.errors) expect(error).toContain(`no PriorityClass with name ${priorityClass} was found`);
  }, 60_000);

  test('within the grace period the shard remembers since when each Pod is absent; after it, Ready=False ChildNotCreated names them', async () => {
    const start = new Date();
    for (const shard of byKind('VitessShard')) {
      const first = await syncLive('sync-shard', 'VitessShard', shard, namespace, start);
      expect(first.refused.length).toBeGreaterThan(0);
      for (const r of first.refused) expect(r).toContain('no PriorityClass with name');
      const remembered = await statusOf('VitessShard', shard, namespace);
      const awaited = new Set(remembered.awaitingCreation?.map((a) => a.child));
      for (const r of first.refused) expect(awaited.has(r.split(':')[0]!)).toBe(true);
      expect(readyOf(remembered)?.reason).not.toBe(CHILD_NOT_CREATED);

      // The status read back from the API server is the memory: the next sync, past the grace period.
      const later = new Date(start.getTime() + (NOT_CREATED_GRACE_SECONDS + 1) * 1000);
      await syncLive('sync-shard', 'VitessShard', shard, namespace, later);
      const status = await statusOf('VitessShard', shard, namespace);
      const ready = readyOf(status)!;
      expect({ status: ready.status, reason: ready.reason }).toEqual({ status: 'False', reason: CHILD_NOT_CREATED });
      expect(ready.message).toContain(`kubectl describe vitessshard ${shard} -n ${namespace}`);
      expect(status.notCreated?.map((n) => n.child).sort()).toEqual(first.refused.map((r) => r.split(':')[0]!).sort());
      const since = new Map(remembered.awaitingCreation?.map((a) => [a.child, a.since]));
      for (const n of status.notCreated ?? []) expect(n).toEqual({ child: n.child, owner: `VitessShard/${shard}`, since: since.get(n.child)! });
    }
  }, 60_000);

  test('the keyspace, the cell and the VitessCluster carry it up: `kubectl get vt` shows ChildNotCreated and the message names the shard', async () => {
    const later = new Date(Date.now() + (NOT_CREATED_GRACE_SECONDS + 1) * 1000);
    for (const [hook, kind] of [
      ['sync-keyspace', 'VitessKeyspace'],
      ['sync-cell', 'VitessCell'],
      ['sync-cluster', 'VitessCluster'],
    ] as const) {
      for (const name of byKind(kind)) await syncLive(hook, kind, name, namespace, later);
    }
    const [top] = byKind('VitessCluster');
    const status = await statusOf('VitessCluster', top!, namespace);
    const ready = readyOf(status)!;
    expect({ status: ready.status, reason: ready.reason }).toEqual({ status: 'False', reason: CHILD_NOT_CREATED });
    for (const shard of byKind('VitessShard')) expect(ready.message).toContain(`kubectl describe vitessshard ${shard} -n ${namespace}`);
    expect(status.notCreated?.length).toBe(rendered.filter((o) => o.kind === 'Pod' && (o.spec as { priorityClassName?: string }).priorityClassName === priorityClass).length);
  }, 60_000);
});
