/**
 * Issue 19 item 6: metacontroller/upstream/ builds over upstream's production manifests and runs
 * Metacontroller sized for Vitess (flags, two replicas with leader election, resources, a PDB).
 * The API server accepts what it builds: test/e2e/install.e2e.ts.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Obj } from '../e2e/support/kube.ts';
import { builders, buildOverlay, OVERLAY, overlayResources, UPSTREAM_BASE } from '../e2e/support/metacontroller-overlay.ts';

const SIZED_FLAGS = ['--client-go-qps=100', '--client-go-burst=200', '--workers=16', '--leader-election', '--leader-election-namespace=metacontroller'];
const UPSTREAM_FLAGS = ['--zap-log-level=4', '--discovery-interval=20s'];

type StatefulSet = Obj & {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { affinity?: unknown; containers: { name: string; image: string; args: string[]; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }[] } };
  };
};

const find = (objects: Obj[], kind: string, name: string): Obj | undefined => objects.find((o) => o.kind === kind && o.metadata.name === name);

describe('metacontroller/upstream: Metacontroller sized for Vitess', () => {
  test('is an overlay of upstream manifests/production pinned to the release whose image the stand-in base runs', () => {
    const remote = overlayResources().find((r) => UPSTREAM_BASE.test(r));
    expect(remote).toBeDefined();
    const ref = UPSTREAM_BASE.exec(remote!)![1];
    const standIn = readFileSync(join(import.meta.dir, '..', 'e2e', 'fixtures', 'metacontroller-production.yaml'), 'utf8');
    expect(standIn).toContain(`ghcr.io/metacontroller/metacontroller:${ref}`);
    expect(readFileSync(join(OVERLAY, 'kustomization.yaml'), 'utf8')).toContain(`(${ref}:`);
  });

  for (const builder of builders()) {
    test(`${builder === 'kubectl' ? '`kubectl kustomize`' : 'the kustomize subset'} builds it: the flags, two leader-elected replicas spread over nodes, resources, a PDB`, () => {
      const objects = buildOverlay(builder);
      const sts = find(objects, 'StatefulSet', 'metacontroller') as StatefulSet | undefined;
      expect(sts?.metadata.namespace).toBe('metacontroller');
      expect(sts!.spec.replicas).toBe(2);
      const container = sts!.spec.template.spec.containers.find((c) => c.name === 'metacontroller')!;
      // Upstream's flags kept, ours added, each once.
      expect(container.args).toEqual([...UPSTREAM_FLAGS, ...SIZED_FLAGS]);
      expect(container.image).toBe('ghcr.io/metacontroller/metacontroller:v4.17.2');
      expect(container.resources?.requests).toEqual({ cpu: '200m', memory: '256Mi' });
      expect(container.resources?.limits?.memory).toBe('1Gi');
      expect(JSON.stringify(sts!.spec.template.spec.affinity)).toContain('kubernetes.io/hostname');
      // The PDB selects the StatefulSet's Pods.
      const pdb = find(objects, 'PodDisruptionBudget', 'metacontroller') as (Obj & { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } }) | undefined;
      expect(pdb?.metadata.namespace).toBe('metacontroller');
      expect(pdb!.spec.maxUnavailable).toBe(1);
      for (const [k, v] of Object.entries(pdb!.spec.selector.matchLabels)) expect(sts!.spec.template.metadata.labels[k]).toBe(v);
      // Upstream's other objects are still there, unchanged in kind and name.
      for (const [kind, name] of [
        ['Namespace', 'metacontroller'],
        ['ServiceAccount', 'metacontroller'],
        ['ClusterRole', 'metacontroller'],
        ['ClusterRoleBinding', 'metacontroller'],
        ['CustomResourceDefinition', 'compositecontrollers.metacontroller.k8s.io'],
      ] as const) {
        expect({ kind, name, found: find(objects, kind, name) !== undefined }).toEqual({ kind, name, found: true });
      }
    });
  }

  if (builders().includes('kubectl')) {
    test('the kustomize subset builds the same StatefulSet and PDB as `kubectl kustomize`', () => {
      const pick = (objects: Obj[]) => ['StatefulSet', 'PodDisruptionBudget'].map((kind) => find(objects, kind, 'metacontroller'));
      expect(pick(buildOverlay('subset'))).toEqual(pick(buildOverlay('kubectl')));
    });
  }
});
