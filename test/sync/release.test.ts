/**
 * Deleting a VitessCluster (lib/sync/release.ts, docs/decisions/0013-deletion-policy.md), played by
 * the simulator: our CompositeControllers (the cluster's finalize hook), Metacontroller's finalizer,
 * claim and release, and the garbage collector's background propagation.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { deleteByUser } from '../../lib/simulator/metacontroller.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { converge, runRound, simulate, type SimulateOptions } from '../../lib/simulator/simulate.ts';
import { allObjects, createObject, getObject, type ClusterState } from '../../lib/simulator/store.ts';
import { layers } from '../../lib/sync/index.ts';
import { RELEASED_LABEL } from '../../lib/sync/release.ts';

const ROOT = join(import.meta.dir, '..', '..');
const START = new Date('2026-01-01T00:00:00Z');
const OPTIONS: SimulateOptions = { controllers: loadControllers(), layers, kubelet: true, start: START, maxRounds: 300 };
const CLUSTER_KEY = 'default/VitessCluster/mini';

function minimal(deletionPolicy?: 'Retain' | 'Delete'): KubeObject {
  const cluster = parseClusterYaml(readFileSync(join(ROOT, 'examples', 'minimal.yaml'), 'utf8'));
  return deletionPolicy === undefined ? cluster : { ...cluster, spec: { ...(cluster.spec as object), deletionPolicy } };
}

function kinds(state: ClusterState): string[] {
  return [...new Set(allObjects(state).map((o) => o.kind))].sort();
}

function named(state: ClusterState, kind: string): KubeObject[] {
  return allObjects(state).filter((o) => o.kind === kind);
}

function convergedThenDeleted(cluster: KubeObject) {
  const created = simulate([cluster], OPTIONS);
  expect(created.converged).toBe(true);
  const deleted = deleteByUser(created.state, CLUSTER_KEY, new Date(START.getTime() + 3_600_000));
  const after = converge(deleted.state, OPTIONS, created.steps);
  expect(after.converged).toBe(true);
  expect(after.errors).toEqual([]);
  return { created, deleted, after };
}

describe('deleting a VitessCluster', () => {
  test('Metacontroller holds it with its finalizer: the user delete only marks it, nothing below goes', () => {
    const created = simulate([minimal()], OPTIONS);
    const cluster = getObject(created.state, CLUSTER_KEY) as KubeObject;
    expect(cluster.metadata.finalizers).toEqual(['metacontroller.io/compositecontroller-vitess-cluster']);
    const deleted = deleteByUser(created.state, CLUSTER_KEY, START);
    expect(getObject(deleted.state, CLUSTER_KEY)?.metadata.deletionTimestamp).toBeDefined();
    expect(allObjects(deleted.state).length).toBe(allObjects(created.state).length);
  });

  test('Retain (the default): every PVC survives, released (no ownerReference), labels intact; nothing else of ours is left', () => {
    const { created, after } = convergedThenDeleted(minimal());
    const before = named(created.state, 'PersistentVolumeClaim');
    const left = named(after.state, 'PersistentVolumeClaim');
    // The two tablets' volumes (the simulator runs no StatefulSet controller, so etcd's claim is not modelled).
    expect(before.length).toBe(2);
    expect(left.map((pvc) => pvc.metadata.name).sort()).toEqual(before.map((pvc) => pvc.metadata.name).sort());
    for (const pvc of left) {
      expect(pvc.metadata.ownerReferences ?? []).toEqual([]);
      expect(pvc.metadata.labels).toEqual(before.find((b) => b.metadata.name === pvc.metadata.name)?.metadata.labels);
    }
    expect(kinds(after.state)).toEqual(['PersistentVolumeClaim']);
    // The tablets stopped before their volumes left the tree.
    const verbs = after.steps.flatMap((step) => step.actions);
    const lastPodDelete = verbs.findLastIndex((a) => a.verb === 'delete' && a.object.startsWith('Pod/'));
    const firstRelease = verbs.findIndex((a) => a.verb === 'release' && a.object.startsWith('PersistentVolumeClaim/'));
    expect(lastPodDelete).toBeGreaterThanOrEqual(0);
    expect(firstRelease).toBeGreaterThan(lastPodDelete);
  });

  test('Retain: a VitessCluster created again with the same spec adopts the volumes and its tablets reattach them', () => {
    const { after } = convergedThenDeleted(minimal());
    const uids = new Map(named(after.state, 'PersistentVolumeClaim').map((pvc) => [pvc.metadata.name, pvc.metadata.uid]));
    const recreated = createObject(after.state, minimal(), new Date(START.getTime() + 7_200_000)).state;
    const result = converge(recreated, OPTIONS, after.steps);
    expect(result.converged).toBe(true);
    const claims = named(result.state, 'PersistentVolumeClaim');
    expect(claims.map((pvc) => [pvc.metadata.name, pvc.metadata.uid]).sort()).toEqual([...uids.entries()].sort());
    expect(claims.every((pvc) => pvc.metadata.ownerReferences?.some((r) => r.kind === 'VitessShard' && r.controller === true))).toBe(true);
    expect(result.steps.flatMap((step) => step.actions).filter((a) => a.verb === 'adopt').map((a) => a.object).sort()).toEqual(claims.map((pvc) => `PersistentVolumeClaim/default/${pvc.metadata.name}`).sort());
    expect(named(result.state, 'Pod').length).toBe(2);
  });

  test('Delete: finalized at once, the garbage collector takes the tablet PVCs with everything else', () => {
    const { after } = convergedThenDeleted(minimal('Delete'));
    expect(allObjects(after.state)).toEqual([]);
    expect(after.steps.flatMap((step) => step.actions).some((a) => a.verb === 'release')).toBe(false);
  });

  test('a shard releases its PVCs only with the released label in its selector, after its Pods are gone', () => {
    const created = simulate([minimal()], OPTIONS);
    let state = deleteByUser(created.state, CLUSTER_KEY, START).state;
    let released = 0;
    for (let round = 1; round < 40 && getObject(state, CLUSTER_KEY) !== undefined; round++) {
      const result = runRound(state, OPTIONS.controllers, layers, round, new Date(START.getTime() + round * 10_000), {});
      for (const action of result.actions.filter((a) => a.verb === 'release')) {
        released += 1;
        const shardRef = action.by.split('/');
        // Within a round the keyspace syncs before its shards: the selector it wrote is in this round's result.
        const shard = getObject(result.state, `${shardRef[1]}/${shardRef[0]}/${shardRef[2]}`) as KubeObject;
        const spec = shard.spec as { selector: { matchLabels: Record<string, string> }; releaseVolumes?: boolean };
        expect(spec.releaseVolumes).toBe(true);
        expect(spec.selector.matchLabels[RELEASED_LABEL]).toBe('true');
        expect(named(state, 'Pod')).toEqual([]);
      }
      state = result.state;
    }
    expect(released).toBe(2);
    expect(getObject(state, CLUSTER_KEY)).toBeUndefined();
  });
});
