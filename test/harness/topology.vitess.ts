/**
 * The topology follows the spec down, on real Vitess (issue 17 item 4; docs/decisions/0023-topology-follows-the-spec.md):
 * examples/minimal.yaml plus a sharded keyspace `scratch` (`-80`, `80-`, one tablet each). Scaling
 * commerce's replica pool down by one leaves no record of the removed tablet (GetTablets); removing
 * shard `80-` of scratch with confirmRemoval removes its tablets' records and the shard's own
 * (GetShard, FindAllShardsInKeyspace), while `-80` keeps serving. Then a second cell `zone2` (no etcd of
 * its own: its topology is the global etcd under /vitess/zone2) runs commerce too (scratch, with a hole
 * in its key space since `80-` left, cannot have a serving graph built in a new cell); removing commerce
 * from zone2 only deletes its SrvKeyspace there (GetSrvKeyspaces) while zone1 serves on; removing zone2
 * with confirmRemoval deletes its CellInfo (GetCellInfoNames) and leaves nothing under /vitess/zone2.
 * Run by test/harness/run.sh (npm run test:vitess), as root.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import { Driver, type Driven } from './runner/driver.ts';
import { PodRunner, type RunPod } from './runner/runner.ts';
import { everyPodReady, READY_WAIT_MS, ROOT, runRoot, shardPrimary, tools, until } from './runner/checks.ts';

const RUN_ROOT = runRoot('topology');
const EDIT_WAIT_MS = Number(process.env.VITESS_ROLLOUT_WAIT_S ?? 600) * 1000;
const SCRATCH_80_X = 'mini-zone1-scratch-80-x';
const ZONE2 = 'mini-zone2';
const ZONE2_COMMERCE = 'mini-zone2-commerce';

type Spec = Record<string, any>;

let runner: PodRunner;
let driver: Driver;
let startup: Driven;
let startupMs = 0;
const base = parseClusterYaml(readFileSync(join(ROOT, 'examples/minimal.yaml'), 'utf8')) as KubeObject & { spec: Spec };

function clusterWith(edit: (spec: Spec) => void): KubeObject {
  const cluster = structuredClone(base) as KubeObject & { spec: Spec };
  cluster.spec.keyspaces[0].tablets.replica.replicas = 3;
  cluster.spec.keyspaces.push({
    name: 'scratch',
    cells: ['zone1'],
    shards: [{ keyRange: { start: '', end: '80' } }, { keyRange: { start: '80', end: '' } }],
    tablets: { replica: { replicas: 1, volumeClaim: { resources: { requests: { storage: '5Gi' } } } } },
  });
  edit(cluster.spec);
  return cluster;
}

const vtctld = (...args: string[]) => runner.node([join(tools.vitessDir, 'bin', 'vtctldclient'), '--server=mini-zone1-vtctld:15999', ...args]);
const tabletPods = (): RunPod[] => runner.pods.filter((p) => p.labels['vitess.io/component'] === 'vttablet');
/** Every tablet alias in the topology (GetTablets' first column). */
const recordedAliases = (): string[] =>
  vtctld('GetTablets')
    .stdout.split('\n')
    .filter(Boolean)
    .map((line) => line.split(/\s+/)[0] as string)
    .sort();
const aliasOf = (pod: RunPod): string => `zone1-${pod.name.slice(-10)}`;

beforeAll(async () => {
  const t0 = Date.now();
  runner = new PodRunner(tools, RUN_ROOT);
  await runner.start();
  driver = new Driver(runner, [clusterWith(() => {})]);
  startup = await driver.converge(READY_WAIT_MS);
  startupMs = Date.now() - t0;
  console.log(`start-up: ${(startupMs / 1000).toFixed(0)} s, ${startup.rounds} rounds, converged ${startup.converged}`);
});

afterAll(async () => {
  await runner?.stop();
});

