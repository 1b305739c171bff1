/**
 * The Kubernetes objects the observer reads, validated at the edge: vtgate Pods (whom to ask) and
 * VitessShards (where to write). Anything else in a list is skipped.
 */
import * as v from 'valibot';
import { GATEWAY_PATH, GATEWAY_PORT, GATEWAY_PORT_NAME } from '../vitess/gateway.ts';
import { LABEL } from '../vitess/labels.ts';
import type { ShardRef } from './plan.ts';

/** The component label value of vtgate Pods (lib/templates/vtgate.ts). */
export const VTGATE_COMPONENT = 'vtgate';

/** The label selector that lists our vtgate Pods. */
export const VTGATE_SELECTOR = `${LABEL.component}=${VTGATE_COMPONENT},${LABEL.cluster}`;

const Metadata = v.looseObject({
  name: v.string(),
  namespace: v.optional(v.string(), 'default'),
  labels: v.optional(v.record(v.string(), v.string()), {}),
  annotations: v.optional(v.record(v.string(), v.string()), {}),
  deletionTimestamp: v.optional(v.nullable(v.string())),
});

const Pod = v.looseObject({
  metadata: Metadata,
  spec: v.optional(
    v.looseObject({
      containers: v.optional(v.array(v.looseObject({ ports: v.optional(v.array(v.looseObject({ name: v.optional(v.string()), containerPort: v.number() }))) })), []),
    }),
    {},
  ),
  status: v.optional(
    v.looseObject({
      podIP: v.optional(v.string()),
      conditions: v.optional(v.array(v.looseObject({ type: v.string(), status: v.string() })), []),
    }),
    {},
  ),
});

const Shard = v.looseObject({
  metadata: Metadata,
  spec: v.looseObject({ keyspace: v.string(), name: v.string(), reshardTarget: v.optional(v.boolean(), false) }),
});

/** A vtgate to ask: its cluster and where its `/debug/gateway` is. */
export interface GateTarget {
  namespace: string;
  cluster: string;
  pod: string;
  url: string;
}

/**
 * The vtgates worth asking: our vtgate Pods that are Ready (the ones vtgate's Service sends clients
 * to) and not being deleted, at their IP and web port.
 */
export function gateTargets(pods: readonly unknown[]): GateTarget[] {
  const targets: GateTarget[] = [];
  for (const item of pods) {
    const parsed = v.safeParse(Pod, item);
    if (!parsed.success) continue;
    const { metadata, spec, status } = parsed.output;
    const cluster = metadata.labels[LABEL.cluster];
    if (metadata.labels[LABEL.component] !== VTGATE_COMPONENT || cluster === undefined) continue;
    if (metadata.deletionTimestamp || !status.podIP) continue;
    if (!status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const port = spec.containers.flatMap((c) => c.ports ?? []).find((p) => p.name === GATEWAY_PORT_NAME)?.containerPort ?? GATEWAY_PORT;
    const host = status.podIP.includes(':') ? `[${status.podIP}]` : status.podIP;
    targets.push({ namespace: metadata.namespace, cluster, pod: metadata.name, url: `http://${host}:${port}${GATEWAY_PATH}` });
  }
  return targets;
}

/** The VitessShards of a list, as the planner reads them. */
export function shardRefs(shards: readonly unknown[]): ShardRef[] {
  const refs: ShardRef[] = [];
  for (const item of shards) {
    const parsed = v.safeParse(Shard, item);
    if (!parsed.success) continue;
    const { metadata, spec } = parsed.output;
    refs.push({ namespace: metadata.namespace, name: metadata.name, labels: metadata.labels, annotations: metadata.annotations, keyspace: spec.keyspace, shard: spec.name, reshardTarget: spec.reshardTarget });
  }
  return refs;
}
