/**
 * Issue 18, item 7: NetworkPolicies. With metacontroller/components/network-policies, every
 * VitessCell's hook makes policies that let only the cluster's own Pods reach etcd, vtctld, vtgate,
 * vtorc and the tablets (vtgate's MySQL port stays open, its web port open to the observer); without
 * the component, none (Metacontroller would refuse an undeclared child kind).
 */
import { describe, expect, test } from 'bun:test';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { simulate } from '../../lib/simulator/simulate.ts';
import { layers } from '../../lib/sync/index.ts';
import { seedCluster } from '../templates/seed-tree.ts';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';

type Policy = KubeObject & { spec: { podSelector: { matchLabels: Record<string, string>; matchExpressions?: { key: string; operator: string; values: string[] }[] }; policyTypes: string[]; ingress: { from?: Record<string, any>[]; ports?: { port: number }[] }[] } };

function converged(root: KubeObject, components: string[]): KubeObject[] {
  const result = simulate([root], { controllers: loadControllers(components), layers, kubelet: true, maxRounds: 300 });
  expect(result.converged).toBe(true);
  expect(result.errors).toEqual([]);
  return result.objects;
}

const selects = (policy: Policy, pod: KubeObject): boolean => {
  const labels = pod.metadata.labels ?? {};
  const { matchLabels, matchExpressions = [] } = policy.spec.podSelector;
  return Object.entries(matchLabels).every(([k, v]) => labels[k] === v) && matchExpressions.every((e) => e.operator === 'In' && e.values.includes(labels[e.key] ?? ''));
};

