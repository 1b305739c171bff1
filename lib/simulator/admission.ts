/**
 * Admission checks of the simulated API server, opt-in (SimulateOptions.admission): what a real API
 * server refuses at create time although the object itself is valid, so that a scenario can show what
 * the hooks report when Metacontroller cannot create a child (docs/decisions/0021-child-not-created.md).
 */
import type { KubeObject } from '../kube/object.ts';
import { type ClusterState, listObjects } from './store.ts';

/** A check: the refusal's message, or undefined when the object may be created. */
export type Admission = (object: KubeObject, state: ClusterState) => string | undefined;

/** The PriorityClasses every Kubernetes cluster has (the scheduling API creates them). */
const SYSTEM_PRIORITY_CLASSES = new Set(['system-cluster-critical', 'system-node-critical']);

/**
 * The Priority admission plugin: a Pod naming a PriorityClass that does not exist is refused, with
 * the API server's words (`pods "x" is forbidden: no PriorityClass with name y was found`).
 */
export const priorityAdmission: Admission = (object, state) => {
  if (object.kind !== 'Pod' || object.apiVersion !== 'v1') return undefined;
  const name = (object as { spec?: { priorityClassName?: unknown } }).spec?.priorityClassName;
  if (typeof name !== 'string' || name === '' || SYSTEM_PRIORITY_CLASSES.has(name)) return undefined;
  if (listObjects(state, 'scheduling.k8s.io/v1', 'PriorityClass').some((c) => c.metadata.name === name)) return undefined;
  return `pods "${object.metadata.name}" is forbidden: no PriorityClass with name ${name} was found`;
};
