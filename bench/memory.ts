/**
 * The hook server under a memory limit (issue 9, item 6): starts `hooks/server.ts` in a child
 * process confined to the Pod's memory limit (metacontroller/hooks.yaml: 256Mi) by a cgroup, fires
 * CONCURRENCY concurrent sync requests of just under the 8 MiB body limit (a real sync-shard request
 * from examples/multi-cell.yaml padded with copies of its observed Pods and PVCs; each answers about
 * 3 MiB), retries the 429s after their Retry-After as Metacontroller would, and reads the child's peak
 * resident memory (VmHWM in /proc/<pid>/status) and the cgroup's peak and OOM count. The server must
 * survive (healthz, one more sync), answer every request 200 in the end, and peak under the limit.
 *
 * Exits 1 when the server died, a request was not answered 200 in the end, or VmHWM reached the
 * limit. About 30 s on 2 vCPUs (the 64 syncs of 8 MiB are CPU work, one after another), so it is a
 * script rather than part of `npm run test:fast`; figures in docs/hook-server.md.
 *
 *   npm run bench:memory                         # defaults: 64 concurrent, 256 MiB
 *   MEMORY_LIMIT_MIB=256 CONCURRENCY=64 HOOK_BUFFER_BUDGET_BYTES=1073741824 npm run bench:memory
 *
 * The limit is a cgroup v2 `memory.max` when /sys/fs/cgroup has the memory controller, else a
 * cgroup v1 `memory.limit_in_bytes` under /sys/fs/cgroup/memory (both need root); without either the
 * run is unconfined and says so (`prlimit --as` is no substitute: Bun reserves gigabytes of address
 * space it never touches). Any HOOK_* variable in the environment is passed to the server.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { examplePayloads } from './payloads.ts';
import { layers } from '../lib/sync/index.ts';

const ROOT = join(import.meta.dir, '..');
const MIB = 1024 * 1024;

export interface MemoryRunOptions {
  limitMiB: number;
  concurrency: number;
  /** Body size to pad up to, in bytes (default: 64 KiB under the 8 MiB limit). */
  bodyBytes: number;
  /** HOOK_* settings for the server. */
  env: Record<string, string>;
  /** Give up on a request that is still refused after this many tries. */
  maxTries: number;
}

export interface MemoryRun {
  confinement: string;
  bodyBytes: number;
  answerBytes: number;
  /** Answers of the first, concurrent wave, by status. */
  firstWave: Record<number, number>;
  /** Final answers after retrying 429s, by status. */
  final: Record<number, number>;
  /** Tries the last request needed. */
  maxTriesUsed: number;
  seconds: number;
  vmHwmMiB: number;
  vmRssAfterMiB: number;
  cgroupPeakMiB: number | undefined;
  oomKills: number | undefined;
  survived: boolean;
}

/** A real sync-shard request padded to `target` bytes with copies of its observed children. */
export function paddedShardRequest(target: number): string {
  const payload = examplePayloads(layers, 'multi-cell.yaml').find((p) => p.hook === 'sync-shard');
  if (payload === undefined) throw new Error('no sync-shard payload');
  const request = JSON.parse(payload.body) as { children: Record<string, Record<string, { metadata: { name: string; uid?: string } }>> };
  const originals = Object.values(request.children).flatMap((group) => Object.entries(group).map(([name, child]) => ({ group, name, child })));
  let size = payload.body.length;
  for (let n = 0; ; n++) {
    const { group, name, child } = originals[n % originals.length] as (typeof originals)[number];
    const copy = structuredClone(child);
    copy.metadata.name = `${name}-copy${n}`;
    if (copy.metadata.uid !== undefined) copy.metadata.uid = `${copy.metadata.uid}-${n}`;
    const added = JSON.stringify(copy).length + copy.metadata.name.length + 4;
    if (size + added > target) break;
    group[copy.metadata.name] = copy;
    size += added;
  }
  return JSON.stringify(request);
}

interface Confinement {
  description: string;
  /** The command prefix that starts a process inside it. */
  wrap(command: string[]): string[];
  peakBytes(): number | undefined;
  oomKills(): number | undefined;
  remove(): void;
}

