/**
 * A change of MySQL line on real Vitess (docs/decisions/0022-pod-knobs-and-mysql-versions.md):
 * examples/minimal.yaml on the default `mysql:8.4.6`, then `spec.images.mysql: mysql:9.7.4`. Every
 * `mysql:*` image runs the harness's one MySQL (9.7.4, docs/vitess-harness.md), so the files do not
 * really change line; what is checked is the operator's part: each tablet restarts only after its
 * slow-shutdown Job ran for real, and its running mysqld had innodb_fast_shutdown=0 before it was
 * stopped. Also: mysqld's error log reaches the container's log (log-error on stderr), and both
 * vttablet and vtgate advertise the version of the image in use. Run by test/harness/run.sh, as root.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { Driver, type Driven } from './runner/driver.ts';
import { PodRunner, type RunPod } from './runner/runner.ts';
import { everyPodReady, READY_WAIT_MS, ROOT, runRoot, tools, until } from './runner/checks.ts';

const RUN_ROOT = runRoot('mysql-line');
const ROLLOUT_WAIT_MS = Number(process.env.VITESS_ROLLOUT_WAIT_S ?? 600) * 1000;

let runner: PodRunner;
let driver: Driver;
let startup: Driven;
let startupMs = 0;
const cluster = parseClusterYaml(readFileSync(join(ROOT, 'examples/minimal.yaml'), 'utf8')) as KubeObject & { spec: any };

const vtctld = (...args: string[]) => runner.node([join(tools.vitessDir, 'bin', 'vtctldclient'), '--server=mini-zone1-vtctld:15999', ...args]);
const tablets = (): RunPod[] => runner.pods.filter((p) => p.labels['vitess.io/component'] === 'vttablet');
const aliasOf = (pod: string): string => `zone1-${pod.slice(-10)}`;
/** innodb_fast_shutdown of the tablet's running mysqld, read through vtctld as the Job sets it. */
const fastShutdown = (alias: string): string | undefined => {
  const r = vtctld('ExecuteFetchAsDBA', alias, 'SELECT @@global.innodb_fast_shutdown AS v');
  // A table: `| v |` then `| 0 |`.
  return r.status === 0 ? /\|\s*(\d)\s*\|/.exec(r.stdout)?.[1] : undefined;
};

beforeAll(async () => {
  const t0 = Date.now();
  runner = new PodRunner(tools, RUN_ROOT);
  await runner.start();
  driver = new Driver(runner, [cluster]);
  startup = await driver.converge(READY_WAIT_MS);
  startupMs = Date.now() - t0;
  console.log(`start-up: ${(startupMs / 1000).toFixed(0)} s, converged ${startup.converged}`);
});

afterAll(async () => {
  await runner?.stop();
});

describe('examples/minimal.yaml on the default MySQL image', () => {
  test('every Pod Ready; vttablet and vtgate advertise the version of mysql:8.4.6', () => {
    everyPodReady(runner, startup, startupMs);
    const vtgate = runner.pods.find((p) => p.labels['vitess.io/component'] === 'vtgate') as RunPod;
    expect(vtgate.spec.containers[0].command).toContain('--mysql-server-version=8.4.6-Vitess');
    for (const p of tablets()) expect(p.spec.containers.find((c: any) => c.name === 'vttablet').command).toContain('--mysql-server-version=8.4.6-Vitess');
  });

  test("mysqld's error log is in the mysqld container's log (log-error through a link to stderr, relayed by mysqlctld)", () => {
    for (const p of tablets()) {
      const log = readFileSync(join(p.dir, 'mysqld.log'), 'utf8');
      // mysqld's own startup line, as its error log writes it, relayed by mysqlctld ("<ts> stderr: ...").
      expect(log).toMatch(/stderr: .*\[System\].*mysqld.*ready for connections/);
    }
  });
});

describe('a MySQL line change (images.mysql: mysql:8.4.6 -> mysql:9.7.4), driven by the simulator over real processes', () => {
  let rollout: Driven;
  let rolloutMs = 0;
  /** When each tablet's mysqld was first seen with innodb_fast_shutdown=0. */
  const slowSince = new Map<string, number>();

  beforeAll(async () => {
    const before = tablets().map((p) => aliasOf(p.name));
    let watching = true;
    const watch = (async () => {
      while (watching) {
        for (const alias of before) if (!slowSince.has(alias) && fastShutdown(alias) === '0') slowSince.set(alias, Date.now());
        await Bun.sleep(300);
      }
    })();
    const edited = structuredClone(cluster);
    edited.spec.images = { ...edited.spec.images, mysql: 'mysql:9.7.4' };
    const t0 = Date.now();
    driver.apply(edited);
    rollout = await driver.converge(ROLLOUT_WAIT_MS);
    rolloutMs = Date.now() - t0;
    watching = false;
    await watch;
    console.log(`MySQL line change: ${(rolloutMs / 1000).toFixed(0)} s, ${rollout.rounds} rounds, converged ${rollout.converged}; innodb_fast_shutdown=0 seen at ${[...slowSince].map(([a, at]) => `${a} +${((at - t0) / 1000).toFixed(1)} s`).join(', ')}`);
  });

  test('the rollout converges: every tablet recreated on mysql:9.7.4, advertising 9.7.4', () => {
    expect(rollout.converged, rollout.actions.filter((a) => a.action.verb === 'error').map((a) => a.action.message).join('\n')).toBe(true);
    for (const p of tablets()) {
      expect(p.generation).toBe(1);
      expect(p.spec.containers.find((c: any) => c.name === 'mysqld').image).toBe('mysql:9.7.4');
      expect(p.spec.containers.find((c: any) => c.name === 'vttablet').command).toContain('--mysql-server-version=9.7.4-Vitess');
    }
  });

  test('each tablet was stopped only after its slow-shutdown Job completed and its mysqld had innodb_fast_shutdown=0', () => {
    const deletes = rollout.actions.filter((a) => a.action.verb === 'delete' && /^Pod\/.*\/mini-vttablet-/.test(a.action.object));
    expect(deletes.map((d) => d.action.object.split('/').pop()).sort()).toEqual(tablets().map((p) => p.name).sort());
    for (const d of deletes) {
      const name = d.action.object.split('/').pop() as string;
      const jobDone = rollout.actions.find((a) => a.action.verb === 'status' && a.action.by === 'kubelet' && a.action.object.endsWith(`/${name}-slow-shutdown`));
      expect(jobDone, `no completed slow-shutdown Job for ${name} before its restart`).toBeDefined();
      expect((jobDone as Driven['actions'][number]).at).toBeLessThanOrEqual(d.at);
      const seen = slowSince.get(aliasOf(name));
      expect(seen, `${name}: innodb_fast_shutdown=0 never seen on its mysqld`).toBeDefined();
      expect(seen as number).toBeLessThanOrEqual(d.at);
    }
  });

  test('the restarted tablets serve again, and their new mysqld is back to the default fast shutdown (1)', async () => {
    for (const p of tablets()) {
      const value = await until(() => fastShutdown(aliasOf(p.name)), 60000, 1000);
      expect(value).toBe('1');
    }
  });
});
