/**
 * Issue 18.8: no Vitess Pod mounts a ServiceAccount token (no Vitess process calls the Kubernetes
 * API). Every Pod template of every example, rendered through the four layers (tablets, vtctld,
 * vtgate, vtorc, etcd, vtadmin, every Job and CronJob), says automountServiceAccountToken: false.
 */
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../lib/kube/object.ts';
import { reparentJob } from '../../lib/templates/reparent-job.ts';
import { allObjects, renderTree, TABLET_SCOPE } from './seed-tree.ts';

/** The Pod spec an object runs, wherever its kind keeps it. */
function podSpec(object: KubeObject): { automountServiceAccountToken?: boolean } | undefined {
  const o = object as unknown as { spec?: { template?: { spec?: object }; jobTemplate?: { spec?: { template?: { spec?: object } } } } };
  if (object.kind === 'Pod') return o.spec as object;
  return o.spec?.jobTemplate?.spec?.template?.spec ?? o.spec?.template?.spec;
}

const WORKLOADS = new Set(['Pod', 'Deployment', 'StatefulSet', 'Job', 'CronJob']);

describe('no ServiceAccount token in any Vitess Pod', () => {
  for (const file of readdirSync(new URL('../../examples/', import.meta.url)).filter((name) => name.endsWith('.yaml'))) {
    test(file, () => {
      const clusters = parseAllDocuments(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8'))
        .map((doc) => doc.toJSON() as KubeObject)
        .filter((doc) => doc?.kind === 'VitessCluster');
      for (const cluster of clusters) {
        const workloads = allObjects(renderTree(cluster)).filter((o) => WORKLOADS.has(o.kind));
        expect(new Set(workloads.map((o) => o.kind)).size).toBeGreaterThanOrEqual(3);
        const offenders = workloads.filter((o) => podSpec(o)?.automountServiceAccountToken !== false).map((o) => `${o.kind}/${o.metadata.name}`);
        expect(offenders).toEqual([]);
      }
    });
  }
});

test('the reparent Job too (made only during a rollout, so not in a first render)', () => {
  const job = reparentJob(TABLET_SCOPE, { name: 't', uid: 1, type: 'replica' }, { avoidPrimary: 'zone1-0000000001' }, 'vitess/lite:v24.0.3', 'vtctld:15999', 'r');
  expect(job.spec?.template.spec?.automountServiceAccountToken).toBe(false);
});
