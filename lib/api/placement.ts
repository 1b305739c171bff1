/**
 * Where a Pod may run and how it survives disruption: the Kubernetes PodSpec fields a user sets per
 * component (etcd, vtctld, vtgate, vtorc) and per tablet pool. The shapes are Kubernetes' own
 * (core/v1 Affinity, Toleration, TopologySpreadConstraint), checked here at the edge so a mistake
 * is reported with its path instead of failing every Pod creation; `PlacementSpec` is assignable to
 * the @kubernetes/client-node types (checked at compile time below).
 */
import type { V1Affinity, V1Toleration, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import * as v from 'valibot';
import { NODE_LABEL } from '../kube/labels.ts';

// Not common.ts' StringMap: common.ts spreads Placement into its schemas, so it imports this module.
const StringMap = v.record(v.string(), v.string());
const Name = v.pipe(v.string(), v.minLength(1));
const Weight = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100));

const LabelSelectorRequirement = v.object({
  key: Name,
  operator: v.picklist(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: v.optional(v.array(v.string())),
});

/** metav1.LabelSelector, in full (our parents' selectors use matchLabels only). */
const PodLabelSelector = v.object({
  matchLabels: v.optional(StringMap),
  matchExpressions: v.optional(v.array(LabelSelectorRequirement)),
});

const NodeSelectorRequirement = v.object({
  key: Name,
  operator: v.picklist(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: v.optional(v.array(v.string())),
});

const NodeSelectorTerm = v.object({
  matchExpressions: v.optional(v.array(NodeSelectorRequirement)),
  matchFields: v.optional(v.array(NodeSelectorRequirement)),
});

const PodAffinityTerm = v.object({
  labelSelector: v.optional(PodLabelSelector),
  namespaceSelector: v.optional(PodLabelSelector),
  namespaces: v.optional(v.array(v.string())),
  topologyKey: Name,
  matchLabelKeys: v.optional(v.array(v.string())),
  mismatchLabelKeys: v.optional(v.array(v.string())),
});

const PodAffinity = v.object({
  requiredDuringSchedulingIgnoredDuringExecution: v.optional(v.array(PodAffinityTerm)),
  preferredDuringSchedulingIgnoredDuringExecution: v.optional(v.array(v.object({ weight: Weight, podAffinityTerm: PodAffinityTerm }))),
});

export const Affinity = v.object({
  nodeAffinity: v.optional(
    v.object({
      requiredDuringSchedulingIgnoredDuringExecution: v.optional(v.object({ nodeSelectorTerms: v.array(NodeSelectorTerm) })),
      preferredDuringSchedulingIgnoredDuringExecution: v.optional(v.array(v.object({ weight: Weight, preference: NodeSelectorTerm }))),
    }),
  ),
  podAffinity: v.optional(PodAffinity),
  podAntiAffinity: v.optional(PodAffinity),
});

export const Toleration = v.object({
  key: v.optional(v.string()),
  operator: v.optional(v.picklist(['Exists', 'Equal'])),
  value: v.optional(v.string()),
  effect: v.optional(v.picklist(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])),
  tolerationSeconds: v.optional(v.pipe(v.number(), v.integer())),
});

export const TopologySpreadConstraint = v.object({
  maxSkew: v.pipe(v.number(), v.integer(), v.minValue(1)),
  topologyKey: Name,
  whenUnsatisfiable: v.picklist(['DoNotSchedule', 'ScheduleAnyway']),
  labelSelector: v.optional(PodLabelSelector),
  matchLabelKeys: v.optional(v.array(v.string())),
  minDomains: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  nodeAffinityPolicy: v.optional(v.picklist(['Honor', 'Ignore'])),
  nodeTaintsPolicy: v.optional(v.picklist(['Honor', 'Ignore'])),
});

/**
 * The placement fields of a PodSpec, spread into every component and tablet pool schema. Under a
 * keyspace's `tablets.defaults`, a pool's own values overlay them (lib/overlay.ts): `affinity` and
 * `nodeSelector` merge key by key; `tolerations` and `topologySpreadConstraints` lists are replaced whole.
 */
export const Placement = {
  affinity: v.optional(Affinity),
  tolerations: v.optional(v.array(Toleration)),
  nodeSelector: v.optional(StringMap),
  /** Replaces the default spread (lib/templates/placement.ts) when set; `[]` turns it off. */
  topologySpreadConstraints: v.optional(v.array(TopologySpreadConstraint)),
  priorityClassName: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a PriorityClass name (a DNS subdomain)'), v.maxLength(253))),
};

const PlacementObject = v.object(Placement);
export type PlacementSpec = v.InferOutput<typeof PlacementObject>;

// Compile-time check that the schemas produce what a PodSpec takes.
type Assignable<T extends U, U> = T;
export type _PlacementIsPodSpec = [
  Assignable<NonNullable<PlacementSpec['affinity']>, V1Affinity>,
  Assignable<NonNullable<PlacementSpec['tolerations']>[number], V1Toleration>,
  Assignable<NonNullable<PlacementSpec['topologySpreadConstraints']>[number], V1TopologySpreadConstraint>,
];

/** Only the placement fields of a component or pool's settings (absent ones stay absent). */
export function placementOf(settings: PlacementSpec): PlacementSpec {
  const { affinity, tolerations, nodeSelector, topologySpreadConstraints, priorityClassName } = settings;
  return { affinity, tolerations, nodeSelector, topologySpreadConstraints, priorityClassName };
}

/**
 * Settings with the cell's zone in their node selector (`topology.kubernetes.io/zone`). A zone the
 * user wrote in the same node selector wins: it is the more specific wish.
 */
export function inZone<T extends PlacementSpec>(settings: T, zone: string | undefined): T {
  if (zone === undefined) return settings;
  return { ...settings, nodeSelector: { [NODE_LABEL.zone]: zone, ...settings.nodeSelector } };
}
