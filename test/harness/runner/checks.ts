/**
 * Helpers of the *.vitess.ts tests: what run.sh hands them, waiting, error lines from a Pod's logs, a
 * shard's primary, a Secret, a client that keeps reading.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../../lib/kube/object.ts';
import type { Driven } from './driver.ts';
import type { PodRunner, RunPod } from './runner.ts';
import type { Tools } from './substitutions.ts';

/** The repository, where the examples are. */
export const ROOT = join(import.meta.dir, '..', '..', '..');
/** What run.sh built (its environment): the Vitess build, etcd, the MySQL root, the vtadmin root when a vtadmin test runs. */
export const tools: Tools = {
  vitessDir: process.env.VITESS_DIR as string,
  etcdBin: process.env.ETCD_BIN as string,
  mysqlRoot: process.env.MYSQL_ROOT as string,
  ...(process.env.VTADMIN_ROOT === undefined ? {} : { vtadminRoot: process.env.VTADMIN_ROOT }),
};
/** How long a start-up may take (VITESS_READY_WAIT_S, default 240 s). */
export const READY_WAIT_MS = Number(process.env.VITESS_READY_WAIT_S ?? 240) * 1000;

/** Where one test file's run keeps its Pods' and PVCs' folders (VITESS_RUN_ROOT, default .cache/vitess-run). */
export function runRoot(name: string): string {
  return join(process.env.VITESS_RUN_ROOT ?? join(ROOT, '.cache', 'vitess-run'), name);
}

/** The primary's tablet alias in `vtctldclient GetShard` output (`<cell>-<uid, 10 digits>`), if the shard has one. */
export function shardPrimary(getShard: string): string | undefined {
  const m = /"primary_alias":\s*\{\s*"cell":\s*"([^"]+)",\s*"uid":\s*(\d+)/.exec(getShard);
  return m ? `${m[1]}-${(m[2] as string).padStart(10, '0')}` : undefined;
}

/** A Secret in the default namespace, its data given as text. */
export function secret(name: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default' },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  } as KubeObject;
}

export async function until<T>(what: () => T | undefined, ms: number, pauseMs = 2000): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v !== undefined || Date.now() > end) return v;
    await Bun.sleep(pauseMs);
  }
}

/** Fails, naming each Pod that is not Ready and its error lines, unless the start-up converged with every Pod Ready. */
export function everyPodReady(runner: PodRunner, startup: Driven, startupMs: number): void {
  const notReady = runner.pods.filter((p) => !runner.isReady(p));
  if (notReady.length > 0 || !startup.converged) {
    throw new Error(`converged ${startup.converged} after ${startupMs / 1000} s; not Ready: ${notReady.map((p) => p.name).join(', ')}\n${notReady.map(errors).join('\n')}`);
  }
}

/** The last error-looking lines of a Pod's container logs: what a failure message shows. */
export function errors(p: RunPod): string {
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

/**
 * A client that runs one query again and again (a new connection each time, as a pooled app's reconnect
 * would), counting the runs that answer `expected` and those that fail or answer something else.
 */
export class Reader {
  ok = 0;
  failed = 0;
  readonly failures: string[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly argv: () => string[], private readonly expected: string, private readonly pauseMs = 200) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const proc = Bun.spawn(this.argv(), { stdout: 'pipe', stderr: 'pipe' });
        const timer = setTimeout(() => proc.kill('SIGKILL'), 30000);
        const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
        clearTimeout(timer);
        if (code === 0 && out.trim() === this.expected) this.ok++;
        else {
          this.failed++;
          this.failures.push(`${new Date().toISOString()} exit ${code}: ${(err.trim() || out.trim()).slice(0, 200)}`);
        }
        await Bun.sleep(this.pauseMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
