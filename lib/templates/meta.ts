/**
 * Small named pieces the templates are built from: metadata, probes, security contexts.
 * Each Kubernetes or Vitess fact used by more than one template lives here, once.
 */
import type { V1Container, V1ObjectMeta, V1PodSecurityContext, V1Probe, V1ResourceRequirements, V1SecurityContext } from '@kubernetes/client-node';
import type { ResourcesSpec, TemplateSpec } from '../api/common.ts';
import type { PodSettingsSpec } from '../api/pod.ts';
import { type Identity, identityLabels, LABEL } from '../vitess/labels.ts';

/** What every template needs: where the object sits, and the user's template metadata to carry. */
export interface Scope extends Identity {
  template: TemplateSpec;
  /** The pull secrets, pull policy and security context of the Jobs made here (lib/api/pod.ts, jobPodSettings). */
  jobPod?: PodSettingsSpec;
}

/** Metadata of a generated object: the user's template labels and annotations, then identity labels. */
export function objectMeta(scope: Scope, name: string, component?: string, extraLabels: Record<string, string> = {}): V1ObjectMeta {
  const labels: Record<string, string> = {
    ...scope.template.metadata?.labels,
    ...identityLabels(scope),
    ...extraLabels,
  };
  if (component !== undefined) labels[LABEL.component] = component;
  return { name, labels, annotations: scope.template.metadata?.annotations };
}

/** Vitess images run as user 999 (vitess), with fsGroup 999 so the data volume is writable. */
export const VITESS_UID = 999;

export function podSecurityContext(): V1PodSecurityContext {
  return { runAsUser: VITESS_UID, runAsGroup: VITESS_UID, fsGroup: VITESS_UID, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
}

/**
 * No Vitess process calls the Kubernetes API (the topology is etcd, vtadmin's discovery a static
 * file), so no Pod of ours mounts a ServiceAccount token: a process broken into finds none to use.
 */
export const NO_SERVICE_ACCOUNT_TOKEN = { automountServiceAccountToken: false } as const;

export function containerSecurityContext(): V1SecurityContext {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
}

/** Readiness on an HTTP path of the web port. */
export function httpProbe(path: string, port: number | string, options: Partial<V1Probe> = {}): V1Probe {
  return { httpGet: { path, port }, periodSeconds: 10, ...options };
}

/**
 * Liveness of Vitess servers is lenient: restarting a tablet or vtgate is costly, so only a process
 * that has been failing for minutes is killed (docs/vitess.md: initial delay 300s, 30 failures).
 */
export function lenientLiveness(probe: V1Probe): V1Probe {
  return { ...probe, initialDelaySeconds: 300, failureThreshold: 30, periodSeconds: 10, timeoutSeconds: 5 };
}

/** Resource requirements with every quantity as a string, the form the API server returns. */
export function resources(spec: ResourcesSpec | undefined): V1ResourceRequirements | undefined {
  if (spec === undefined) return undefined;
  const quantities = (list: Record<string, string | number> | undefined): Record<string, string> | undefined =>
    list === undefined ? undefined : Object.fromEntries(Object.entries(list).map(([name, value]) => [name, String(value)]));
  return { limits: quantities(spec.limits), requests: quantities(spec.requests) };
}

/** `POD_IP` from the downward API: tablets and vtgate advertise it. */
export const POD_IP_ENV = { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } } as const;

/** A container with the shared hardening applied. */
export function container(spec: V1Container): V1Container {
  return { ...spec, securityContext: spec.securityContext ?? containerSecurityContext(), terminationMessagePolicy: spec.terminationMessagePolicy ?? 'FallbackToLogsOnError' };
}
