/**
 * A declarative reshard on real Vitess (issue 17; docs/decisions/0024-declarative-reshard.md):
 * examples/minimal.yaml with one tablet per shard, a sharded VSchema on `commerce` (hash on `id`) and
 * rows in its one shard `0`; a spec edit adds `reshard: -80, 80-` while a client writes and reads
 * through vtgate, counting its failures; then the user's edit `shards: -80, 80-` with confirmRemoval
 * takes shard `0` out of the topology and the cluster. A second reshard (`-80` into `-40`, `40-80`) is
 * cancelled after its workflow was created: `-80` serves as before. The observer runs (the Vitess
 * state channel, with the targets' VReplication streams): status.resharding must show the copy's
 * rows and the streams' lag at some point of the reshard. A third (`-80` into `-40`, `40-80` again)
 * is reversed by `traffic: source` once writes were switched, under a client, then switched again
 * by `traffic: target` and completed (docs/decisions/0026). Run by test/harness/run.sh
 * (npm run test:vitess), as root.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import { Driver, type Driven } from './runner/driver.ts';
import { HarnessObserver } from './runner/observer.ts';
import { PodRunner, type RunPod } from './runner/runner.ts';
import { everyPodReady, READY_WAIT_MS, ROOT, runRoot, shardPrimary, tools, until } from './runner/checks.ts';

const RUN_ROOT = runRoot('reshard');
const RESHARD_WAIT_MS = Number(process.env.VITESS_ROLLOUT_WAIT_S ?? 900) * 1000;
const ROWS = 40;
type Spec = Record<string, any>;
const range = (start: string, end: string) => ({ keyRange: { start, end } });

let runner: PodRunner;
let driver: Driver;
let observer: HarnessObserver;
let startup: Driven;
let startupMs = 0;
const base = parseClusterYaml(readFileSync(join(ROOT, 'examples/minimal.yaml'), 'utf8')) as KubeObject & { spec: Spec };

function cluster(edit: (keyspace: Spec, spec: Spec) => void = () => {}): KubeObject {
  const c = structuredClone(base) as KubeObject & { spec: Spec };
  c.spec.keyspaces[0].tablets.replica.replicas = 1;
  edit(c.spec.keyspaces[0], c.spec);
  return c;
}

const vtctld = (...args: string[]) => runner.node([join(tools.vitessDir, 'bin', 'vtctldclient'), '--server=mini-zone1-vtctld:15999', ...args]);
const vtgateIp = (): string => (runner.pods.find((p) => p.labels['vitess.io/component'] === 'vtgate') as RunPod).ip;
/** The mysql client of the MySQL image, through vtgate's MySQL port. */
const mysqlCmd = (sql: string, target = 'commerce'): string[] => ['/usr/bin/mysql', '--protocol=TCP', '-h', vtgateIp(), '-P', '3306', '-u', 'harness', '--batch', '--skip-column-names', '-D', target, '-e', sql];
/** The same, run from the node's network as a separate process (the client's loop). */
const mysqlArgv = (sql: string, target = 'commerce'): string[] => ['ip', 'netns', 'exec', 'vo-br', 'chroot', tools.mysqlRoot, ...mysqlCmd(sql, target)];
const mysql = (sql: string, target = 'commerce') => runner.node(mysqlCmd(sql, target), { rootfs: tools.mysqlRoot });
const keyspaceStatus = (): Spec => ((driver.objects().find((o) => o.kind === 'VitessKeyspace') as KubeObject & { status?: Spec }).status ?? {}) as Spec;

/** Writes rows with increasing ids through vtgate and reads the count back, a new connection each time, counting failures. */
class Client {
  written: number[] = [];
  writeFailures: string[] = [];
  reads = 0;
  readFailures: string[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private next: number) {}