describe('the topology follows the spec, on real Vitess', () => {
  test('start-up: every tablet registered, every shard has a primary', async () => {
    everyPodReady(runner, startup, startupMs);
    expect(tabletPods()).toHaveLength(5);
    const want = tabletPods().map(aliasOf).sort();
    expect(await until(() => (JSON.stringify(recordedAliases()) === JSON.stringify(want) ? true : undefined), 60_000)).toBe(true);
    for (const shard of ['commerce/0', 'scratch/-80', 'scratch/80-']) {
      expect(await until(() => shardPrimary(vtctld('GetShard', shard).stdout), 120_000), shard).toBeDefined();
    }
  });

  test("scaling commerce's replica pool down by one leaves no record of the removed tablet", async () => {
    const before = tabletPods().filter((p) => p.labels['vitess.io/keyspace'] === 'commerce');
    const t0 = Date.now();
    driver.apply(clusterWith((spec) => (spec.keyspaces[0].tablets.replica.replicas = 2)));
    const scaled = await driver.converge(EDIT_WAIT_MS);
    const after = tabletPods().filter((p) => p.labels['vitess.io/keyspace'] === 'commerce');
    const removed = before.filter((p) => !after.some((q) => q.name === p.name)).map(aliasOf);
    const jobs = scaled.actions.filter((a) => a.action.verb === 'create' && a.action.object?.includes('-unregister')).map((a) => a.action.object);
    console.log(`scale-down: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${scaled.rounds} rounds, converged ${scaled.converged}; removed ${removed.join(', ')}; Jobs created: ${jobs.join(', ')}`);
    expect(scaled.converged).toBe(true);
    expect(removed).toHaveLength(1);
    const aliases = recordedAliases();
    expect(aliases).not.toContain(removed[0]);
    // The tablets that stay keep their records, and the shard its primary.
    for (const pod of after) expect(aliases).toContain(aliasOf(pod));
    expect(shardPrimary(vtctld('GetShard', 'commerce/0').stdout)).toBeDefined();
  });

  test('shard 80- of scratch removed with confirmRemoval: its tablets, their records and its record are gone; -80 serves on', async () => {
    const shardTablets = tabletPods().filter((p) => p.labels['vitess.io/keyspace'] === 'scratch' && p.labels['vitess.io/shard'] === '80-x').map(aliasOf);
    expect(shardTablets).toHaveLength(1);
    const t0 = Date.now();
    driver.apply(
      clusterWith((spec) => {
        spec.keyspaces[0].tablets.replica.replicas = 2;
        spec.keyspaces[1].shards = spec.keyspaces[1].shards.slice(0, 1);
        spec.confirmRemoval = [SCRATCH_80_X];
      }),
    );
    const removed = await driver.converge(EDIT_WAIT_MS);
    console.log(`shard removal: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${removed.rounds} rounds, converged ${removed.converged}`);
    expect(removed.converged).toBe(true);
    expect(tabletPods().filter((p) => p.labels['vitess.io/shard'] === '80-x')).toEqual([]);
    const getShard = vtctld('GetShard', 'scratch/80-');
    expect(getShard.status).not.toBe(0);
    expect(getShard.stderr + getShard.stdout).toContain("node doesn't exist");
    const shards = vtctld('FindAllShardsInKeyspace', 'scratch');
    expect(shards.status).toBe(0);
    expect(shards.stdout).toContain('"-80"');
    expect(shards.stdout).not.toContain('"80-"');
    const aliases = recordedAliases();
    for (const alias of shardTablets) expect(aliases).not.toContain(alias);
    expect(shardPrimary(vtctld('GetShard', 'scratch/-80').stdout)).toBeDefined();
    // The serving graph no longer names the shard.
    const srv = vtctld('GetSrvKeyspaces', 'scratch', 'zone1');
    expect(srv.stdout).not.toContain('"80-"');
  });
});

/** The spec after the shard removal: scratch has `-80` only. */
function afterShardRemoval(spec: Spec): void {
  spec.keyspaces[0].tablets.replica.replicas = 2;
  spec.keyspaces[1].shards = spec.keyspaces[1].shards.slice(0, 1);
  spec.confirmRemoval = [SCRATCH_80_X];
}

/** Keys under a prefix of the global etcd (the one etcd of the cluster: zone2's topology lives there too). */
const etcdKeys = (prefix: string): string[] => {
  const etcd = runner.pods.find((p) => p.labels['vitess.io/component'] === 'etcd') as RunPod;
  const out = runner.node(['timeout', '20', join(tools.vitessDir, 'bin', 'etcdctl'), `--endpoints=http://${etcd.ip}:2379`, '--dial-timeout=5s', 'get', prefix, '--prefix', '--keys-only']);
  expect(out.status, out.stderr).toBe(0);
  return out.stdout.split('\n').filter(Boolean);
};
/** A vtctldclient answer with white space removed (protojson's spacing varies by build). */
const compact = (text: string): string => text.replace(/\s/g, '');
const cellNames = (): string[] => vtctld('GetCellInfoNames').stdout.split('\n').filter(Boolean).sort();

