/**
 * When an observed child counts as ready, per kind, read from the status its controller writes.
 * One place, used by every layer's status and by the rollout gates.
 */
import type { KubeObject } from './object.ts';
import { hasTrueCondition } from './conditions.ts';

interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  phase?: string;
  succeeded?: number;
}

function statusOf(object: KubeObject): WorkloadStatus {
  return (object.status ?? {}) as WorkloadStatus;
}

function desiredReplicas(object: KubeObject): number {
  return ((object.spec as { replicas?: number } | undefined)?.replicas ?? 1) as number;
}

/** The controller has seen the latest spec (observedGeneration caught up with generation). */
function observedLatest(object: KubeObject): boolean {
  const generation = object.metadata.generation;
  const observed = statusOf(object).observedGeneration;
  return generation === undefined || (observed !== undefined && observed >= generation);
}

export function isReady(object: KubeObject): boolean {
  const status = statusOf(object);
  switch (object.kind) {
    case 'Pod':
      return hasTrueCondition(object, 'Ready');
    case 'Deployment': {
      const replicas = desiredReplicas(object);
      return observedLatest(object) && (status.updatedReplicas ?? 0) >= replicas && (status.availableReplicas ?? 0) >= replicas && (status.replicas ?? 0) <= replicas;
    }
    case 'StatefulSet': {
      const replicas = desiredReplicas(object);
      return observedLatest(object) && (status.readyReplicas ?? 0) >= replicas && (status.updatedReplicas ?? 0) >= replicas;
    }
    case 'Job':
      return hasTrueCondition(object, 'Complete');
    case 'PersistentVolumeClaim':
      return status.phase === 'Bound';
    case 'EtcdCluster':
      return status.phase === 'Running';
    case 'VitessCell':
    case 'VitessKeyspace':
    case 'VitessShard':
      // Readiness is about serving: a layer whose new spec its hook has not synced yet still serves as
      // it last reported. Whether it caught up is the rollout's question (isSettled checks generations).
      return hasTrueCondition(object, 'Ready');
    default:
      // Services, ConfigMaps, PodDisruptionBudgets: ready once they exist.
      return true;
  }
}

export function isFailedJob(object: KubeObject): boolean {
  return object.kind === 'Job' && hasTrueCondition(object, 'Failed');
}