  private async run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const proc = Bun.spawn(argv, { stdout: 'pipe', stderr: 'pipe' });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30000);
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    return { code, out, err };
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const id = this.next++;
        const w = await this.run(mysqlArgv(`INSERT INTO t (id, v) VALUES (${id}, 'w${id}')`));
        if (w.code === 0) this.written.push(id);
        else this.writeFailures.push(`${new Date().toISOString()} ${id}: ${w.err.trim().slice(0, 200)}`);
        const r = await this.run(mysqlArgv('SELECT COUNT(*) FROM t'));
        if (r.code === 0 && /^\d+$/.test(r.out.trim())) this.reads++;
        else this.readFailures.push(`${new Date().toISOString()}: ${(r.err.trim() || r.out.trim()).slice(0, 200)}`);
        await Bun.sleep(200);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

beforeAll(async () => {
  const t0 = Date.now();
  runner = new PodRunner(tools, RUN_ROOT);
  await runner.start();
  observer = new HarnessObserver(runner);
  driver = new Driver(runner, [cluster()], observer);
  startup = await driver.converge(READY_WAIT_MS);
  startupMs = Date.now() - t0;
  console.log(`start-up: ${(startupMs / 1000).toFixed(0)} s, ${startup.rounds} rounds, converged ${startup.converged}`);
});

afterAll(async () => {
  await runner?.stop();
});

