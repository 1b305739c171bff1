/**
 * A fake kubelet and controller-manager (and etcd-operator): writes the status that the real
 * controllers would write once things are up, so that hooks which gate on readiness can progress.
 * Which objects become ready in a given round is a caller's choice (`becomesReady`), so property
 * tests can make readiness lag arbitrarily. Timestamps in conditions move only on a status change,
 * so a converged cluster stays converged.
 */
import { shortHash } from '../kube/hash.ts';
import { isRecord, jsonEqual, type KubeObject } from '../kube/object.ts';
import type { Action } from './metacontroller.ts';
import { objectRef } from './metacontroller.ts';
import { selectorMatches, type LabelSelector } from './selector.ts';
import { allObjects, storeKey, timestamp, updateStatus, type ClusterState } from './store.ts';
import type { FakeVitessOptions } from './vitess.ts';

export interface KubeletOptions {
  /** Whether this object becomes ready in this round (default: always). Called only for objects not yet ready. */
  becomesReady?: (object: KubeObject, round: number) => boolean;
  /**
   * The fake Vitess (lib/simulator/vitess.ts) that writes each Vitess shard's state after the kubelet;
   * on by default, `false` for a world without the state channel (the hooks then fall back).
   */
  vitess?: false | FakeVitessOptions;
  /** The IP a Pod runs at, when something real runs it (the harness's Pod runner); else podIp's. */
  podIp?: (pod: KubeObject) => string | undefined;
}

type Status = Record<string, unknown>;

interface ConditionLike {
  type: string;
  status: string;
  lastTransitionTime?: string;
  [field: string]: unknown;
}

function previousConditions(object: KubeObject): ConditionLike[] {
  const conditions = isRecord(object.status) ? object.status.conditions : undefined;
  return Array.isArray(conditions) ? (conditions.filter(isRecord) as ConditionLike[]) : [];
}

/** Conditions with their transition time kept while their status does not change. */
function conditions(object: KubeObject, next: readonly Omit<ConditionLike, 'lastTransitionTime'>[], now: string, timeField = 'lastTransitionTime'): ConditionLike[] {
  const before = previousConditions(object);
  return next.map((c) => {
    const old = before.find((b) => b.type === c.type);
    const time = old !== undefined && old.status === c.status && typeof old[timeField] === 'string' ? (old[timeField] as string) : now;
    return { ...c, [timeField]: time } as ConditionLike;
  });
}

function spec(object: KubeObject): Record<string, unknown> {
  return isRecord(object.spec) ? object.spec : {};
}

function replicas(object: KubeObject): number {
  const value = spec(object).replicas;
  return typeof value === 'number' ? value : 1;
}

function previous(object: KubeObject, field: string): unknown {
  return isRecord(object.status) ? object.status[field] : undefined;
}

/**
 * The Pod's IP: a new one for every Pod created (a recreated tablet Pod gets a new address, as with a
 * real kubelet and CNI), read from the counter in its uid so that it is deterministic.
 */
export function podIp(pod: KubeObject): string {
  const counter = Number.parseInt(/([0-9a-f]{12})$/.exec(pod.metadata.uid ?? '')?.[1] ?? '0', 16);
  return `10.244.${Math.floor(counter / 250) % 250}.${(counter % 250) + 1}`;
}

function podStatus(pod: KubeObject, now: string, ipOf: KubeletOptions['podIp']): Status {
  const containers = Array.isArray(spec(pod).containers) ? (spec(pod).containers as unknown[]).filter(isRecord) : [];
  const startTime = typeof previous(pod, 'startTime') === 'string' ? (previous(pod, 'startTime') as string) : now;
  const ip = ipOf?.(pod) ?? podIp(pod);
  return {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    conditions: conditions(
      pod,
      ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True' })),
      now,
    ),
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: startTime } },
    })),
    startTime,
  };
}

function deploymentStatus(deployment: KubeObject, now: string): Status {
  const n = replicas(deployment);
  return {
    observedGeneration: deployment.metadata.generation ?? 1,
    replicas: n,
    readyReplicas: n,
    availableReplicas: n,
    updatedReplicas: n,
    conditions: conditions(
      deployment,
      [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet has successfully progressed.' },
      ],
      now,
    ),
  };
}

function statefulSetStatus(set: KubeObject): Status {
  const n = replicas(set);
  const revision = `${set.metadata.name}-${shortHash(spec(set).template ?? {})}`;
  return {
    observedGeneration: set.metadata.generation ?? 1,
    replicas: n,
    readyReplicas: n,
    currentReplicas: n,
    updatedReplicas: n,
    availableReplicas: n,
    currentRevision: revision,
    updateRevision: revision,
    collisionCount: 0,
  };
}

function jobStatus(job: KubeObject, now: string): Status {
  const startTime = typeof previous(job, 'startTime') === 'string' ? (previous(job, 'startTime') as string) : now;
  const completionTime = typeof previous(job, 'completionTime') === 'string' ? (previous(job, 'completionTime') as string) : now;
  return {
    startTime,
    completionTime,
    succeeded: 1,
    active: 0,
    ready: 0,
    conditions: conditions(job, [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }], now),
  };
}

