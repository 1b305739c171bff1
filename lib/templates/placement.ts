/**
 * The placement fields of a Pod template (node selector, affinity, tolerations, spread, priority),
 * from a component's or pool's settings, with our default spread where the user set none.
 */
import type { V1PodSpec, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import type { PlacementSpec } from '../api/placement.ts';
import { type Labels, NODE_LABEL } from '../kube/labels.ts';

export type PodPlacement = Pick<V1PodSpec, 'priorityClassName' | 'nodeSelector' | 'affinity' | 'tolerations' | 'topologySpreadConstraints'>;

/**
 * The user's placement; `topologySpreadConstraints`, when set (even `[]`), replaces the default: the
 * API server refuses two constraints with the same topologyKey and whenUnsatisfiable.
 */
export function podPlacement(spec: PlacementSpec, defaultSpread?: V1TopologySpreadConstraint[]): PodPlacement {
  return {
    priorityClassName: spec.priorityClassName,
    nodeSelector: spec.nodeSelector,
    affinity: spec.affinity,
    tolerations: spec.tolerations,
    topologySpreadConstraints: spec.topologySpreadConstraints ?? defaultSpread,
  };
}

/**
 * Spreads the Pods `selector` matches over nodes, so one node failure takes at most one of them
 * while there are nodes enough. ScheduleAnyway: a preference, never a reason to leave a Pod pending
 * (a one-node cluster still runs them all).
 */
export function spreadOverNodes(selector: Labels): V1TopologySpreadConstraint {
  return { maxSkew: 1, topologyKey: NODE_LABEL.hostname, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { ...selector } } };
}