describe('a reshard of commerce/0 into -80, 80- by a spec edit, on real Vitess', () => {
  let client: Client;
  let resharded: Driven;
  let reshardMs = 0;

  test('start-up: shard 0 has a primary; a sharded VSchema and rows in shard 0', async () => {
    everyPodReady(runner, startup, startupMs);
    expect(await until(() => shardPrimary(vtctld('GetShard', 'commerce/0').stdout), 120_000)).toBeDefined();
    let last = mysql('SELECT 1');
    const made = await until(() => {
      last = mysql('CREATE TABLE IF NOT EXISTS t (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(32))');
      return last.status === 0 ? true : undefined;
    }, 60_000);
    expect(made, last.stderr).toBe(true);
    const vschema = JSON.stringify({ sharded: true, vindexes: { hash: { type: 'hash' } }, tables: { t: { column_vindexes: [{ column: 'id', name: 'hash' }] } } });
    const applied = vtctld('ApplyVSchema', `--vschema=${vschema}`, 'commerce');
    expect(applied.status, applied.stderr).toBe(0);
    const values = Array.from({ length: ROWS }, (_, i) => `(${i + 1}, 'r${i + 1}')`).join(', ');
    const insert = await until(() => (mysql(`INSERT INTO t (id, v) VALUES ${values}`).status === 0 ? true : undefined), 30_000);
    expect(insert).toBe(true);
    expect(mysql('SELECT COUNT(*) FROM t').stdout.trim()).toBe(String(ROWS));
  });

  test('the reshard runs to Complete while a client writes and reads through vtgate', async () => {
    client = new Client(ROWS + 1);
    client.start();
    const t0 = Date.now();
    driver.apply(cluster((keyspace) => (keyspace.reshard = { shards: [range('', '80'), range('80', '')], maxLagSeconds: 10 })));
    // Every figure status.resharding showed during the reshard (docs/decisions/0025-reshard-progress.md).
    const seen: Spec[] = [];
    resharded = await driver.converge(RESHARD_WAIT_MS, 1000, (objects) => {
      const shown = ((objects.find((o) => o.kind === 'VitessKeyspace') as KubeObject & { status?: Spec } | undefined)?.status?.resharding ?? {}) as Spec;
      if (shown.copy !== undefined || shown.lagSeconds !== undefined) seen.push({ at: Date.now() - t0, step: shown.step, copy: shown.copy, lagSeconds: shown.lagSeconds, streams: shown.streams });
    });
    reshardMs = Date.now() - t0;
    await Bun.sleep(3000);
    await client.stop();
    const status = keyspaceStatus().resharding as Spec | undefined;
    console.log(
      `reshard: ${(reshardMs / 1000).toFixed(0)} s, ${resharded.rounds} rounds, converged ${resharded.converged}; state ${status?.state} (${status?.message}); ` +
        `client: ${client.written.length} writes ok, ${client.writeFailures.length} failed, ${client.reads} reads ok, ${client.readFailures.length} failed` +
        (client.writeFailures.length + client.readFailures.length > 0 ? `; first failures: ${[...client.writeFailures, ...client.readFailures].slice(0, 3).join(' | ')}` : ''),
    );
    expect(status?.state).toBe('Complete');
    // A real /debug/vars of a target primary with its streams, kept for the parser's fixture (test/observer/fixtures).
    const vars = observer.varsAnswers.filter((a) => /"VReplicationStreamState":\s*\{\s*"/.test(a.text));
    if (vars.length > 0) writeFileSync(join(RUN_ROOT, 'debug-vars.json'), (vars[Math.floor(vars.length / 2)] as { text: string }).text);
    const rows = seen.map((s) => s.copy?.rowsCopied).filter((n): n is number => typeof n === 'number');
    const lags = seen.map((s) => s.lagSeconds).filter((n): n is number => typeof n === 'number');
    console.log(`progress: ${seen.length} rounds showed figures; rows copied ${rows.length > 0 ? Math.max(...rows) : 'never'}, lag seen ${lags.length} times (max ${lags.length > 0 ? Math.max(...lags) : '-'} s); first ${JSON.stringify(seen[0])}; /debug/vars read ${observer.varsAnswers.length} times`);
    // The copy's rows (at least the ROWS present when the workflow was created) and a lag figure, at some point.
    expect(Math.max(0, ...rows)).toBeGreaterThanOrEqual(ROWS);
    expect(lags.length).toBeGreaterThan(0);
    const traffic = vtctld('GetSrvKeyspaces', 'commerce', 'zone1').stdout;
    expect(traffic).toContain('"-80"');
    expect(traffic).toContain('"80-"');
  });

  test('every row written is there, each in the shard its keyspace id says', async () => {
    const ids = [...Array.from({ length: ROWS }, (_, i) => i + 1), ...client.written];
    expect(mysql('SELECT COUNT(*) FROM t').stdout.trim()).toBe(String(ids.length));
    const left = mysql('SELECT id FROM t ORDER BY id', 'commerce:-80').stdout.trim().split('\n').filter(Boolean).map(Number);
    const right = mysql('SELECT id FROM t ORDER BY id', 'commerce:80-').stdout.trim().split('\n').filter(Boolean).map(Number);
    expect([...left, ...right].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    // The shard the hash vindex maps each id to (a vindex function query through vtgate) holds it.
    const mapped = mysql(`SELECT id, shard FROM hash WHERE id IN (${ids.join(',')})`).stdout.trim().split('\n').filter(Boolean);
    for (const line of mapped) {
      const [id, shard] = line.split('\t') as [string, string];
      expect(shard === '-80' ? left : right).toContain(Number(id));
    }
    expect(mapped).toHaveLength(ids.length);
  });

  test("the user's edit shards: -80, 80- with confirmRemoval takes shard 0 out of the topology and its tablets out of the cluster", async () => {
    driver.apply(
      cluster((keyspace, spec) => {
        keyspace.shards = [range('', '80'), range('80', '')];
        spec.confirmRemoval = ['mini-zone1-commerce-0'];
      }),
    );
    const removed = await driver.converge(RESHARD_WAIT_MS);
    expect(removed.converged).toBe(true);
    expect(vtctld('GetShard', 'commerce/0').stderr).toContain("node doesn't exist");
    const shards = vtctld('FindAllShardsInKeyspace', 'commerce').stdout;
    expect(shards).not.toContain('"0"');
    expect(runner.pods.filter((p) => p.labels['vitess.io/shard'] === '0')).toEqual([]);
    expect(mysql('SELECT COUNT(*) FROM t').stdout.trim()).toBe(String(ROWS + client.written.length));
  });
});

describe('a reshard cancelled half-way, on real Vitess', () => {
  test('-80 into -40, 40-80, cancelled once the workflow exists: -80 serves as before, the targets are gone', async () => {
    const before = mysql('SELECT COUNT(*) FROM t').stdout.trim();
    const shards = [range('', '80'), range('80', '')];
    driver.apply(cluster((keyspace) => ((keyspace.shards = shards), (keyspace.reshard = { shards: [range('', '40'), range('40', '80')] }))));
    const createdDone = () => driver.objects().some((o) => o.kind === 'Job' && o.metadata.name === 'mini-zone1-commerce-reshard-create' && (o.status as Spec | undefined)?.succeeded === 1);
    // One round at a time: the copy of a few rows is quick, and a cancel after a switch is refused.
    // The pause between rounds is what lets the runner work: a round and runner.sync() only await
    // microtasks, so back-to-back rounds never give the event loop a turn, and the runner never sees an
    // init container exit (the targets' tablets stayed in their init step, the create Job never came).
    const end = Date.now() + RESHARD_WAIT_MS;
    while (!createdDone() && Date.now() < end) {
      await driver.converge(0);
      await Bun.sleep(1000);
    }
    expect(createdDone()).toBe(true);
    driver.apply(cluster((keyspace) => (keyspace.shards = shards)));
    const cancelled = await driver.converge(RESHARD_WAIT_MS);
    console.log(`cancel: converged ${cancelled.converged}, ${cancelled.rounds} rounds; status ${JSON.stringify(keyspaceStatus().resharding)}`);
    expect(cancelled.converged).toBe(true);
    expect(vtctld('Reshard', '--workflow=reshard', '--target-keyspace=commerce', 'show').stdout.replace(/\s/g, '')).not.toContain('"name":"reshard"');
    expect(vtctld('GetShard', 'commerce/-40').stderr).toContain("node doesn't exist");
    expect(runner.pods.filter((p) => ['x-40', '40-80'].includes(p.labels['vitess.io/shard'] ?? ''))).toEqual([]);
    expect(mysql('SELECT COUNT(*) FROM t').stdout.trim()).toBe(before);
    expect(mysql('SELECT COUNT(*) FROM t', 'commerce:-80').status).toBe(0);
  });
});

describe('a reshard reversed after the write switch, then switched again and completed, on real Vitess', () => {
  const shards = [range('', '80'), range('80', '')];
  const targets = [range('', '40'), range('40', '80')];
  const jobDone = (step: string) => driver.objects().some((o) => o.kind === 'Job' && o.metadata.name === `mini-zone1-commerce-reshard-${step}` && (o.status as Spec | undefined)?.succeeded === 1);
  const trafficState = (): string => (vtctld('Reshard', '--workflow=reshard', '--target-keyspace=commerce', 'status', '--format=json').stdout.match(/"traffic_state":\s*"([^"]*)"/) ?? [])[1] ?? '';
  /** The shards zone1's SrvKeyspace routes to, over every partition (primary, replica, rdonly), sorted. */
  const served = (): string[] => {
    const out = vtctld('GetSrvKeyspaces', 'commerce', 'zone1').stdout;
    const srv = (JSON.parse(out) as Record<string, { partitions?: { shard_references?: { name: string }[] }[] }>).zone1;
    return [...new Set((srv?.partitions ?? []).flatMap((p) => (p.shard_references ?? []).map((r) => r.name)))].sort();
  };
  const failures = (c: Client): string => `${c.written.length} writes ok, ${c.writeFailures.length} failed, ${c.reads} reads ok, ${c.readFailures.length} failed`;
  let client: Client;
  let before = 0;

  test('-80 into -40, 40-80; traffic: source once writes were switched: writes then reads come back to -80 under a client', async () => {
    expect(driver.objects().filter((o) => o.kind === 'Job' && o.metadata.labels?.['vitess.io/component'] === 'reshard')).toEqual([]);
    before = Number(mysql('SELECT COUNT(*) FROM t').stdout.trim());
    client = new Client(100_000);
    client.start();
    const t0 = Date.now();
    driver.apply(cluster((keyspace) => ((keyspace.shards = shards), (keyspace.reshard = { shards: targets, maxLagSeconds: 10 }))));
    // One round at a time (see the cancel test): the edit comes right after the round whose kubelet saw the
    // write switch complete, before any hook could start complete.
    const end = Date.now() + RESHARD_WAIT_MS;
    while (!jobDone('switch-writes') && Date.now() < end) {
      await driver.converge(0);
      if (jobDone('switch-writes')) break;
      await Bun.sleep(1000);
    }
    expect(jobDone('switch-writes')).toBe(true);
    const switchedMs = Date.now() - t0;
    const atSwitch = trafficState();
    const servedAtSwitch = served();
    const atSwitchFailures = failures(client);
    const f0 = { w: client.writeFailures.length, r: client.readFailures.length, ok: client.written.length };
    const t1 = Date.now();
    driver.apply(cluster((keyspace) => ((keyspace.shards = shards), (keyspace.reshard = { shards: targets, maxLagSeconds: 10, traffic: 'source' }))));
    const reversed = await driver.converge(RESHARD_WAIT_MS);
    const reverseMs = Date.now() - t1;
    await Bun.sleep(3000);
    const status = keyspaceStatus().resharding as Spec | undefined;
    console.log(
      `reverse: writes switched ${(switchedMs / 1000).toFixed(0)} s after the edit (${atSwitch}; SrvKeyspace routes to ${servedAtSwitch.join(', ')}; client so far: ${atSwitchFailures}); ` +
        `traffic: source converged ${reversed.converged} in ${(reverseMs / 1000).toFixed(0)} s, ${reversed.rounds} rounds; state ${status?.state}; traffic ${trafficState()}; ` +
        `client during the reverse: ${client.written.length - f0.ok} writes ok, ${client.writeFailures.length - f0.w} writes and ${client.readFailures.length - f0.r} reads failed` +
        (client.writeFailures.length + client.readFailures.length > f0.w + f0.r ? `; first failures: ${[...client.writeFailures.slice(f0.w), ...client.readFailures.slice(f0.r)].slice(0, 3).join(' | ')}` : ''),
    );
    expect(atSwitch).toBe('All Reads Switched. Writes Switched');
    expect(reversed.converged).toBe(true);
    expect(status?.state).toBe('ServingSources');
    expect(trafficState()).toBe('Reads Not Switched. Writes Not Switched');
    expect(served()).toEqual(['-80', '80-']);
    for (const step of ['reverse-writes', 'reverse-reads']) expect(jobDone(step)).toBe(true);
    expect(jobDone('complete')).toBe(false);
  });

  test('traffic: target again: the switches run again, then complete; every row is there', async () => {
    const f0 = { w: client.writeFailures.length, r: client.readFailures.length };
    const t0 = Date.now();
    driver.apply(cluster((keyspace) => ((keyspace.shards = shards), (keyspace.reshard = { shards: targets, maxLagSeconds: 10, traffic: 'target' }))));
    const done = await driver.converge(RESHARD_WAIT_MS);
    const forwardMs = Date.now() - t0;
    await Bun.sleep(3000);
    await client.stop();
    const status = keyspaceStatus().resharding as Spec | undefined;
    console.log(
      `forward again: converged ${done.converged} in ${(forwardMs / 1000).toFixed(0)} s, ${done.rounds} rounds; state ${status?.state}; ` +
        `client during it: ${client.writeFailures.length - f0.w} writes and ${client.readFailures.length - f0.r} reads failed; whole test: ${failures(client)}` +
        (client.writeFailures.length + client.readFailures.length > f0.w + f0.r ? `; first failures: ${[...client.writeFailures.slice(f0.w), ...client.readFailures.slice(f0.r)].slice(0, 3).join(' | ')}` : ''),
    );
    expect(done.converged).toBe(true);
    expect(status?.state).toBe('Complete');
    expect(served()).toEqual(['-40', '40-80', '80-']);
    expect(mysql('SELECT COUNT(*) FROM t').stdout.trim()).toBe(String(before + client.written.length));
    const left = Number(mysql('SELECT COUNT(*) FROM t', 'commerce:-40').stdout.trim());
    const middle = Number(mysql('SELECT COUNT(*) FROM t', 'commerce:40-80').stdout.trim());
    const right = Number(mysql('SELECT COUNT(*) FROM t', 'commerce:80-').stdout.trim());
    expect(left + middle + right).toBe(before + client.written.length);
  });
});
