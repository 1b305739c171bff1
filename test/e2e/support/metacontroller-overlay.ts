/**
 * Builds metacontroller/upstream/ (Metacontroller sized for Vitess, over upstream's production
 * manifests) where github.com cannot be reached: the overlay is copied to a scratch directory and its
 * remote base replaced by a local stand-in of upstream's manifests/production (the objects of
 * test/e2e/fixtures/metacontroller-production.yaml and Metacontroller's CRDs, under upstream's
 * kustomization: its common label). Built by `kubectl kustomize` when kubectl is installed, and by
 * the kustomize subset of ./kustomize.ts (what the e2e machine has).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../controlplane/kubeclient.ts';
import type { Obj } from './kube.ts';
import { kustomize, parseYamlDocuments } from './kustomize.ts';

export const OVERLAY = join(REPO_ROOT, 'metacontroller/upstream');
const FIXTURES = join(REPO_ROOT, 'test/e2e/fixtures');
/** The remote base of the overlay: upstream's production manifests at a release tag. */
export const UPSTREAM_BASE = /^https:\/\/github\.com\/metacontroller\/metacontroller\/manifests\/production\?ref=(v[0-9.]+)$/;

export type Builder = 'kubectl' | 'subset';

/** The builders this machine has: our subset always, `kubectl kustomize` when kubectl is on the PATH. */
export function builders(): Builder[] {
  return Bun.which('kubectl') === null ? ['subset'] : ['subset', 'kubectl'];
}

/** The overlay's resources as written (the remote base among them). */
export function overlayResources(): string[] {
  const text = readFileSync(join(OVERLAY, 'kustomization.yaml'), 'utf8');
  const [k] = parseYamlDocuments(text, 'metacontroller/upstream/kustomization.yaml') as { resources?: string[] }[];
  return k?.resources ?? [];
}

/** Every object the overlay builds to, its remote base standing in locally. */
export function buildOverlay(builder: Builder): Obj[] {
  const scratch = mkdtempSync(join(tmpdir(), 'metacontroller-overlay-'));
  try {
    const base = join(scratch, 'upstream-production');
    const overlay = join(scratch, 'overlay');
    mkdirSync(base);
    mkdirSync(overlay);
    copyFileSync(join(FIXTURES, 'metacontroller-production.yaml'), join(base, 'metacontroller-production.yaml'));
    copyFileSync(join(FIXTURES, 'metacontroller-crds-v1.yaml'), join(base, 'metacontroller-crds-v1.yaml'));
    writeFileSync(
      join(base, 'kustomization.yaml'),
      'commonLabels:\n  app.kubernetes.io/name: metacontroller\nresources:\n  - metacontroller-production.yaml\n  - metacontroller-crds-v1.yaml\n',
    );
    for (const f of readdirSync(OVERLAY)) copyFileSync(join(OVERLAY, f), join(overlay, f));
    const kustomization = readFileSync(join(OVERLAY, 'kustomization.yaml'), 'utf8');
    const remote = overlayResources().find((r) => UPSTREAM_BASE.test(r));
    if (remote === undefined) throw new Error('metacontroller/upstream/kustomization.yaml does not name upstream manifests/production at a release tag');
    writeFileSync(join(overlay, 'kustomization.yaml'), kustomization.replace(remote, '../upstream-production'));
    if (builder === 'subset') return kustomize(overlay);
    const proc = Bun.spawnSync(['kubectl', 'kustomize', overlay], { stdout: 'pipe', stderr: 'pipe' });
    if (proc.exitCode !== 0) throw new Error(`kubectl kustomize exited ${proc.exitCode}: ${proc.stderr.toString()}`);
    return parseYamlDocuments(proc.stdout.toString(), 'kubectl kustomize output') as Obj[];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