function pvcStatus(pvc: KubeObject): Status {
  const resources = isRecord(spec(pvc).resources) ? (spec(pvc).resources as Record<string, unknown>) : {};
  const requests = isRecord(resources.requests) ? resources.requests : {};
  return {
    phase: 'Bound',
    accessModes: spec(pvc).accessModes ?? ['ReadWriteOnce'],
    capacity: requests.storage === undefined ? {} : { storage: requests.storage },
  };
}

/**
 * A PDB's status from the Pods its selector matches in its namespace: bare Pods as they are, and the
 * Pods of Deployments and StatefulSets (which this simulation does not create) counted from the
 * workloads' replicas and readyReplicas.
 */
function pdbStatus(pdb: KubeObject, state: ClusterState): Status {
  const selector = (spec(pdb).selector ?? {}) as LabelSelector;
  const inNamespace = allObjects(state).filter((o) => o.metadata.namespace === pdb.metadata.namespace);
  const pods = inNamespace.filter((o) => o.kind === 'Pod' && selectorMatches(selector, o.metadata.labels));
  const workloads = inNamespace.filter((o) => {
    if (o.kind !== 'Deployment' && o.kind !== 'StatefulSet') return false;
    const template = isRecord(spec(o).template) ? (spec(o).template as Record<string, unknown>) : {};
    const labels = isRecord(template.metadata) && isRecord(template.metadata.labels) ? (template.metadata.labels as Record<string, string>) : {};
    return selectorMatches(selector, labels);
  });
  const readyPods = pods.filter((p) => previousConditions(p).some((c) => c.type === 'Ready' && c.status === 'True')).length;
  const healthy = readyPods + workloads.reduce((sum, w) => sum + numberOr(previous(w, 'readyReplicas'), 0), 0);
  const expected = pods.length + workloads.reduce((sum, w) => sum + replicas(w), 0);
  const desiredHealthy = desiredHealthyPods(spec(pdb), expected);
  return {
    observedGeneration: pdb.metadata.generation ?? 1,
    currentHealthy: healthy,
    desiredHealthy,
    expectedPods: expected,
    disruptionsAllowed: Math.max(0, healthy - desiredHealthy),
  };
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

function desiredHealthyPods(pdbSpec: Record<string, unknown>, expected: number): number {
  const scaled = (value: unknown, roundUp: boolean): number => {
    if (typeof value === 'number') return value;
    if (typeof value === 'string' && value.endsWith('%')) {
      const exact = (Number(value.slice(0, -1)) / 100) * expected;
      return roundUp ? Math.ceil(exact) : Math.floor(exact);
    }
    return 0;
  };
  if (pdbSpec.minAvailable !== undefined) return scaled(pdbSpec.minAvailable, true);
  if (pdbSpec.maxUnavailable !== undefined) return Math.max(0, expected - scaled(pdbSpec.maxUnavailable, true));
  return 0;
}

function etcdClusterStatus(cluster: KubeObject): Status {
  return { phase: 'Running', size: spec(cluster).size ?? 1, currentVersion: spec(cluster).version ?? '' };
}

/** The status the fake controllers would write for an object; undefined for kinds they leave alone. */
export function readyStatus(object: KubeObject, state: ClusterState, now: Date, ipOf?: KubeletOptions['podIp']): Status | undefined {
  const time = timestamp(now);
  switch (object.kind) {
    case 'Pod':
      return podStatus(object, time, ipOf);
    case 'Deployment':
      return deploymentStatus(object, time);
    case 'StatefulSet':
      return statefulSetStatus(object);
    case 'Job':
      return jobStatus(object, time);
    case 'PersistentVolumeClaim':
      return pvcStatus(object);
    case 'PodDisruptionBudget':
      return pdbStatus(object, state);
    case 'EtcdCluster':
      return etcdClusterStatus(object);
    default:
      return undefined;
  }
}

export interface KubeletOutcome {
  state: ClusterState;
  actions: Action[];
  /** Objects held back by `becomesReady` this round: the cluster is not at rest while any remain. */
  pending: string[];
}

/**
 * One pass of the fake controllers over every object: each whose ready status differs from its
 * current one gets it, if `becomesReady` lets it this round. PDBs always follow (they only count).
 */
export function kubeletStep(state: ClusterState, round: number, now: Date, options: KubeletOptions = {}): KubeletOutcome {
  let current = state;
  const actions: Action[] = [];
  const pending: string[] = [];
  for (const object of allObjects(state)) {
    const status = readyStatus(object, current, now, options.podIp);
    if (status === undefined || jsonEqual(status, object.status)) continue;
    const gated = object.kind !== 'PodDisruptionBudget' && options.becomesReady !== undefined;
    if (gated && options.becomesReady?.(object, round) !== true) {
      pending.push(objectRef(object));
      continue;
    }
    const written = updateStatus(current, storeKey(object), status);
    current = written.state;
    if (written.changed) actions.push({ verb: 'status', object: objectRef(object), by: 'kubelet' });
  }
  return { state: current, actions, pending };
}
