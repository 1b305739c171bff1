/**
 * Issue 19 item 1: every example applies to a cluster that has only Metacontroller and our manifests.
 *
 * Every object an example names by reference (in its VitessCluster, and in everything the hooks make
 * of it: PriorityClass, ServiceAccount, RuntimeClass, Secret, ConfigMap, StorageClass, claim; see
 * lib/kube/references.ts) is made by the hooks, shipped in the example file (another document), built
 * into every cluster, or listed on the example's one `# Prerequisites:` comment line. What the API
 * server checks when a Pod is created (PriorityClass, RuntimeClass, ServiceAccount) cannot be a
 * prerequisite: the example must ship it, or nothing of it would be refused on a fresh cluster.
 * test/e2e/objects.e2e.ts applies each example that way to a real API server.
 */
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT_IN, CHECKED_AT_ADMISSION, references } from '../../lib/kube/references.ts';
import { objectKey } from '../../lib/kube/object.ts';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { parseExampleYaml, render } from '../../lib/simulator/render.ts';
import { layers } from '../../lib/sync/index.ts';

const EXAMPLES = join(import.meta.dir, '..', '..', 'examples');
const files = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$/.test(f)).sort();

/** The objects listed on the example's `# Prerequisites: Kind/name, ...` line (at most one such line). */
export function prerequisites(text: string): string[] {
  const lines = text.split('\n').filter((line) => /^#\s*Prerequisites\b/i.test(line));
  if (lines.length > 1) throw new Error('more than one # Prerequisites line');
  if (lines.length === 0) return [];
  // Kind/name items, comma-separated; a note in parentheses after an item is for the reader.
  const list = lines[0]!.slice(lines[0]!.indexOf(':') + 1).replace(/\([^)]*\)/g, '');
  return list
    .split(',')
    .map((item) => item.trim().replace(/\.$/, ''))
    .filter((item) => item !== '');
}

describe('prerequisites line', () => {
  test('reads Kind/name items from the one # Prerequisites line', () => {
    expect(prerequisites('# Prerequisites: Secret/a, StorageClass/fast.\napiVersion: v1\n')).toEqual(['Secret/a', 'StorageClass/fast']);
    expect(prerequisites('# Prerequisites: StorageClass/fast (your provisioner, see below), Secret/b\n')).toEqual(['StorageClass/fast', 'Secret/b']);
    expect(prerequisites('apiVersion: v1\n')).toEqual([]);
    expect(() => prerequisites('# Prerequisites: Secret/a\n# Prerequisites: Secret/b\n')).toThrow();
  });
});

for (const file of files) {
  describe(`examples/${file}`, () => {
    const text = readFileSync(join(EXAMPLES, file), 'utf8');
    const { cluster, others } = parseExampleYaml(text);
    const listed = prerequisites(text);
    const { result, objects } = render(cluster, { controllers: loadControllers(), layers, ready: true });
    const made = new Set(objects.map(objectKey));
    const shipped = new Set(others.map(objectKey));
    const named = [...new Set([...references(cluster.spec), ...objects.flatMap((o) => references(o))])].sort();

    test('renders (converges without errors)', () => {
      expect(result.converged).toBe(true);
      expect(result.errors).toEqual([]);
    });

    test('every object it names is made by the hooks, shipped with it, built in, or a listed prerequisite', () => {
      const missing = named.filter((ref) => !made.has(ref) && !shipped.has(ref) && !BUILT_IN.has(ref) && !listed.includes(ref));
      expect(missing).toEqual([]);
    });

    test('what the API server checks when it creates a Pod (PriorityClass, RuntimeClass, ServiceAccount) is shipped, never only a prerequisite', () => {
      expect(listed.filter((ref) => CHECKED_AT_ADMISSION.has(ref.split('/')[0]!))).toEqual([]);
    });

    test('every listed prerequisite is named by it (no stale entries), written Kind/name', () => {
      for (const ref of listed) expect({ ref, wellFormed: /^[A-Z][A-Za-z]+\/[a-z0-9][a-z0-9.-]*$/.test(ref), named: named.includes(ref) }).toEqual({ ref, wellFormed: true, named: true });
    });

    test('every document shipped with it is named by it', () => {
      for (const ref of shipped) expect({ ref, named: named.includes(ref) }).toEqual({ ref, named: true });
    });
  });
}
