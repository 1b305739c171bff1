/**
 * The Vitess state channel and the primary hand-off on real Vitess (issue 16, items 1 and 7), over
 * examples/minimal.yaml with the Pod runner giving every (re)created Pod a new IP:
 *
 * - the observer's pure core, run against the real vtgate's /debug/gateway by the harness adapter
 *   (runner/observer.ts) on the observer's cadence, writes on the VitessShard the primary and the
 *   tablet types that vtctld's topology records, at the Pods' IPs;
 * - deleting the primary's Pod while a client writes through vtgate: the Pod's preStop hook moves the
 *   primary by a PlannedReparentShard before the tablet stops (vtorc runs no emergency reparent), the
 *   recreated Pod comes back at a new IP, and vtgate, then the annotation, follow it. Failed writes are
 *   counted and reported.
 * Run by test/harness/run.sh (npm run test:vitess), as root.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { storeKey } from '../../lib/simulator/store.ts';
import { freshVitessState, type VitessShardState } from '../../lib/vitess/state.ts';
import { errors, everyPodReady, Reader, READY_WAIT_MS, ROOT, runRoot, shardPrimary, tools, until } from './runner/checks.ts';
import { Driver, type Driven } from './runner/driver.ts';
import { HarnessObserver } from './runner/observer.ts';
import { PodRunner, type RunPod } from './runner/runner.ts';

const RUN_ROOT = runRoot('observer');
const SHARD_OBJECT = 'mini-zone1-commerce-0';
const WAIT_MS = Number(process.env.VITESS_ROLLOUT_WAIT_S ?? 600) * 1000;

let runner: PodRunner;
let driver: Driver;
let observer: HarnessObserver;
let startup: Driven;
let startupMs = 0;
const cluster = parseClusterYaml(readFileSync(join(ROOT, 'examples/minimal.yaml'), 'utf8'));

const vtctld = (...args: string[]) => runner.node([join(tools.vitessDir, 'bin', 'vtctldclient'), '--server=mini-zone1-vtctld:15999', ...args]);
const tablets = (): RunPod[] => runner.pods.filter((p) => p.labels['vitess.io/component'] === 'vttablet');
const byComponent = (c: string): RunPod => runner.pods.find((p) => p.labels['vitess.io/component'] === c) as RunPod;
/** The MySQL image's client, through vtgate's MySQL port. */
const mysqlClient = (sql: string): string[] => ['/usr/bin/mysql', '--protocol=TCP', '-h', byComponent('vtgate').ip, '-P', '3306', '-u', 'harness', '--batch', '--skip-column-names', '-D', 'commerce', '-e', sql];
/** The same, as a command line run from the node (the runner's bridge namespace), for a client that keeps going. */
const mysqlArgs = (sql: string): string[] => ['ip', 'netns', 'exec', 'vb-br', 'chroot', tools.mysqlRoot, ...mysqlClient(sql)];
const mysql = (sql: string) => runner.node(mysqlClient(sql), { rootfs: tools.mysqlRoot });
const primaryAlias = (): string | undefined => shardPrimary(vtctld('GetShard', 'commerce/0').stdout);
/** `alias type hostname` of every tablet in the topology (vtctldclient GetTablets). */
const topologyTablets = (): string[] => vtctld('GetTablets', '--keyspace=commerce').stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)).map((w) => `${w[0]} ${w[3]} ${w[5]?.split(':')[0]}`).sort();
const aliasOf = (p: RunPod): string => `zone1-${p.name.slice(-10)}`;

/** The annotation of the VitessShard in the store, as the hooks would read it now. */
function stateInStore(): VitessShardState | undefined {
  const shard = driver.objects().find((o) => o.kind === 'VitessShard' && o.metadata.name === SHARD_OBJECT);
  return freshVitessState(shard?.metadata.annotations as Record<string, string> | undefined, new Date());
}

/** Polls the observer (on its cadence) until the annotation says `want`, or the time is up. */
async function observeUntil(want: (s: VitessShardState) => boolean, ms: number): Promise<VitessShardState | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    await driver.observe();
    const state = stateInStore();
    if ((state !== undefined && want(state)) || Date.now() > end) return state;
    await Bun.sleep(1000);
  }
}

/** What the topology says, in the annotation's terms: `alias type hostname serving`. */
const asTopology = (s: VitessShardState | undefined): string[] => (s?.tablets ?? []).map((t) => `${t.alias} ${t.type} ${t.hostname}`).sort();

beforeAll(async () => {
  const t0 = Date.now();
  runner = new PodRunner(tools, RUN_ROOT, 'vb');
  await runner.start();
  observer = new HarnessObserver(runner);
  driver = new Driver(runner, [cluster], observer);
  startup = await driver.converge(READY_WAIT_MS);
  startupMs = Date.now() - t0;
  console.log(`start-up: ${(startupMs / 1000).toFixed(0)} s, ${startup.rounds} rounds, converged ${startup.converged}`);
});

afterAll(async () => {
  await runner?.stop();
});

