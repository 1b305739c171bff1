/**
 * examples/multi-cell.yaml run for real (a global cell with the global topology and vtctld, two data
 * cells each with its own etcd, vtgate and vtorc, one sharded keyspace in both data cells), scaled to
 * the harness machine: the example asks for 32 tablets (4 shards x 2 cells x 4) and 9 etcd members,
 * which do not fit 2 cores and a few GB beside the rest. Every change to the example is in
 * runner/examples.ts (scaledMultiCell) and in docs/vitess-harness.md; the topology layout, the cells and their components, the flags
 * and the probes are the example's as rendered.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { everyPodReady, READY_WAIT_MS, ROOT, runRoot, secret, shardPrimary, tools, until } from './runner/checks.ts';
import { Driver, type Driven } from './runner/driver.ts';
import { scaledMultiCell as scaled } from './runner/examples.ts';
import { PodRunner, type RunPod } from './runner/runner.ts';

const RUN_ROOT = runRoot('multi-cell');
const DATA_CELLS = ['eu-west-1a', 'eu-west-1b'];
const SHARDS = ['-80', '80-'];

let runner: PodRunner;
let startup: Driven;
let startupMs = 0;
const example = parseClusterYaml(readFileSync(join(ROOT, 'examples/multi-cell.yaml'), 'utf8')) as KubeObject & { spec: any };

/** The example's MySQL users (its vtgates are behind a LoadBalancer, which needs them): one for the harness. */
const HARNESS_PASSWORD = 'harness-password';
const usersSecret = (): KubeObject => {
  const users = secret(example.spec.mysqlUsers.secretName, { 'users.json': JSON.stringify({ harness: [{ Password: HARNESS_PASSWORD, UserData: 'harness' }] }) });
  // In the example's namespace, where its vtgates mount it.
  return { ...users, metadata: { ...users.metadata, namespace: example.metadata.namespace ?? 'default' } };
};

const vtctld = (...args: string[]) => runner.node([join(tools.vitessDir, 'bin', 'vtctldclient'), '--server=shop-global-vtctld:15999', ...args]);
const vtgateOf = (cell: string): RunPod => runner.pods.find((p) => p.labels['vitess.io/component'] === 'vtgate' && p.labels['vitess.io/cell'] === cell) as RunPod;
const mysql = (cell: string, sql: string, target = 'orders') =>
  runner.node(['/usr/bin/mysql', '--protocol=TCP', '-h', vtgateOf(cell).ip, '-P', '3306', '-u', 'harness', `--password=${HARNESS_PASSWORD}`, '--batch', '--skip-column-names', '-D', target, '-e', sql], { rootfs: tools.mysqlRoot });
const primaryOf = (shard: string): string | undefined => shardPrimary(vtctld('GetShard', `orders/${shard}`).stdout);

beforeAll(async () => {
  const t0 = Date.now();
  runner = new PodRunner(tools, RUN_ROOT, 'vm');
  await runner.start();
  startup = await new Driver(runner, [usersSecret(), scaled(example)]).converge(READY_WAIT_MS);
  startupMs = Date.now() - t0;
  console.log(`multi-cell start-up: ${(startupMs / 1000).toFixed(0)} s, ${startup.rounds} rounds, converged ${startup.converged}; ${runner.pods.length} pods, not Ready: ${runner.pods.filter((p) => !runner.isReady(p)).map((p) => p.name).join(', ') || 'none'}`);
});

afterAll(async () => {
  await runner?.stop();
});

describe('examples/multi-cell.yaml (scaled) on real Vitess, driven by the simulator', () => {
  test('the hooks converge over real processes: every Pod Ready by its own probes, every Job completed', () => {
    everyPodReady(runner, startup, startupMs);
    expect(runner.pods.filter((p) => p.labels['vitess.io/component'] === 'vttablet').length).toBe(SHARDS.length * DATA_CELLS.length);
  });

  test('vtorc elects a primary for every shard', async () => {
    const primaries = await until(() => {
      const got = SHARDS.map(primaryOf);
      return got.every(Boolean) ? got : undefined;
    }, 90000);
    console.log(`primaries: ${SHARDS.map((s, i) => `${s}=${primaries?.[i] ?? 'none'}`).join(', ')}`);
    expect(primaries, SHARDS.map((s) => vtctld('GetShard', `orders/${s}`).stdout).join('\n')).toBeDefined();
  });

  test('a vtgate in each data cell writes to and reads from every shard, wherever its primary is', async () => {
    const vschema = JSON.stringify({ sharded: true, vindexes: { hash: { type: 'hash' } }, tables: { harness: { column_vindexes: [{ column: 'id', name: 'hash' }] } } });
    const applied = vtctld('ApplyVSchema', `--vschema=${vschema}`, 'orders');
    expect(applied.status, applied.stderr).toBe(0);
    let last = mysql(DATA_CELLS[0] as string, 'SELECT 1');
    const created = await until(() => {
      last = mysql(DATA_CELLS[0] as string, 'CREATE TABLE IF NOT EXISTS harness (id BIGINT PRIMARY KEY, cell VARCHAR(32))');
      return last.status === 0 ? true : undefined;
    }, 60000);
    expect(created, last.stderr).toBe(true);
    // Ten rows from each cell's vtgate: the hash vindex spreads them over both shards.
    for (const [c, cell] of DATA_CELLS.entries()) {
      const rows = Array.from({ length: 10 }, (_, i) => `(${c * 100 + i + 1}, '${cell}')`).join(', ');
      const done = await until(() => {
        last = mysql(cell, `INSERT IGNORE INTO harness VALUES ${rows}`); // idempotent when retried (REPLACE is unsupported in sharded keyspaces)
        return last.status === 0 ? true : undefined;
      }, 60000);
      expect(done, `insert through ${cell}'s vtgate: ${last.stderr}`).toBe(true);
    }
    for (const cell of DATA_CELLS) {
      const all = mysql(cell, 'SELECT cell, count(*) FROM harness GROUP BY cell ORDER BY cell');
      expect(all.stdout.trim().split('\n'), `${cell}: ${all.stderr}`).toEqual(DATA_CELLS.map((c) => `${c}\t10`));
      for (const shard of SHARDS) {
        const n = mysql(cell, 'SELECT count(*) FROM harness', `orders:${shard}`);
        expect(Number(n.stdout.trim()), `${cell} -> orders:${shard}: ${n.stderr}`).toBeGreaterThan(0);
      }
    }
    // Each shard's primary is in one of the two cells, and both cells' vtgates wrote to it: one of them
    // reached it across cells (vtgate's --cells-to-watch spans every cell of its keyspaces).
    console.log(`primaries by cell: ${SHARDS.map((s) => `${s}=${primaryOf(s)}`).join(', ')}`);
  });
});
