/**
 * Loading our shipped CompositeController manifests from the repository (the only I/O of the
 * simulator), optionally with kustomize components such as `etcd-operator`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { applyComponent, parseControllers, parseManifests, type ControllerSpec } from './controllers.ts';

/** The repository's metacontroller/ directory. */
export const METACONTROLLER_DIR = join(import.meta.dir, '..', '..', 'metacontroller');

export function loadControllers(components: readonly string[] = [], dir: string = METACONTROLLER_DIR): ControllerSpec[] {
  const base = parseManifests(readFileSync(join(dir, 'controllers.yaml'), 'utf8'));
  const patched = components.reduce(
    (docs, component) => applyComponent(docs, readFileSync(join(dir, 'components', component, 'kustomization.yaml'), 'utf8')),
    base,
  );
  return parseControllers(patched.map((doc) => stringify(doc)).join('---\n'));
}
