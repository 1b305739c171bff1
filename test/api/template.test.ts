/**
 * Issue 18.3 and 18.6: what template labels and annotations may do (lib/api/template.ts).
 *
 * - every selector the operator makes (the rendered examples' Services, workloads, PDBs) and every
 *   selector in metacontroller/ (the hook Service and Deployment, the PodMonitors) is made of label
 *   keys or key/value pairs a template may not set, so a template label cannot join our Pods to a
 *   Service of ours or to the hook Service;
 * - every layer refuses such a label, an AppArmor/seccomp/mesh opt-out annotation, and any object in
 *   the operator's namespace, with the field's path, holding every child;
 * - the hook server reads its namespace from HOOK_OPERATOR_NAMESPACE (hooks.yaml sets it from the
 *   downward API) and hands it to every sync.
 */
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { refusedAnnotation, refusedLabel, templateProblems } from '../../lib/api/template.ts';
import { defineHookServer } from '../../lib/http/main.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { clusterLayer } from '../../lib/sync/cluster.ts';
import { layers } from '../../lib/sync/index.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';
import { allObjects, renderTree } from '../templates/seed-tree.ts';

const ROOT = join(import.meta.dir, '..', '..');

/** Every `key=value` (or `key` with any value, for matchExpressions) a selector in `object` matches on. */
function selectorsOf(object: Record<string, unknown>): { key: string; value?: string; where: string }[] {
  const out: { key: string; value?: string; where: string }[] = [];
  const where = `${String(object.kind)}/${String((object.metadata as { name?: string } | undefined)?.name)}`;
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => visit(item, `${path}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'matchLabels' || (key === 'selector' && object.kind === 'Service' && path === '.spec')) {
        for (const [label, labelValue] of Object.entries(value as Record<string, string>)) out.push({ key: label, value: labelValue, where: `${where}${path}.${key}` });
      } else if (key === 'matchExpressions') {
        for (const expression of value as { key: string }[]) out.push({ key: expression.key, where: `${where}${path}.${key}` });
      } else {
        visit(value, `${path}.${key}`);
      }
    }
  };
  visit(object, '');
  return out;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? yamlFiles(path) : name.endsWith('.yaml') ? [path] : [];
  });
}

describe('no template label can join a selector of ours', () => {
  test("metacontroller/: the hook Service's and Deployment's selectors, the PodMonitors'", () => {
    const selectors = yamlFiles(join(ROOT, 'metacontroller')).flatMap((file) =>
      parseAllDocuments(readFileSync(file, 'utf8'))
        .map((doc) => doc.toJSON() as Record<string, unknown> | null)
        .filter((doc): doc is Record<string, unknown> => doc !== null && typeof doc === 'object' && doc.kind !== 'CustomResourceDefinition')
        .flatMap(selectorsOf),
    );
    expect(selectors.some((s) => s.key === 'app.kubernetes.io/name' && s.value === 'vitess-operator-hooks' && s.where.startsWith('Service/'))).toBe(true);
    const joinable = selectors.filter((s) => refusedLabel(s.key, s.value ?? 'any value') === undefined);
    expect(joinable).toEqual([]);
  });

  test('every selector the templates make (seed tree, all four layers)', () => {
    // A Vitess child's spec.selector is the user's own (the VitessCluster's, passed down), not one we make.
    const made = allObjects(renderTree()).filter((object) => !object.kind.startsWith('Vitess'));
    const selectors = made.flatMap((object) => selectorsOf(object as unknown as Record<string, unknown>));
    expect(selectors.length).toBeGreaterThan(10);
    expect(selectors.filter((s) => refusedLabel(s.key, s.value ?? 'any value') === undefined)).toEqual([]);
  });

  test("users' own labels stay: app, team, app.kubernetes.io/name of their app", () => {
    expect(templateProblems({ metadata: { labels: { app: 'vitess', team: 'storefront', 'app.kubernetes.io/name': 'shop', 'example.com/owner': 'x' }, annotations: { 'prometheus.io/scrape': 'true', 'example.com/cost-center': '7' } } }, 'spec.template')).toEqual([]);
  });

  test('refused annotations: AppArmor, seccomp, mesh opt-outs, ours and Metacontroller\'s', () => {
    for (const key of [
      'container.apparmor.security.beta.kubernetes.io/vttablet',
      'seccomp.security.alpha.kubernetes.io/pod',
      'container.seccomp.security.alpha.kubernetes.io/mysqld',
      'sidecar.istio.io/inject',
      'traffic.sidecar.istio.io/excludeInboundPorts',
      'linkerd.io/inject',
      'config.linkerd.io/skip-inbound-ports',
      'vitess.io/revision',
      'metacontroller.k8s.io/last-applied-configuration',
    ]) {
      expect(refusedAnnotation(key)).toBeDefined();
    }
  });
});

type Body = { parent: { metadata: Record<string, unknown>; spec: Record<string, unknown> }; children: Record<string, Record<string, KubeObject>> };

const FIXTURE_OF: Record<string, string> = {
  'sync-cluster': 'seed-all-ready',
  'sync-cell': 'production-zone1-all-ready',
  'sync-keyspace': 'seed-main-all-ready',
  'sync-shard': 'seed-x-80-all-ready',
};

function sync(hook: string, edit: (body: Body) => void, operatorNamespace?: string): { reason?: string; problems?: string[]; children: KubeObject[]; observed: number } {
  const body = loadJson(join(FIXTURES, hook, FIXTURE_OF[hook] as string, 'request.json')) as Body;
  edit(body);
  const layer = layers.find((l) => l.name === hook)!;
  const answer = layer.sync(parseSyncRequest(body, layer.parentKind), { now: FIXED_NOW, ...(operatorNamespace === undefined ? {} : { operatorNamespace }) });
  const status = answer.status as { problems?: string[]; conditions: { type: string; reason: string }[] };
  const observed = Object.values(body.children).reduce((n, group) => n + Object.keys(group).length, 0);
  return { reason: status.conditions.find((c) => c.type === 'Ready')?.reason, problems: status.problems, children: answer.children, observed };
}

const withLabel = (key: string, value: string) => (body: Body) => {
  const template = (body.parent.spec.template ?? {}) as { metadata?: { labels?: Record<string, string> } };
  body.parent.spec.template = { ...template, metadata: { ...template.metadata, labels: { ...template.metadata?.labels, [key]: value } } };
};
const withAnnotation = (key: string, value: string) => (body: Body) => {
  const template = (body.parent.spec.template ?? {}) as { metadata?: { annotations?: Record<string, string> } };
  body.parent.spec.template = { ...template, metadata: { ...template.metadata, annotations: { ...template.metadata?.annotations, [key]: value } } };
};

describe('every layer refuses them, with the path, holding every child', () => {
  for (const hook of Object.keys(FIXTURE_OF)) {
    test(`${hook}: the hook Pods' label, an identity label, AppArmor unconfined, a mesh opt-out`, () => {
      const cases: [(body: Body) => void, string][] = [
        [withLabel('app.kubernetes.io/name', 'vitess-operator-hooks'), 'spec.template.metadata.labels.app.kubernetes.io/name'],
        [withLabel('vitess.io/component', 'vtgate'), 'spec.template.metadata.labels.vitess.io/component'],
        [withLabel('statefulset.kubernetes.io/pod-name', 'x-etcd-0'), 'spec.template.metadata.labels.statefulset.kubernetes.io/pod-name'],
        [withAnnotation('container.apparmor.security.beta.kubernetes.io/vttablet', 'unconfined'), 'spec.template.metadata.annotations.container.apparmor.security.beta.kubernetes.io/vttablet'],
        [withAnnotation('sidecar.istio.io/inject', 'false'), 'spec.template.metadata.annotations.sidecar.istio.io/inject'],
      ];
      for (const [edit, path] of cases) {
        const answer = sync(hook, edit);
        expect(answer.reason).toBe('InvalidSpec');
        expect(answer.problems?.some((p) => p.startsWith(`${path}:`))).toBe(true);
        expect(answer.children.length).toBe(answer.observed);
      }
    });

    test(`${hook}: an object in the operator's namespace is refused; elsewhere, or with no namespace configured, it is not`, () => {
      const inOperator = (body: Body) => (body.parent.metadata.namespace = 'vitess-operator');
      const refused = sync(hook, inOperator, 'vitess-operator');
      expect(refused.reason).toBe('InvalidSpec');
      expect(refused.problems?.[0]).toStartWith("metadata.namespace: 'vitess-operator' is the operator's own namespace");
      expect(refused.children.length).toBe(refused.observed);
      expect(sync(hook, () => {}, 'vitess-operator').reason).not.toBe('InvalidSpec');
      expect(sync(hook, inOperator).reason).not.toBe('InvalidSpec');
    });
  }
});

describe('the hook server hands its namespace to every sync', () => {
  test('HOOK_OPERATOR_NAMESPACE: a VitessCluster there is InvalidSpec through the app', async () => {
    const hook = defineHookServer([clusterLayer], { env: { HOOK_OPERATOR_NAMESPACE: 'vitess-operator' } });
    const body = loadJson(join(FIXTURES, 'sync-cluster', 'seed-new', 'request.json')) as Body;
    body.parent.metadata.namespace = 'vitess-operator';
    const res = await hook.app.request('/sync-cluster', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { status: { problems?: string[] } };
    expect(answer.status.problems?.[0]).toStartWith('metadata.namespace:');
  });

  test('hooks.yaml sets it from the downward API', () => {
    const text = readFileSync(join(ROOT, 'metacontroller', 'hooks.yaml'), 'utf8');
    const deployment = parseAllDocuments(text)
      .map((doc) => doc.toJSON() as { kind?: string; spec?: { template: { spec: { containers: { env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }[] } } } })
      .find((doc) => doc.kind === 'Deployment');
    const env = deployment?.spec?.template.spec.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'HOOK_OPERATOR_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
  });
});