function confine(limitBytes: number): Confinement {
  const name = `vitess-operator-memory-${process.pid}`;
  const enter = (procs: string) => (command: string[]) => ['sh', '-c', `echo $$ > ${procs} && exec "$@"`, 'sh', ...command];
  const v2 = '/sys/fs/cgroup';
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);
  try {
    if ((read(join(v2, 'cgroup.controllers')) ?? '').split(/\s+/).includes('memory')) {
      const dir = join(v2, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.max'), String(limitBytes));
      writeFileSync(join(dir, 'memory.swap.max'), '0');
      return {
        description: `cgroup v2 ${dir}, memory.max=${limitBytes / MIB}MiB, no swap`,
        wrap: enter(join(dir, 'cgroup.procs')),
        peakBytes: () => Number(read(join(dir, 'memory.peak')) ?? Number.NaN),
        oomKills: () => Number(/oom_kill (\d+)/.exec(read(join(dir, 'memory.events')) ?? '')?.[1] ?? Number.NaN),
        remove: () => rmdirSync(dir),
      };
    }
    const v1 = '/sys/fs/cgroup/memory';
    if (existsSync(join(v1, 'memory.limit_in_bytes'))) {
      const dir = join(v1, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
      // No swap on the machine, but bound it too where memsw accounting is on.
      if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
      return {
        description: `cgroup v1 ${dir}, memory.limit_in_bytes=${limitBytes / MIB}MiB`,
        wrap: enter(join(dir, 'cgroup.procs')),
        peakBytes: () => Number(read(join(dir, 'memory.max_usage_in_bytes')) ?? Number.NaN),
        oomKills: () => Number(/oom_kill (\d+)/.exec(read(join(dir, 'memory.oom_control')) ?? '')?.[1] ?? Number.NaN),
        remove: () => rmdirSync(dir),
      };
    }
  } catch (error) {
    console.warn(`memory: no cgroup (${error instanceof Error ? error.message : String(error)}); running unconfined`);
  }
  return { description: 'unconfined (no writable cgroup): VmHWM is measured, not enforced', wrap: (command) => command, peakBytes: () => undefined, oomKills: () => undefined, remove: () => undefined };
}

/** A field of /proc/<pid>/status in KiB; NaN once the process is gone (a zombie has none). */
const statusKiB = (pid: number, field: string): number => {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
};

const count = (statuses: readonly number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

export async function runMemory(options: Partial<MemoryRunOptions> = {}): Promise<MemoryRun> {
  const { limitMiB = 256, concurrency = 64, bodyBytes = 8 * MIB - 64 * 1024, env = {}, maxTries = 200 } = options;
  const body = paddedShardRequest(bodyBytes);
  const confinement = confine(limitMiB * MIB);
  const bun = join(ROOT, 'node_modules', '.bin', 'bun');
  const command = confinement.wrap([bun, 'run', join(ROOT, 'hooks', 'server.ts')]);
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: '0', HOOK_HOST: '127.0.0.1', HOOK_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out: string | undefined = '';
      // The `listening` line names the port; the access log after it is drained unread.
      child.stdout?.on('data', (chunk: Buffer) => {
        if (out === undefined) return;
        out += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (match) {
          out = undefined;
          resolve((match[1] as string).replace(/\/$/, ''));
        }
      });
      child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
    });
    const pid = child.pid as number;
    const post = async (): Promise<{ status: number; retryAfter: number; bytes: number }> => {
      try {
        const res = await fetch(`${url}/sync-shard`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const bytes = (await res.arrayBuffer()).byteLength;
        return { status: res.status, retryAfter: Number(res.headers.get('retry-after') ?? 1), bytes };
      } catch {
        return { status: 0, retryAfter: 1, bytes: 0 };
      }
    };
    const started = performance.now();
    const firstWave: number[] = [];
    let answerBytes = 0;
    let maxTriesUsed = 0;
    // Each client retries a refusal after its Retry-After (jittered, as Metacontroller's queue does).
    const client = async (): Promise<number> => {
      for (let tries = 1; ; tries++) {
        const { status, retryAfter, bytes } = await post();
        if (tries === 1) firstWave.push(status);
        if (status === 200) answerBytes = bytes;
        if (status !== 429 || tries >= maxTries) {
          maxTriesUsed = Math.max(maxTriesUsed, tries);
          return status;
        }
        await Bun.sleep(Math.max(100, retryAfter * 1000) * (0.5 + Math.random()));
      }
    };
    const final = await Promise.all(Array.from({ length: concurrency }, client));
    const seconds = (performance.now() - started) / 1000;
    const survived = !exited && !Number.isNaN(statusKiB(pid, 'VmHWM')) && (await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false)) && (await post()).status === 200;
    const vmHwmMiB = statusKiB(pid, 'VmHWM') / 1024;
    const vmRssAfterMiB = statusKiB(pid, 'VmRSS') / 1024;
    const peak = confinement.peakBytes();
    return {
      confinement: confinement.description,
      bodyBytes: body.length,
      answerBytes,
      firstWave: count(firstWave),
      final: count(final),
      maxTriesUsed,
      seconds,
      vmHwmMiB,
      vmRssAfterMiB,
      cgroupPeakMiB: peak === undefined ? undefined : peak / MIB,
      oomKills: confinement.oomKills(),
      survived,
    };
  } finally {
    child.kill('SIGKILL');
    if (!exited) await new Promise((resolve) => child.on('exit', resolve));
    confinement.remove();
  }
}

if (import.meta.main) {
  const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('HOOK_') && entry[1] !== undefined));
  const run = await runMemory({ limitMiB: Number(process.env.MEMORY_LIMIT_MIB ?? 256), concurrency: Number(process.env.CONCURRENCY ?? 64), env });
  console.log(JSON.stringify({ settings: env, ...run }, null, 2));
  const ok = run.survived && run.vmHwmMiB < Number(process.env.MEMORY_LIMIT_MIB ?? 256) && run.final[200] === Number(process.env.CONCURRENCY ?? 64);
  process.exit(ok ? 0 : 1);
}