describe('the Vitess state channel on real Vitess (examples/minimal.yaml)', () => {
  test('the annotation shows the primary vtctld records and each tablet\'s type, at its Pod\'s IP, all served by vtgate', async () => {
    everyPodReady(runner, startup, startupMs);
    const primary = await until(primaryAlias, 90000);
    expect(primary, vtctld('GetShard', 'commerce/0').stdout).toBeDefined();
    const want = tablets().map((p) => `${aliasOf(p)} ${aliasOf(p) === primary ? 'primary' : 'replica'} ${p.ip}`).sort();
    expect(topologyTablets()).toEqual(want);
    const state = await observeUntil((s) => s.primary === primary && JSON.stringify(asTopology(s)) === JSON.stringify(want) && s.tablets.every((t) => t.serving), 120000);
    console.log(`annotation: ${JSON.stringify(state)}\nvtgate's /debug/gateway (first 600 characters): ${[...observer.lastAnswers.values()][0]?.slice(0, 600)}`);
    expect(state?.gates).toBe(1);
    expect(state?.primary).toBe(primary as string);
    expect(asTopology(state)).toEqual(want);
    expect(state?.tablets.map((t) => t.serving)).toEqual([true, true]);
    // Written on change, then only at the heartbeat: never more often than the poll.
    expect(observer.writes.length).toBeGreaterThan(0);
  });

  test('deleting the primary\'s Pod with a client writing through vtgate: a planned reparent first (preStop), no emergency reparent, a new IP, failed writes counted', async () => {
    expect(mysql('CREATE TABLE IF NOT EXISTS writes (id BIGINT PRIMARY KEY)').status).toBe(0);
    const primary = primaryAlias() as string;
    const old = tablets().find((p) => aliasOf(p) === primary) as RunPod;
    const other = tablets().find((p) => p !== old) as RunPod;
    const vtorc = byComponent('vtorc');
    const vtorcLogBefore = readFileSync(join(vtorc.dir, 'vtorc.log'), 'utf8').length;
    let n = 0;
    const writer = new Reader(() => mysqlArgs(`INSERT INTO writes VALUES (${++n})`), '', 100);
    writer.start();
    await Bun.sleep(3000);
    const t0 = Date.now();
    const pod = driver.objects().find((o) => o.kind === 'Pod' && o.metadata.name === old.name) as KubeObject;
    driver.delete(storeKey(pod));
    // The hooks recreate the Pod; the runner stops the old one first (preStop, then SIGTERM), then starts the new.
    const recreated = await driver.converge(WAIT_MS);
    const movedAt = Date.now();
    const fresh = tablets().find((p) => p.name === old.name) as RunPod;
    // vtgate finds the new address at its next topology refresh; the annotation follows.
    const state = await observeUntil((s) => s.tablets.some((t) => t.alias === primary && t.hostname === fresh.ip && t.serving), 150000);
    await Bun.sleep(3000);
    await writer.stop();
    const vtorcLog = readFileSync(join(vtorc.dir, 'vtorc.log'), 'utf8').slice(vtorcLogBefore);
    // vtorc may still see the stopped old primary for a moment and name the problem, then decide it has
    // nothing to do (the shard has another primary: `NoRecoveryAction`, "no action plan"); that is no
    // recovery. Anything else about a dead primary, or an EmergencyReparentShard, is one.
    const detectedOnly = /NoRecoveryAction|no action plan|suppressing tablet problem|Starting checkAndRecover/;
    const recoveries = vtorcLog.split('\n').filter((l) => /DeadPrimary|EmergencyReparentShard|PrimaryIsReadOnly|ClusterHasNoPrimary/.test(l) && !detectedOnly.test(l));
    const preStopLog = readFileSync(join(`${old.dir}~${old.generation}`, 'prestop-vttablet.log'), 'utf8');
    console.log(`primary Pod deleted: ${old.name} (${old.ip}) -> recreated at ${fresh.ip}; converged ${recreated.converged} in ${((movedAt - t0) / 1000).toFixed(0)} s; preStop hooks: ${JSON.stringify(old.preStops)}; primary now ${primaryAlias()}; writes through vtgate: ${writer.ok} ok, ${writer.failed} failed${writer.failures.length ? ` (first: ${writer.failures.slice(0, 3).join(' | ')})` : ''}; vtorc recovery lines after the deletion: ${recoveries.length}; annotation: ${JSON.stringify(state)}`);
    expect(recreated.converged, recreated.actions.filter((a) => a.action.verb === 'error').map((a) => a.action.message).join('\n')).toBe(true);
    // The hand-off: vttablet's preStop found it primary and ran PlannedReparentShard, which moved the primary.
    expect(preStopLog).toContain(`preStop: ${primary} is the primary of commerce/0: PlannedReparentShard away from it`);
    expect(preStopLog).not.toContain('PlannedReparentShard failed');
    expect(old.preStops.find((h) => h.container === 'vttablet')?.code).toBe(0);
    expect(primaryAlias()).toBe(aliasOf(other));
    expect(recoveries, recoveries.join('\n')).toEqual([]);
    // A new Pod, a new IP, and vtgate (hence the annotation) serves from it there.
    expect(fresh.generation).toBe(1);
    expect(fresh.ip).not.toBe(old.ip);
    expect(state?.primary).toBe(aliasOf(other));
    expect(state?.tablets.find((t) => t.alias === primary)).toMatchObject({ type: 'replica', hostname: fresh.ip, serving: true });
    expect(writer.ok).toBeGreaterThan(10);
    if (writer.failed > 0) console.log(`failed writes: ${writer.failures.join('\n')}\n${errors(byComponent('vtgate'))}`);
  });
});
