/**
 * A cell's NetworkPolicies (docs/security.md, "Network policies"), made only where the vitess-cell
 * CompositeController declares NetworkPolicies as children (metacontroller/components/network-policies):
 *
 * - `<cell object>-vitess`: etcd, vtctld, vtgate, vtorc and the tablets of the cell accept
 *   connections only from Pods of the same VitessCluster (any cell: vtgates reach tablets in every
 *   cell, replicas replicate across cells, every cell reads the global etcd). No port is named: the
 *   cluster's own Pods use them all.
 * - `<cell object>-vtgate`: vtgate's MySQL port from anywhere (applications, the external Service),
 *   and its web port from the operator's observer, which reads vtgate's view of the shards there.
 * - `<cell object>-vttablet` (cells that run tablets): the tablets' web port from the observer, which
 *   reads a reshard target primary's VReplication streams there (`/debug/vars`, lib/vitess/vreplication.ts).
 *
 * Policies add up: a Pod both select accepts what either allows. vtadmin-api and vtadmin-web are
 * left out (a browser reaches them through your Ingress), and so is etcd run by etcd-operator (its
 * Pods carry etcd-operator's labels, not ours).
 */
import type { V1LabelSelector, V1NetworkPolicyPort, V1ObjectMeta } from '@kubernetes/client-node';
import { OBSERVER_APP_NAME } from '../api/template.ts';
import { cellComponentName } from '../vitess/names.ts';
import { identityLabels, LABEL } from '../vitess/labels.ts';
import { PORTS } from '../vitess/ports.ts';
import type { CellScope } from './cell-scope.ts';
import { objectMeta } from './meta.ts';

/** Where the operator runs (metacontroller/hooks.yaml), and the label of its observer's Pods. */
export const OPERATOR_NAMESPACE = 'vitess-operator';
export const OBSERVER_LABELS = { 'app.kubernetes.io/name': OBSERVER_APP_NAME } as const;

/** The components of a cell whose Pods only the cluster's own Pods may reach. */
const ISOLATED = ['etcd', 'vtctld', 'vtgate', 'vtorc', 'vttablet'] as const;

/** The Kubernetes name of the child resource that turns these policies on, as the CompositeController declares it. */
export const NETWORK_POLICY_RESOURCE = 'networkpolicies';

/**
 * A NetworkPolicy as JSON. client-node's V1NetworkPolicy spells the `from` field `_from` (a keyword
 * in its generator), which only its own serializer turns back into `from`; templates are plain JSON.
 */
export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: V1ObjectMeta;
  spec: {
    podSelector: V1LabelSelector;
    policyTypes: ['Ingress'];
    ingress: { from?: { podSelector?: V1LabelSelector; namespaceSelector?: V1LabelSelector }[]; ports?: V1NetworkPolicyPort[] }[];
  };
}

/** Ingress from the operator's observer Pods, in the operator's namespace, to the web port. */
const FROM_OBSERVER: NetworkPolicy['spec']['ingress'][number] = {
  from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': OPERATOR_NAMESPACE } }, podSelector: { matchLabels: { ...OBSERVER_LABELS } } }],
  ports: [{ protocol: 'TCP', port: PORTS.web }],
};

export function cellNetworkPolicies(scope: CellScope, withVtgate: boolean, withTablets = false): NetworkPolicy[] {
  const cluster = { [LABEL.cluster]: identityLabels(scope)[LABEL.cluster] as string };
  const cell = identityLabels(scope);
  const vitess: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(scope, cellComponentName(scope.cellObject, 'vitess')),
    spec: {
      podSelector: { matchLabels: cell, matchExpressions: [{ key: LABEL.component, operator: 'In', values: [...ISOLATED] }] },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: cluster } }] }],
    },
  };
  const tablets: NetworkPolicy[] = withTablets ? [{
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(scope, cellComponentName(scope.cellObject, 'vttablet'), 'vttablet'),
    spec: {
      podSelector: { matchLabels: { ...cell, [LABEL.component]: 'vttablet' } },
      policyTypes: ['Ingress'],
      ingress: [FROM_OBSERVER],
    },
  }] : [];
  if (!withVtgate) return [vitess, ...tablets];
  const vtgate: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(scope, cellComponentName(scope.cellObject, 'vtgate'), 'vtgate'),
    spec: {
      podSelector: { matchLabels: { ...cell, [LABEL.component]: 'vtgate' } },
      policyTypes: ['Ingress'],
      ingress: [
        { ports: [{ protocol: 'TCP', port: PORTS.mysql }] },
        FROM_OBSERVER,
      ],
    },
  };
  return [vitess, vtgate, ...tablets];
}
