/** Helpers of the *.vitess.ts tests: waiting, error lines from a Pod's logs, a client that keeps reading. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Driven } from './driver.ts';
import type { PodRunner, RunPod } from './runner.ts';

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