/** The Pods of the tree (tablets) and the Pod templates of its workloads, with their labels. */
function podsOf(objects: KubeObject[]): KubeObject[] {
  return objects.flatMap((o) => {
    if (o.kind === 'Pod') return [o];
    const template = (o.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template;
    if (['Deployment', 'StatefulSet'].includes(o.kind) && template?.metadata?.labels) return [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${o.metadata.name} (template)`, labels: template.metadata.labels } }];
    return [];
  });
}

describe('per-cell NetworkPolicies, made where the component declares them', () => {
  test('without the component: no NetworkPolicy anywhere (the tree is as before)', () => {
    expect(converged(seedCluster(), []).filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  const objects = converged(seedCluster(), ['network-policies']);
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as Policy[];

  test('with it: one policy per cell for its Vitess Pods, one per cell with a vtgate for its MySQL and web ports, one per cell with tablets for their web port; the tree converges Ready', () => {
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(['vitess-global-vitess', 'vitess-zone1-vitess', 'vitess-zone1-vtgate', 'vitess-zone1-vttablet']);
    const root = objects.find((o) => o.kind === 'VitessCluster') as KubeObject & { status: { conditions: { type: string; status: string }[] } };
    expect(root.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  test('every etcd, vtctld, vtgate, vtorc and tablet Pod is selected, and accepts only Pods of its VitessCluster (and vtgate: MySQL from anywhere; vtgate and the tablets: web from the observer)', () => {
    const pods = podsOf(objects);
    const isolated = pods.filter((p) => ['etcd', 'vtctld', 'vtgate', 'vtorc', 'vttablet'].includes(p.metadata.labels?.['vitess.io/component'] ?? ''));
    expect(isolated.length).toBeGreaterThanOrEqual(5);
    for (const pod of isolated) {
      const applying = policies.filter((p) => selects(p, pod));
      expect({ pod: pod.metadata.name, selected: applying.length > 0 }).toEqual({ pod: pod.metadata.name, selected: true });
      const rules = applying.flatMap((p) => p.spec.ingress);
      const component = pod.metadata.labels?.['vitess.io/component'];
      for (const rule of rules) {
        if (rule.from === undefined) {
          // Open to all: only vtgate's MySQL port.
          expect({ pod: pod.metadata.name, component, ports: rule.ports?.map((p) => p.port) }).toEqual({ pod: pod.metadata.name, component: 'vtgate', ports: [3306] });
          continue;
        }
        for (const peer of rule.from) {
          if (peer.namespaceSelector !== undefined) {
            expect(peer).toEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'vitess-operator' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'vitess-operator-observer' } } });
            expect(rule.ports?.map((p) => p.port)).toEqual([15000]);
          } else expect(peer).toEqual({ podSelector: { matchLabels: { 'vitess.io/cluster': 'vitess' } } });
        }
      }
    }
  });

  test("the observer reaches the web port of every tablet (a reshard target's /debug/vars) and of every vtgate, and nothing else", () => {
    const pods = podsOf(objects);
    const observerPorts = (pod: KubeObject): number[] =>
      policies.filter((p) => selects(p, pod)).flatMap((p) => p.spec.ingress).filter((r) => r.from?.some((f) => f.namespaceSelector !== undefined)).flatMap((r) => r.ports?.map((port) => port.port) ?? []);
    for (const pod of pods) {
      const component = pod.metadata.labels?.['vitess.io/component'] ?? '';
      expect({ component, ports: observerPorts(pod) }).toEqual({ component, ports: ['vtgate', 'vttablet'].includes(component) ? [15000] : [] });
    }
    expect(pods.filter((p) => p.metadata.labels?.['vitess.io/component'] === 'vttablet').length).toBeGreaterThan(0);
  });

  test('Pods of another VitessCluster in the namespace are no peers: the peer selector names this cluster', () => {
    const other = parseClusterYaml(readFileSync(new URL('../../examples/minimal.yaml', import.meta.url), 'utf8'));
    const otherPolicies = converged({ ...other, metadata: { ...other.metadata, namespace: 'default', uid: 'u2', generation: 1 } }, ['network-policies']).filter((o) => o.kind === 'NetworkPolicy') as Policy[];
    const peers = otherPolicies.flatMap((p) => p.spec.ingress.flatMap((r) => r.from ?? [])).filter((f) => f.namespaceSelector === undefined);
    expect(peers.length).toBeGreaterThan(0);
    for (const peer of peers) expect(peer.podSelector.matchLabels['vitess.io/cluster']).toBe(other.metadata.name);
    expect(other.metadata.name).not.toBe('vitess');
  });
});

describe('SyncRequest.declared: the child resources of the calling CompositeController', () => {
  const parent = { apiVersion: 'vitess.io/v1alpha1', kind: 'VitessCell', metadata: { name: 'c' } };
  const declared = (controller: unknown) => [...(parseSyncRequest({ controller, parent, children: {} }, 'VitessCell').declared ?? [])];

  test('read from spec.childResources[].resource; any other shape declares nothing (and is no malformed request)', () => {
    expect(declared({ spec: { childResources: [{ apiVersion: 'v1', resource: 'services' }, { apiVersion: 'networking.k8s.io/v1', resource: 'networkpolicies' }] } })).toEqual(['services', 'networkpolicies']);
    expect(declared({})).toEqual([]);
    expect(declared({ spec: { childResources: 'networkpolicies' } })).toEqual([]);
    expect(declared({ spec: { childResources: [{ resource: 7 }, null, 'x'] } })).toEqual([]);
    expect(declared(undefined)).toEqual([]);
  });
});

describe('the component: the hook server only from Metacontroller', () => {
  const dir = new URL('../../metacontroller/', import.meta.url);
  const docs = (file: string) => readFileSync(new URL(file, dir), 'utf8').split(/^---$/m).map((d) => parse(d) as Record<string, any>).filter(Boolean);

  test("its policy selects the hook Pods (the Deployment's template labels) and admits only Metacontroller's Pods, on the hooks' port", () => {
    const [policy] = docs('components/network-policies/hooks-network-policy.yaml');
    const hooks = docs('hooks.yaml').find((d) => d.kind === 'Deployment' && d.metadata.name === 'vitess-operator-hooks')!;
    expect(policy?.metadata.namespace).toBe(hooks.metadata.namespace);
    const labels = hooks.spec.template.metadata.labels as Record<string, string>;
    for (const [k, v] of Object.entries(policy?.spec.podSelector.matchLabels as Record<string, string>)) expect(labels[k]).toBe(v);
    expect(policy?.spec.policyTypes).toEqual(['Ingress']);
    expect(policy?.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'metacontroller' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'metacontroller' } } }],
        ports: [{ protocol: 'TCP', port: hooks.spec.template.spec.containers[0].ports[0].containerPort }],
      },
    ]);
  });

  test("the ClusterRole's ServiceAccount is the one the policy admits: Metacontroller in namespace metacontroller", () => {
    const binding = docs('rbac.yaml').find((d) => d.kind === 'ClusterRoleBinding')!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'metacontroller', namespace: 'metacontroller' }]);
  });
});
