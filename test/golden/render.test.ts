/**
 * Golden renders of every example: the converged tree (`render --ready`) and the manifests the
 * hooks produce, without what the API server and Metacontroller add (uids, owner references,
 * the last-applied annotation, which repeats the object, and status, which the tree shows).
 */
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../../lib/kube/object.ts';
import { LAST_APPLIED_ANNOTATION } from '../../lib/metacontroller/hold.ts';
import { formatOutput, parseClusterYaml, render } from '../../lib/simulator/render.ts';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { layers } from '../../lib/sync/index.ts';
import { FIXTURES, golden } from '../fixtures/loader.ts';

const EXAMPLES = join(import.meta.dir, '..', '..', 'examples');

function manifest(object: KubeObject): KubeObject {
  const { status: _status, metadata, ...rest } = object;
  const { uid: _u, resourceVersion: _r, creationTimestamp: _c, generation: _g, ownerReferences: _o, finalizers: _f, managedFields: _m, annotations, ...meta } = metadata;
  const { [LAST_APPLIED_ANNOTATION]: _applied, ...kept } = annotations ?? {};
  const { apiVersion, kind, ...body } = rest;
  // Ordered as people write manifests: apiVersion, kind, metadata, then the rest.
  return { apiVersion, kind, metadata: { ...meta, ...(Object.keys(kept).length > 0 ? { annotations: kept } : {}) }, ...body };
}

describe('render --ready of every example', () => {
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort()) {
    const name = file.replace(/\.yaml$/, '');
    test(name, () => {
      const cluster = parseClusterYaml(readFileSync(join(EXAMPLES, file), 'utf8'));
      const { result, objects } = render(cluster, { controllers: loadControllers(), layers, ready: true });
      expect(result.converged).toBe(true);
      expect(result.errors).toEqual([]);
      const top = objects[0] as KubeObject;
      const conditions = (top.status as { conditions: { type: string; status: string }[] }).conditions;
      expect(conditions.filter((c) => c.status === 'True').map((c) => c.type).sort()).toEqual(['Ready', 'Updated']);
      const tree = formatOutput(objects, 'tree');
      expect(tree).toBe(golden(join(FIXTURES, 'render', name, 'tree.txt'), tree));
      const manifests = stringify(objects.map(manifest));
      expect(manifests).toBe(golden(join(FIXTURES, 'render', name, 'manifests.yaml'), manifests));
    });
  }
});
