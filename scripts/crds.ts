/**
 * Writes crds/ from lib/api (`bun run crds`), or with `--check` exits 1 when crds/ differs from what
 * would be written (CI, and a reminder to regenerate after a schema change).
 */
import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCrds, crdFiles } from '../lib/api/crd.ts';
import { structuralProblems } from '../lib/api/openapi-validate.ts';

const DIR = join(import.meta.dir, '..', 'crds');

/** The first few differing lines of two texts, numbered, in the style of a unified diff. */
function lineDiff(name: string, onDisk: string | undefined, generated: string | undefined, limit = 12): string {
  if (onDisk === undefined) return `+ crds/${name}: missing (would be written)`;
  if (generated === undefined) return `- crds/${name}: not generated (would be removed)`;
  const before = onDisk.split('\n');
  const after = generated.split('\n');
  const lines = [`--- crds/${name} (on disk)`, `+++ crds/${name} (generated)`];
  let shown = 0;
  for (let index = 0; index < Math.max(before.length, after.length) && shown < limit; index++) {
    if (before[index] === after[index]) continue;
    lines.push(`@@ line ${index + 1}`);
    if (before[index] !== undefined) lines.push(`-${before[index]}`);
    if (after[index] !== undefined) lines.push(`+${after[index]}`);
    shown++;
  }
  if (shown === limit) lines.push('... (more differences)');
  return lines.join('\n');
}

function readDir(): Map<string, string> {
  const files = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(DIR);
  } catch {
    return files;
  }
  for (const name of names.filter((file) => file.endsWith('.yaml')).sort()) files.set(name, readFileSync(join(DIR, name), 'utf8'));
  return files;
}

function main(args: readonly string[]): number {
  // Refuse to write a CRD the API server would reject.
  const problems = buildCrds().flatMap((crd) => structuralProblems(crd.spec.versions[0]!.schema.openAPIV3Schema).map((problem) => `${crd.metadata.name}: ${problem}`));
  if (problems.length > 0) {
    console.error(`not structural:\n${problems.join('\n')}`);
    return 2;
  }
  const generated = crdFiles();
  const onDisk = readDir();
  const names = [...new Set([...generated.keys(), ...onDisk.keys()])].sort();
  const differing = names.filter((name) => generated.get(name) !== onDisk.get(name));
  if (args.includes('--check')) {
    if (differing.length === 0) return 0;
    console.error(differing.map((name) => lineDiff(name, onDisk.get(name), generated.get(name))).join('\n\n'));
    console.error(`\ncrds/ is out of date (${differing.join(', ')}): run \`bun run crds\``);
    return 1;
  }
  mkdirSync(DIR, { recursive: true });
  // crds/ holds generated files only: a YAML file no longer generated (a renamed kind) is removed.
  const stale = differing.filter((name) => !generated.has(name));
  const written = differing.filter((name) => generated.has(name));
  for (const name of stale) unlinkSync(join(DIR, name));
  for (const name of written) writeFileSync(join(DIR, name), generated.get(name)!);
  if (differing.length === 0) console.log('crds/ is up to date');
  if (written.length > 0) console.log(`wrote crds/: ${written.join(', ')}`);
  if (stale.length > 0) console.log(`removed from crds/: ${stale.join(', ')}`);
  return 0;
}

process.exit(main(process.argv.slice(2)));
