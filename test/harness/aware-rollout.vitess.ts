/**
 * Rollouts that know Vitess, on real Vitess (issue 16, "Done when"): examples/minimal.yaml and the
 * scaled examples/multi-cell.yaml (runner/examples.ts), each started, then rolled by a vttablet flag
 * edit while a client reads and another writes through vtgate, every recreated Pod at a new IP. The
 * observer (runner/observer.ts, the real vtgates' /debug/gateway) writes the state channel on its
 * cadence; with VITESS_STATE=off it is not run, and the hooks fall back to the rollout that needs no
 * Vitess state: the same file measures both.
 *
 * Reported per run: wall time and rounds, reads and writes ok/failed, PlannedReparentShard runs per
 * shard (the hooks' reparent Jobs, and preStop hand-offs that ran one), the primary before and after.
 * Run by test/harness/run.sh (npm run test:vitess), as root.
 */
import { beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { identityLabels, LABEL } from '../../lib/vitess/labels.ts';
import { reparentJobName } from '../../lib/vitess/names.ts';
import { freshVitessState } from '../../lib/vitess/state.ts';
import { everyPodReady, Reader, READY_WAIT_MS, ROOT, runRoot, secret, shardPrimary, tools, until } from './runner/checks.ts';
import { Driver, type Driven } from './runner/driver.ts';
import { scaledMultiCell } from './runner/examples.ts';
import { HarnessObserver } from './runner/observer.ts';
import { PodRunner, type RunPod } from './runner/runner.ts';

const AWARE = process.env.VITESS_STATE !== 'off';
const ROLLOUT_WAIT_MS = Number(process.env.VITESS_ROLLOUT_WAIT_S ?? 900) * 1000;
const EDITED_FLAG = ['queryserver-config-query-timeout', '31s'] as const;

interface Case {
  name: string;
  prefix: string;
  cluster: KubeObject & { spec: any };
  keyspace: string;
  shards: string[];
  vtctld: string;
  /** The client's password, when the example sets mysqlUsers (its Secret is made here, one user `harness`). */
  password?: string;
}

const minimal = parseClusterYaml(readFileSync(join(ROOT, 'examples/minimal.yaml'), 'utf8')) as KubeObject & { spec: any };
const multiCell = scaledMultiCell(parseClusterYaml(readFileSync(join(ROOT, 'examples/multi-cell.yaml'), 'utf8')) as KubeObject & { spec: any }) as KubeObject & { spec: any };
const CASES: Case[] = [
  { name: 'minimal', prefix: 'va', cluster: minimal, keyspace: 'commerce', shards: ['0'], vtctld: 'mini-zone1-vtctld:15999' },
  { name: 'multi-cell', prefix: 'vc', cluster: multiCell, keyspace: 'orders', shards: ['-80', '80-'], vtctld: 'shop-global-vtctld:15999', password: 'harness-password' },
];

interface Outcome {
  startup: Driven;
  startupMs: number;
  rollout: Driven;
  rolloutMs: number;
  reads: Reader;
  writes: Reader;
  primariesBefore: (string | undefined)[];
  primariesAfter: (string | undefined)[];
  /** Reparent Jobs the hooks created during the rollout, by shard (`keyspace/shard`). */
  reparentJobs: Record<string, number>;
  /** preStop hand-offs that ran PlannedReparentShard, by tablet Pod. */
  handoffs: string[];
  ipsChanged: boolean;
  observer?: HarnessObserver;
}

async function run(c: Case): Promise<Outcome> {
  const runner = new PodRunner(tools, runRoot(`aware-${c.name}`), c.prefix);
  const observer = AWARE ? new HarnessObserver(runner) : undefined;
  const vtctld = (...args: string[]) => runner.node([join(tools.vitessDir, 'bin', 'vtctldclient'), `--server=${c.vtctld}`, ...args]);
  const primaries = (): (string | undefined)[] => c.shards.map((s) => shardPrimary(vtctld('GetShard', `${c.keyspace}/${s}`).stdout));
  const tablets = (): RunPod[] => runner.pods.filter((p) => p.labels['vitess.io/component'] === 'vttablet');
  const vtgate = (): RunPod => runner.pods.find((p) => p.labels['vitess.io/component'] === 'vtgate') as RunPod;
  const client = (sql: string): string[] => ['ip', 'netns', 'exec', `${c.prefix}-br`, 'chroot', tools.mysqlRoot, '/usr/bin/mysql', '--protocol=TCP', '-h', vtgate().ip, '-P', '3306', '-u', 'harness', ...(c.password === undefined ? [] : [`--password=${c.password}`]), '--batch', '--skip-column-names', '-D', c.keyspace, '-e', sql];
  try {
    await runner.start();
    // The example's MySQL users (vtgate mounts their Secret), in its namespace.
    const users = c.password === undefined ? [] : [{ ...secret(c.cluster.spec.mysqlUsers.secretName, { 'users.json': JSON.stringify({ harness: [{ Password: c.password, UserData: 'harness' }] }) }), metadata: { name: c.cluster.spec.mysqlUsers.secretName, namespace: c.cluster.metadata.namespace ?? 'default' } }];
    const driver = new Driver(runner, [...users, c.cluster], observer);
    const t0 = Date.now();
    const startup = await driver.converge(READY_WAIT_MS);
    const startupMs = Date.now() - t0;
    everyPodReady(runner, startup, startupMs);
    await until(() => (primaries().every(Boolean) ? true : undefined), 120000);
    if (c.shards.length > 1) {
      const vschema = JSON.stringify({ sharded: true, vindexes: { hash: { type: 'hash' } }, tables: { reads: { column_vindexes: [{ column: 'id', name: 'hash' }] }, writes: { column_vindexes: [{ column: 'id', name: 'hash' }] } } });
      expect(vtctld('ApplyVSchema', `--vschema=${vschema}`, c.keyspace).status).toBe(0);
    }
    const sql = (q: string) => runner.node(client(q).slice(6), { rootfs: tools.mysqlRoot });
    const made = await until(() => (sql('CREATE TABLE IF NOT EXISTS reads (id BIGINT PRIMARY KEY, v VARCHAR(16)); CREATE TABLE IF NOT EXISTS writes (id BIGINT PRIMARY KEY)').status === 0 ? true : undefined), 60000);
    expect(made).toBe(true);
    // Two rows to count back (a scatter query over every shard when sharded).
    await until(() => (sql("INSERT IGNORE INTO reads VALUES (1, 'r'), (4, 'r')").status === 0 ? true : undefined), 60000);
    // With the state channel, wait until the observer has written a fresh state (the hooks use it from then on).
    if (observer) {
      const fresh = (): boolean => driver.objects().filter((o) => o.kind === 'VitessShard').every((o) => freshVitessState(o.metadata.annotations as Record<string, string> | undefined, new Date())?.primary);
      for (const end = Date.now() + 120000; !fresh() && Date.now() < end; await Bun.sleep(1000)) await driver.observe();
      expect(fresh()).toBe(true);
    }
    const primariesBefore = primaries();
    const ipsBefore = new Map(tablets().map((p) => [p.name, p.ip]));
    const reads = new Reader(() => client('SELECT count(*) FROM reads'), '2');
    let n = 0;
    const writes = new Reader(() => client(`INSERT INTO writes VALUES (${++n})`), '', 200);
    reads.start();
    writes.start();
    await Bun.sleep(2000);
    const edited = structuredClone(c.cluster);
    const keyspace = edited.spec.keyspaces[0];
    keyspace.tablets.replica.vttablet = { ...keyspace.tablets.replica.vttablet, extraFlags: { [EDITED_FLAG[0]]: EDITED_FLAG[1] } };
    const t1 = Date.now();
    driver.apply(edited);
    const rollout = await driver.converge(ROLLOUT_WAIT_MS);
    const rolloutMs = Date.now() - t1;
    await Bun.sleep(5000);
    await reads.stop();
    await writes.stop();
    // The hooks' reparent Jobs, each counted for the shard of the tablet it is named after.
    const shardOfLabel = new Map(c.shards.map((s) => [identityLabels({ cluster: 'x', shard: s })[LABEL.shard] as string, s]));
    const reparentJobs: Record<string, number> = Object.fromEntries(c.shards.map((s) => [`${c.keyspace}/${s}`, 0]));
    for (const a of rollout.actions) {
      if (a.action.verb !== 'create' || !a.action.object.startsWith('Job/')) continue;
      const job = a.action.object.split('/').pop() as string;
      const tablet = tablets().find((t) => reparentJobName(t.name) === job);
      if (tablet === undefined) continue;
      const key = `${c.keyspace}/${shardOfLabel.get(tablet.labels[LABEL.shard] as string) ?? '?'}`;
      reparentJobs[key] = (reparentJobs[key] ?? 0) + 1;
    }
    const handoffs = tablets().flatMap((p) => {
      const log = join(`${p.dir}~0`, 'prestop-vttablet.log');
      return existsSync(log) && readFileSync(log, 'utf8').includes('PlannedReparentShard away from it') ? [p.name] : [];
    });
    return {
      startup, startupMs, rollout, rolloutMs, reads, writes, primariesBefore, primariesAfter: primaries(), reparentJobs, handoffs,
      ipsChanged: tablets().every((p) => p.generation === 1 && ipsBefore.get(p.name) !== p.ip), observer,
    };
  } finally {
    await runner.stop();
  }
}

/** VITESS_CASES=minimal,multi-cell (default both) picks the examples. */
const PICKED = (process.env.VITESS_CASES ?? CASES.map((c) => c.name).join(',')).split(',');

for (const c of CASES.filter((x) => PICKED.includes(x.name))) {
  describe(`${c.name}: a vttablet flag edit rolled ${AWARE ? 'with the Vitess state channel' : 'without Vitess state (fallback)'}, a client reading and one writing through vtgate`, () => {
    let o: Outcome;
    beforeAll(async () => {
      o = await run(c);
      const jobsText = Object.entries(o.reparentJobs).map(([s, k]) => `${s}: ${k}`).join(', ');
      console.log(`[${c.name}, ${AWARE ? 'aware' : 'fallback'}] start-up ${(o.startupMs / 1000).toFixed(0)} s; rollout ${(o.rolloutMs / 1000).toFixed(0)} s, ${o.rollout.rounds} rounds, converged ${o.rollout.converged}; reads ${o.reads.ok} ok ${o.reads.failed} failed; writes ${o.writes.ok} ok ${o.writes.failed} failed; reparent Jobs ${jobsText}; preStop hand-offs ${o.handoffs.length}; primaries ${o.primariesBefore.join(',')} -> ${o.primariesAfter.join(',')}; new IPs ${o.ipsChanged}; observer writes ${o.observer?.writes.length ?? 0}${o.reads.failures.length + o.writes.failures.length > 0 ? `\nfailures: ${[...o.reads.failures, ...o.writes.failures].slice(0, 6).join('\n')}` : ''}`);
    }, READY_WAIT_MS + ROLLOUT_WAIT_MS + 300000);

    test('the rollout converges, every tablet recreated once at a new IP', () => {
      expect(o.rollout.converged, o.rollout.actions.filter((a) => a.action.verb === 'error').map((a) => a.action.message).join('\n')).toBe(true);
      expect(o.ipsChanged).toBe(true);
    });

    test(AWARE ? 'one PlannedReparentShard per shard, no preStop hand-off needed' : 'a reparent Job per primary-eligible tablet (today\'s fallback)', () => {
      const perShard = Object.values(o.reparentJobs);
      if (AWARE) {
        // Cells roll one at a time and a primary moves onto an updated replica of its own cell; with
        // one replica per cell (the scaled multi-cell) a primary whose cell rolls first waits for the
        // other cell's replica to be updated and served, then moves onto it (docs/decisions/0017).
        expect(perShard).toEqual(c.shards.map(() => 1));
        expect(o.handoffs).toEqual([]);
      } else {
        expect(perShard.every((k) => k >= 1)).toBe(true);
      }
      // Every shard has a primary after (it may be back on its first tablet, itself restarted meanwhile).
      expect(o.primariesAfter.every(Boolean)).toBe(true);
    });

    test('failed reads and writes through vtgate are counted (aim: 0)', () => {
      expect(o.reads.ok).toBeGreaterThan(10);
      expect(o.writes.ok).toBeGreaterThan(10);
      if (AWARE) {
        expect(o.reads.failed, o.reads.failures.join('\n')).toBe(0);
        expect(o.writes.failed, o.writes.failures.join('\n')).toBe(0);
      }
    });
  });
}
