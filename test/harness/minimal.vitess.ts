/**
 * examples/minimal.yaml as rendered, run for real: the simulator's converged tree under the Pod runner
 * (real etcd, vtctld, vtorc, vtgate, vttablet, mysqlctld; mysqld is the host's, see
 * docs/vitess-harness.md). Each test checks one "Done when" of issue 8 against the live processes.
 * Run by test/harness/run.sh (npm run test:vitess), as root.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PodRunner, type RunPod } from './runner/runner.ts';

const ROOT = join(import.meta.dir, '..', '..');
const RUN_ROOT = process.env.VITESS_RUN_ROOT ?? join(ROOT, '.cache', 'vitess-run');
const tools = { vitessDir: process.env.VITESS_DIR as string, etcdBin: process.env.ETCD_BIN as string, mysqlRoot: process.env.MYSQL_ROOT as string };
const READY_WAIT_MS = Number(process.env.VITESS_READY_WAIT_S ?? 180) * 1000;

let runner: PodRunner;
let startupMs = 0;

function render(): any[] {
  const r = spawnSync(process.execPath, ['run', join(ROOT, 'scripts/render.ts'), join(ROOT, 'examples/minimal.yaml'), '--ready', '--output', 'json'], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`render failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The last error-looking lines of a Pod's container logs: what a failure message shows. */
function errors(p: RunPod): string {
  const out: string[] = [];
  for (const c of [...(p.spec.initContainers ?? []), ...p.spec.containers]) {
    for (const f of [`init-${c.name}.log`, `${c.name}.log`]) {
      const file = join(p.dir, f);
      if (!existsSync(file)) continue;
      const lines = readFileSync(file, 'utf8').split('\n').filter((l) => /ERROR|FATAL|^Error|[Ff]ailed/.test(l) && !/syslog/.test(l));
      out.push(...lines.slice(-2).map((l) => `  ${p.name}/${f}: ${l.slice(0, 400)}`));
    }
  }
  return out.join('\n');
}

async function until<T>(what: () => T | undefined, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== undefined || Date.now() > end) return v;
    await Bun.sleep(2000);
  }
}

const vtctld = (...args: string[]) => runner.node([join(tools.vitessDir, 'bin', 'vtctldclient'), '--server=mini-zone1-vtctld:15999', ...args]);

beforeAll(async () => {
  // A new cluster each run: PVC folders outlive Pods within a run, not across runs.
  rmSync(RUN_ROOT, { recursive: true, force: true });
  const t0 = Date.now();
  runner = new PodRunner(render(), tools, RUN_ROOT);
  await runner.start();
  await until(() => (runner.pods.every((p) => runner.isReady(p)) ? true : undefined), READY_WAIT_MS);
  startupMs = Date.now() - t0;
  console.log(`runner start-up: ${(startupMs / 1000).toFixed(0)} s; pods: ${runner.pods.map((p) => `${p.name}=${runner.isReady(p) ? 'Ready' : 'NotReady'}(restarts ${p.restarts})`).join(', ')}`);
});

afterAll(async () => {
  await runner?.stop();
});

describe('examples/minimal.yaml on real Vitess', () => {
  test('every Pod is Ready by its own readiness probes (every Job completed)', () => {
    const notReady = runner.pods.filter((p) => !runner.isReady(p));
    if (notReady.length > 0) throw new Error(`not Ready after ${READY_WAIT_MS / 1000} s: ${notReady.map((p) => p.name).join(', ')}\n${notReady.map(errors).join('\n')}`);
    expect(notReady).toEqual([]);
  });

  test('every tablet Pod registers in the topology (vtctldclient GetTablets)', async () => {
    const tabletPods = runner.pods.filter((p) => p.labels['vitess.io/component'] === 'vttablet').map((p) => p.ip).sort();
    const got = await until(() => {
      const r = vtctld('GetTablets');
      const ips = r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[5]?.split(':')[0] as string).sort();
      return r.status === 0 && JSON.stringify(ips) === JSON.stringify(tabletPods) ? ips : undefined;
    }, 30000);
    expect(got ?? vtctld('GetTablets').stdout + vtctld('GetTablets').stderr).toEqual(tabletPods);
  });

  test('the shard commerce/0 has a primary, elected by what the manifests set up', async () => {
    const primary = await until(() => {
      const r = vtctld('GetShard', 'commerce/0');
      return r.status === 0 && /"primary_alias":\s*\{/.test(r.stdout) ? r.stdout : undefined;
    }, 60000);
    const vtorc = runner.pods.find((p) => p.labels['vitess.io/component'] === 'vtorc');
    expect(primary, `no primary for commerce/0:\n${vtctld('GetShard', 'commerce/0').stdout}\n${vtorc ? errors(vtorc) : ''}`).toBeDefined();
  });

  test('through vtgate\'s MySQL port a client creates a table, inserts a row and reads it back', async () => {
    const vtgate = runner.pods.find((p) => p.labels['vitess.io/component'] === 'vtgate') as RunPod;
    const sql = 'CREATE TABLE IF NOT EXISTS harness (id BIGINT PRIMARY KEY, v VARCHAR(32)); REPLACE INTO harness VALUES (1, \'real\'); SELECT v FROM harness WHERE id = 1;';
    let last = { status: null as number | null, stdout: '', stderr: '' };
    const got = await until(() => {
      last = runner.node(['/usr/bin/mysql', '--protocol=TCP', '-h', vtgate.ip, '-P', '3306', '-u', 'harness', '--batch', '--skip-column-names', '-D', 'commerce', '-e', sql], { rootfs: tools.mysqlRoot });
      return last.status === 0 ? last.stdout.trim() : undefined;
    }, 30000);
    expect(got, `mysql through vtgate failed: ${last.stderr.trim()}\n${errors(vtgate)}`).toBe('real');
  });
});

/** Steps the host's mysqld flavour cannot do under Vitess v24, checked rather than assumed. */
describe('mysqld flavour limits', () => {
  const flavour = spawnSync('chroot', [tools.mysqlRoot, '/usr/sbin/mysqld', '--version'], { encoding: 'utf8' }).stdout;
  test(`mysqld is ${flavour.includes('MariaDB') ? 'MariaDB' : 'MySQL'}: ${flavour.trim()}`, () => {
    expect(flavour).toMatch(/Ver \d+\.\d+/);
  });
  if (flavour.includes('MariaDB')) {
    test('MariaDB limit: Vitess v24 init_db.sql sets super_read_only, which MariaDB does not have, so mysqlctld cannot initialise a tablet', () => {
      const logs = runner.pods.filter((p) => p.labels['vitess.io/component'] === 'vttablet').map((p) => (existsSync(join(p.dir, 'mysqld.log')) ? readFileSync(join(p.dir, 'mysqld.log'), 'utf8') : ''));
      for (const log of logs) expect(log).toContain("Unknown system variable 'super_read_only'");
    });
  }
});
