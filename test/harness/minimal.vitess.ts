/**
 * examples/minimal.yaml run for real: the simulator's hooks and Metacontroller with the Pod runner in the
 * fake kubelet's place (runner/driver.ts), over real etcd, vtctld, vtorc, vtgate, vttablet, mysqlctld and
 * Oracle MySQL (docs/vitess-harness.md). Each test checks one "Done when" of issue 8 against the live
 * processes. Run by test/harness/run.sh (npm run test:vitess), as root.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import { Driver, type Driven } from './runner/driver.ts';
import { PodRunner, type RunPod } from './runner/runner.ts';
import { errors, everyPodReady, Reader, READY_WAIT_MS, ROOT, runRoot, shardPrimary, tools, until } from './runner/checks.ts';

const RUN_ROOT = runRoot('minimal');
const ROLLOUT_WAIT_MS = Number(process.env.VITESS_ROLLOUT_WAIT_S ?? 600) * 1000;
/** The flag edit of the rolling update: a vttablet flag v24 has, at a value other than its default (30s). */
const EDITED_FLAG = ['queryserver-config-query-timeout', '31s'] as const;

let runner: PodRunner;
let driver: Driver;
let startup: Driven;
let startupMs = 0;
const cluster = parseClusterYaml(readFileSync(join(ROOT, 'examples/minimal.yaml'), 'utf8'));

const vtctld = (...args: string[]) => runner.node([join(tools.vitessDir, 'bin', 'vtctldclient'), '--server=mini-zone1-vtctld:15999', ...args]);
const tablets = (): RunPod[] => runner.pods.filter((p) => p.labels['vitess.io/component'] === 'vttablet');
const vtgateIp = (): string => (runner.pods.find((p) => p.labels['vitess.io/component'] === 'vtgate') as RunPod).ip;
/** The mysql client of the MySQL image (its root filesystem), from the node, through vtgate's MySQL port. */
const mysql = (sql: string, target = 'commerce') =>
  runner.node(['/usr/bin/mysql', '--protocol=TCP', '-h', vtgateIp(), '-P', '3306', '-u', 'harness', '--batch', '--skip-column-names', '-D', target, '-e', sql], { rootfs: tools.mysqlRoot });
const primaryAlias = (): string | undefined => shardPrimary(vtctld('GetShard', 'commerce/0').stdout);

beforeAll(async () => {
  const t0 = Date.now();
  runner = new PodRunner(tools, RUN_ROOT);
  await runner.start();
  driver = new Driver(runner, [cluster]);
  startup = await driver.converge(READY_WAIT_MS);
  startupMs = Date.now() - t0;
  console.log(`start-up: ${(startupMs / 1000).toFixed(0)} s, ${startup.rounds} rounds, converged ${startup.converged}; pods: ${runner.pods.map((p) => `${p.name}=${runner.isReady(p) ? 'Ready' : 'NotReady'}(restarts ${p.restarts})`).join(', ')}`);
});

afterAll(async () => {
  await runner?.stop();
});

describe('examples/minimal.yaml on real Vitess, driven by the simulator', () => {
  test('the hooks converge over real processes: every Pod Ready by its own readiness probes, every Job completed', () => {
    everyPodReady(runner, startup, startupMs);
    const kinds = new Set(runner.pods.map((p) => p.owner.split('/')[0]));
    expect([...kinds].sort()).toEqual(['Deployment', 'Job', 'Pod', 'StatefulSet']);
    expect(tablets().length).toBe(2);
  });

  test('every tablet Pod registers in the topology (vtctldclient GetTablets)', async () => {
    const want = tablets().map((p) => p.ip).sort();
    const got = await until(() => {
      const r = vtctld('GetTablets');
      const ips = r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[5]?.split(':')[0] as string).sort();
      return r.status === 0 && JSON.stringify(ips) === JSON.stringify(want) ? ips : undefined;
    }, 30000);
    expect(got ?? vtctld('GetTablets').stdout + vtctld('GetTablets').stderr).toEqual(want);
  });

  test('vtorc elects the primary of commerce/0 once the keyspace Job has set the durability policy', async () => {
    const primary = await until(primaryAlias, 60000);
    const vtorc = runner.pods.find((p) => p.labels['vitess.io/component'] === 'vtorc') as RunPod;
    expect(primary, `no primary for commerce/0:\n${vtctld('GetShard', 'commerce/0').stdout}\n${errors(vtorc)}`).toBeDefined();
    expect(vtctld('GetKeyspace', 'commerce').stdout).toMatch(/"durability_policy":\s*"none"/);
    const log = readFileSync(join(vtorc.dir, 'vtorc.log'), 'utf8');
    expect(log).toContain(`ClusterHasNoPrimary: successfully promoted ${primary}`);
    // The other tablet replicates from it: its type is REPLICA.
    const types = vtctld('GetTablets', '--keyspace=commerce').stdout.split('\n').filter(Boolean).map((l) => `${l.split(/\s+/)[0]} ${l.split(/\s+/)[3]}`).sort();
    expect(types).toEqual(tablets().map((p) => `zone1-${p.name.slice(-10)} ${`zone1-${p.name.slice(-10)}` === primary ? 'primary' : 'replica'}`).sort());
  });

  test('through vtgate\'s MySQL port a client creates a table, inserts a row and reads it back, from the primary and a replica', async () => {
    let last = mysql('SELECT 1');
    const got = await until(() => {
      last = mysql('CREATE TABLE IF NOT EXISTS harness (id BIGINT PRIMARY KEY, v VARCHAR(32)); REPLACE INTO harness VALUES (1, \'real\'); SELECT v FROM harness WHERE id = 1;');
      return last.status === 0 ? last.stdout.trim() : undefined;
    }, 60000);
    expect(got, `mysql through vtgate failed: ${last.stderr.trim()}`).toBe('real');
    // Replication (GTID-based, what MariaDB could not do under Vitess v24) carries the row to the replica.
    const replica = await until(() => {
      last = mysql('SELECT v FROM harness WHERE id = 1', 'commerce@replica');
      return last.status === 0 && last.stdout.trim() === 'real' ? 'real' : undefined;
    }, 30000);
    expect(replica, `read from commerce@replica: ${last.stderr.trim()} ${last.stdout.trim()}`).toBe('real');
  });
});

