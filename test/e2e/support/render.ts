/**
 * Every object the hooks produce for a VitessCluster, as one list: the VitessCluster (with its
 * status) first, then every object of the tree, each Vitess* parent with the status its hook wrote.
 *
 * Runs the render CLI (`bun run render FILE --ready --output json`, package.json's `render` script):
 * the hooks under the simulator with our CompositeControllers and a fake kubelet, until converged.
 * Each child comes as the simulated cluster stores it, with Metacontroller's last-applied annotation
 * (what the hook asked for) and ownerReferences to its parent's (simulated) uid.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../controlplane/kubeclient.ts';
import type { Obj } from './kube.ts';

export { REPO_ROOT };

export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');

/** The render command from package.json (`bun run scripts/render.ts`), with this Bun. */
function renderCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const words = (pkg.scripts?.render ?? '').trim().split(/\s+/);
  const file = words.find((w) => /\.(ts|js)$/.test(w));
  if (words[0] !== 'bun' || !file || !existsSync(join(REPO_ROOT, file))) {
    throw new Error(`package.json's "render" script should be "bun run <file>" of an existing file, got ${JSON.stringify(pkg.scripts?.render)}`);
  }
  return [process.execPath, ...words.slice(1)];
}

/**
 * Renders a VitessCluster YAML file with the render CLI: every object, the cluster first. With `from`
 * (a saved render), the file is an edit of that state, as when a user edits a running cluster: the
 * hooks see the objects that exist, so what they hold (PVCs, immutable fields) stays as it is.
 */
export async function renderFile(file: string, from?: string): Promise<Obj[]> {
  const cmd = renderCommand();
  const fromArgs = from === undefined ? [] : ['--from', from];
  const proc = Bun.spawnSync([...cmd, file, ...fromArgs, '--ready', '--output', 'json'], { cwd: REPO_ROOT, stdout: 'pipe', stderr: 'pipe' });
  if (proc.exitCode !== 0) {
    throw new Error(`render ${file} exited ${proc.exitCode}: ${proc.stderr.toString().slice(0, 2000)}`);
  }
  const out = JSON.parse(proc.stdout.toString()) as unknown;
  if (!Array.isArray(out)) throw new Error(`render ${file}: --output json did not print a JSON array`);
  return out as Obj[];
}

/** Renders a VitessCluster object (written to a scratch file for the CLI), optionally as an edit of a previous render. */
export async function renderCluster(cluster: Obj, scratchName: string, previous?: Obj[]): Promise<Obj[]> {
  const dir = join(REPO_ROOT, '.cache/e2e');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `${scratchName}.yaml`);
  writeFileSync(file, stringify(cluster));
  if (previous === undefined) return renderFile(file);
  const from = resolve(dir, `${scratchName}.from.json`);
  writeFileSync(from, JSON.stringify(previous));
  return renderFile(file, from);
}