describe('a second cell, then a keyspace removed from it, then the cell removed, on real Vitess', () => {
  test('zone2 added with two tablets of commerce/0: registered, with its own SrvKeyspace and SrvVSchema', async () => {
    const t0 = Date.now();
    driver.apply(
      clusterWith((spec) => {
        afterShardRemoval(spec);
        spec.cells.push({ name: 'zone2' });
        spec.keyspaces[0].cells = ['zone1', 'zone2'];
      }),
    );
    const added = await driver.converge(EDIT_WAIT_MS);
    console.log(`zone2 added: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${added.rounds} rounds, converged ${added.converged}`);
    expect(added.converged).toBe(true);
    expect(cellNames()).toEqual(['zone1', 'zone2']);
    expect(tabletPods().filter((p) => p.labels['vitess.io/cell'] === 'zone2')).toHaveLength(2);
    // vttablet builds its cell's serving graph when it finds none (tm_init: rebuild for its own cell).
    expect(await until(() => (compact(vtctld('GetSrvKeyspaces', 'commerce', 'zone2').stdout).includes('"name":"0"') ? true : undefined), 120_000)).toBe(true);
    expect(vtctld('GetSrvVSchema', 'zone2').status).toBe(0);
    console.log(`etcd keys under /vitess/zone2 before: ${etcdKeys('/vitess/zone2/').join(', ')}`);
  });

  test('commerce removed from zone2 only: its tablets and its SrvKeyspace in zone2 are gone; zone1 serves commerce/0 on', async () => {
    const zone2Aliases = tabletPods().filter((p) => p.labels['vitess.io/cell'] === 'zone2').map((p) => `zone2-${p.name.slice(-10)}`);
    expect(zone2Aliases).toHaveLength(2);
    const t0 = Date.now();
    driver.apply(
      clusterWith((spec) => {
        afterShardRemoval(spec);
        spec.cells.push({ name: 'zone2' });
        spec.confirmRemoval = [SCRATCH_80_X, ZONE2_COMMERCE];
      }),
    );
    const removed = await driver.converge(EDIT_WAIT_MS);
    const jobs = removed.actions.filter((a) => a.action.verb === 'create' && a.action.object?.includes('-unregister')).map((a) => a.action.object);
    console.log(`commerce out of zone2: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${removed.rounds} rounds, converged ${removed.converged}; Jobs created: ${jobs.join(', ')}`);
    expect(removed.converged).toBe(true);
    expect(jobs.some((job) => job?.includes(`${ZONE2_COMMERCE}-unregister`))).toBe(true);
    expect(tabletPods().filter((p) => p.labels['vitess.io/cell'] === 'zone2')).toEqual([]);
    const aliases = recordedAliases();
    for (const alias of zone2Aliases) expect(aliases).not.toContain(alias);
    const zone2 = vtctld('GetSrvKeyspaces', 'commerce', 'zone2');
    console.log(`GetSrvKeyspaces commerce zone2: status ${zone2.status}, ${(zone2.stdout + zone2.stderr).trim().slice(0, 300)}`);
    expect(compact(zone2.stdout)).not.toContain('"name":"0"');
    const left = etcdKeys('/vitess/zone2/keyspaces/commerce/');
    console.log(`etcd keys under /vitess/zone2/keyspaces/commerce: ${left.length === 0 ? 'none' : left.join(', ')}`);
    expect(left).toEqual([]);
    // The keyspace lives on in zone1: its record, its shard, its serving graph, its primary.
    expect(vtctld('GetKeyspace', 'commerce').status).toBe(0);
    expect(compact(vtctld('GetSrvKeyspaces', 'commerce', 'zone1').stdout)).toContain('"name":"0"');
    expect(shardPrimary(vtctld('GetShard', 'commerce/0').stdout)).toBeDefined();
  });

  test('zone2 removed with confirmRemoval: its CellInfo is gone and nothing of it is left in the topology', async () => {
    const t0 = Date.now();
    driver.apply(
      clusterWith((spec) => {
        afterShardRemoval(spec);
        spec.confirmRemoval = [SCRATCH_80_X, ZONE2];
      }),
    );
    const removed = await driver.converge(EDIT_WAIT_MS);
    const jobs = removed.actions.filter((a) => a.action.verb === 'create' && a.action.object?.includes('-unregister')).map((a) => a.action.object);
    console.log(`zone2 removed: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${removed.rounds} rounds, converged ${removed.converged}; Jobs created: ${jobs.join(', ')}`);
    expect(removed.converged).toBe(true);
    expect(jobs.some((job) => job?.includes(`${ZONE2}-unregister`))).toBe(true);
    expect(cellNames()).toEqual(['zone1']);
    const left = etcdKeys('/vitess/zone2/');
    console.log(`etcd keys under /vitess/zone2 after: ${left.length === 0 ? 'none' : left.join(', ')}`);
    expect(left).toEqual([]);
    // zone1 serves on.
    expect(compact(vtctld('GetSrvKeyspaces', 'commerce', 'zone1').stdout)).toContain('"name":"0"');
    expect(shardPrimary(vtctld('GetShard', 'commerce/0').stdout)).toBeDefined();
  });
});