describe('a rolling update of examples/minimal.yaml (a vttablet flag edit), driven by the simulator over real processes', () => {
  let rollout: Driven;
  let reader: Reader;
  let primaryBefore: string | undefined;
  const primaries: { at: number; alias: string | undefined }[] = [];
  const pvcInodes = new Map<string, number>();
  let rolloutMs = 0;

  beforeAll(async () => {
    primaryBefore = primaryAlias();
    for (const p of tablets()) pvcInodes.set(p.name, statSync(join(RUN_ROOT, 'pvc', p.name)).ino);
    reader = new Reader(() => ['ip', 'netns', 'exec', 'vo-br', 'chroot', tools.mysqlRoot, '/usr/bin/mysql', '--protocol=TCP', '-h', vtgateIp(), '-P', '3306', '-u', 'harness', '--batch', '--skip-column-names', '-D', 'commerce', '-e', 'SELECT v FROM harness WHERE id = 1'], 'real');
    reader.start();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const alias = primaryAlias();
        if (primaries[primaries.length - 1]?.alias !== alias || primaries.length === 0) primaries.push({ at: Date.now(), alias });
        await Bun.sleep(500);
      }
    })();
    const edited = structuredClone(cluster) as KubeObject & { spec: any };
    edited.spec.keyspaces[0].tablets.replica.vttablet = { extraFlags: { [EDITED_FLAG[0]]: EDITED_FLAG[1] } };
    const t0 = Date.now();
    driver.apply(edited);
    rollout = await driver.converge(ROLLOUT_WAIT_MS);
    rolloutMs = Date.now() - t0;
    // Reads go on a little after the rollout, while the last restarted tablet settles.
    await Bun.sleep(5000);
    await reader.stop();
    watching = false;
    await watch;
    console.log(`rolling update: ${(rolloutMs / 1000).toFixed(0)} s, ${rollout.rounds} rounds, converged ${rollout.converged}; reads through vtgate: ${reader.ok} ok, ${reader.failed} failed${reader.failures.length ? ` (first: ${reader.failures.slice(0, 3).join(' | ')})` : ''}; primaries: ${primaries.map((p) => `${p.alias ?? 'none'} (+${((p.at - t0) / 1000).toFixed(0)} s)`).join(' -> ')}`);
  });

  test('the rollout converges, and every tablet Pod was recreated once, running the edited flag', () => {
    expect(rollout.converged, rollout.actions.filter((a) => a.action.verb === 'error').map((a) => a.action.message).join('\n')).toBe(true);
    for (const p of tablets()) {
      expect(p.generation).toBe(1);
      expect(runner.isReady(p)).toBe(true);
      const vttablet = p.spec.containers.find((c: any) => c.name === 'vttablet');
      expect(vttablet.command).toContain(`--${EDITED_FLAG[0]}=${EDITED_FLAG[1]}`);
      expect(readFileSync(join(p.dir, 'vttablet.sh'), 'utf8')).toContain(`--${EDITED_FLAG[0]}=${EDITED_FLAG[1]}`);
    }
  });

  test('each tablet restarts only after its rendered PlannedReparentShard Job ran for real, and never while it is the primary', () => {
    const deletes = rollout.actions.filter((a) => a.action.verb === 'delete' && /^Pod\/.*\/mini-vttablet-/.test(a.action.object));
    expect(deletes.map((d) => d.action.object.split('/').pop()).sort()).toEqual(tablets().map((p) => p.name).sort());
    for (const d of deletes) {
      const name = d.action.object.split('/').pop() as string;
      const jobDone = rollout.actions.find((a) => a.action.verb === 'status' && a.action.by === 'kubelet' && a.action.object.startsWith('Job/') && a.action.object.includes(name));
      expect(jobDone, `no completed reparent Job for ${name} before its restart`).toBeDefined();
      expect((jobDone as Driven['actions'][number]).at).toBeLessThanOrEqual(d.at);
      const alias = `zone1-${name.slice(-10)}`;
      const primaryThen = [...primaries].reverse().find((p) => p.at <= d.at)?.alias;
      expect(primaryThen, `${name} was deleted while it was the primary`).not.toBe(alias);
    }
    // The primary's own Job moved the primary: the shard had another primary before its tablet restarted.
    expect(primaryBefore).toBeDefined();
    expect(primaries.some((p) => p.alias !== undefined && p.alias !== primaryBefore)).toBe(true);
  });

  test('no PVC folder is lost: every tablet\'s PVC folder is the same folder after its Pod was recreated', () => {
    for (const [name, ino] of pvcInodes) expect(existsSync(join(RUN_ROOT, 'pvc', name)) && statSync(join(RUN_ROOT, 'pvc', name)).ino).toBe(ino);
  });

  test('the row written before the rollout reads back from the primary and, once vtgate sees the restarted replica serve, from it', async () => {
    expect(mysql('SELECT v FROM harness WHERE id = 1').stdout.trim()).toBe('real');
    const t0 = Date.now();
    const replica = await until(() => (mysql('SELECT v FROM harness WHERE id = 1', 'commerce@replica').stdout.trim() === 'real' ? true : undefined), 60000, 500);
    console.log(`replica read after the rollout: ${replica ? `after ${((Date.now() - t0) / 1000).toFixed(1)} s` : 'none in 60 s'}`);
    expect(replica).toBe(true);
  });

  test('a client reading through vtgate throughout the rollout counts its failed reads: 0, except in a failover vtgate declines to buffer', () => {
    expect(reader.ok).toBeGreaterThan(10);
    // vtgate buffers a primary's reads while a PlannedReparentShard runs, but starts no buffering within
    // --buffer-min-time-between-failovers (default 1m) of the last one ("FailoverTooRecent"). A shard of
    // two replica tablets whose primary's tablet restarts first reparents twice, about one tablet restart
    // apart: where that is under a minute, the second reparent's reads fail. Found by this test: see
    // docs/vitess-harness.md.
    const vtgate = runner.pods.find((p) => p.labels['vitess.io/component'] === 'vtgate') as RunPod;
    const tooRecent = readFileSync(join(vtgate.dir, 'vtgate.log'), 'utf8').split('\n').filter((l) => l.includes('FailoverTooRecent-commerce/0: NOT starting buffering'));
    console.log(`failed reads: ${reader.failed} of ${reader.ok + reader.failed}; unbuffered failovers (FailoverTooRecent): ${tooRecent.length}`);
    if (tooRecent.length === 0) expect(reader.failed, reader.failures.slice(0, 5).join('\n')).toBe(0);
    for (const f of reader.failures) expect(f).toContain('primary is not serving, there may be a reparent operation in progress');
  });
});

