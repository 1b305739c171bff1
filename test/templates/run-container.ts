/**
 * Runs a rendered container's command as the kubelet would start it, with the Vitess binaries
 * replaced by stubs that record their argv: env values and the command expanded by the kubelet's
 * `$(VAR)` rules (in order, each env value seeing the ones before it), then executed directly (no
 * shell of ours around it). The image's binaries live in /vt/bin: that directory, wherever the
 * command or an env value names it, is the stubs' directory; /mnt/vt and /vt/config are folders of the run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { kubeletExpand } from '../../lib/kube/expansion.ts';

/** One stub's call: the binary's name and its arguments, exactly as received. */
export interface Call {
  binary: string;
  args: string[];
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: Call[];
  /** The run's folder: the working directory, and where stubs keep their records. */
  dir: string;
}

/** What the downward API would give the Pod. */
const DOWNWARD: Record<string, string> = { POD_IP: '10.1.2.3', POD_NAME: 'pod-0' };

/**
 * Stubs: binary name -> shell body run after the call is recorded (default: exit 0). The body sees
 * the arguments as "$@" and `$RECORDS`, a folder it may keep state in.
 */
export function runContainer(container: V1Container, stubs: Record<string, string>, options: { cwd?: string } = {}): Run {
  const dir = mkdtempSync(join(tmpdir(), 'run-container-'));
  const bin = join(dir, 'bin');
  const calls = join(dir, 'calls');
  const records = join(dir, 'records');
  for (const folder of [bin, calls, records]) mkdirSync(folder);
  for (const [name, body] of Object.entries(stubs)) {
    const path = join(bin, name);
    // Each call is one file, its arguments NUL-terminated: any value survives the round trip.
    writeFileSync(path, `#!/bin/sh\nn=$(ls '${calls}' | wc -l)\n{ printf '%s\\0' '${name}'; for a in "$@"; do printf '%s\\0' "$a"; done; } > '${calls}'/$(printf %06d "$n")\nRECORDS='${records}'\n${body}\n`);
    chmodSync(path, 0o755);
  }
  // The image's folders, in the run's folder: /mnt/vt (the shared emptyDir) first, then /vt/bin and /vt/config.
  mkdirSync(join(dir, 'vt', 'config'), { recursive: true });
  mkdirSync(join(dir, 'mnt'));
  const local = (text: string): string => text.replaceAll('/mnt/vt', join(dir, 'mnt')).replaceAll('/vt/bin/', `${bin}/`).replaceAll('/vt/config', join(dir, 'vt', 'config'));
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = local(kubeletExpand(variable.value, env));
    else if (variable.valueFrom?.fieldRef !== undefined) env[variable.name] = DOWNWARD[variable.name] ?? 'downward';
  }
  const command = [...(container.command ?? []), ...(container.args ?? [])].map((word) => local(kubeletExpand(word, env)));
  const [program, ...args] = command;
  if (program === undefined) throw new Error(`container ${container.name} has no command`);
  const result = spawnSync(program, args, { cwd: options.cwd ?? dir, encoding: 'utf8', env: { ...env, PATH: `${bin}:/usr/bin:/bin` }, timeout: 10_000 });
  const recorded = readdirSync(calls)
    .sort()
    .map((file) => {
      const [binary = '', ...rest] = readFileSync(join(calls, file), 'utf8').split('\0').slice(0, -1);
      return { binary, args: rest };
    });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls: recorded, dir };
}