/** What the mysqld under the tablets is, checked rather than assumed. */
describe('mysqld flavour', () => {
  const flavour = spawnSync('chroot', [tools.mysqlRoot, '/usr/sbin/mysqld', '--version'], { encoding: 'utf8' }).stdout;
  test(`mysqld is Oracle MySQL (${flavour.trim()}); mysqlctld detects it and ran Vitess' init_db.sql on it`, () => {
    expect(flavour).toMatch(/Ver 9\.\d+\.\d+/);
    expect(flavour).not.toContain('MariaDB');
    for (const p of tablets()) {
      const first = readFileSync(join(existsSync(`${p.dir}~0`) ? `${p.dir}~0` : p.dir, 'mysqld.log'), 'utf8');
      expect(first).toMatch(/Using flavor: mysql, version: \{9 \d+ \d+\}/);
      expect(first).toContain('mysqlctl.Init running with contents previously embedded from /vt/config/init_db.sql');
      expect(first).not.toContain("can't run init-db-sql-file");
      // The users init_db.sql creates, read back through the tablet.
      const users = vtctld('ExecuteFetchAsDBA', `zone1-${p.name.slice(-10)}`, "SELECT user FROM mysql.user WHERE user LIKE 'vt\\_%' ORDER BY user");
      expect(users.stdout).toContain('vt_dba');
      expect(users.stdout).toContain('vt_repl');
      expect(users.stdout).toContain('vt_filtered');
    }
  });
});
