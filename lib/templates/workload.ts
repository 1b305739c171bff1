/**
 * The shapes shared by every stateless Vitess component (vtctld, vtgate, vtorc): a Deployment,
 * a Service in front of it, and a PodDisruptionBudget. Component modules fill in what differs.
 */
import type { V1ContainerPort, V1Deployment, V1EnvFromSource, V1EnvVar, V1PodDisruptionBudget, V1PodSecurityContext, V1Probe, V1Service, V1ServicePort, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ResolvedComponentSpec } from '../api/passdown.ts';
import { componentSelector } from '../vitess/labels.ts';
import { container, NO_SERVICE_ACCOUNT_TOKEN, objectMeta, podSecurityContext, resources, type Scope } from './meta.ts';
import type { PlacementSpec } from '../api/placement.ts';
import { podPlacement, spreadOverNodes } from './placement.ts';
import type { PodSettingsSpec } from '../api/pod.ts';
import { withPodMetadata, withPodSettings } from './pod-settings.ts';

export interface ComponentWorkload {
  scope: Scope;
  name: string;
  component: string;
  /** A Vitess component's settings, or another workload's (vtadmin) with the same image, replicas, resources and placement. */
  spec: Pick<ResolvedComponentSpec, 'image' | 'replicas' | 'resources'> & PlacementSpec & PodSettingsSpec;
  /** The container's command; absent: the image's entrypoint. */
  command?: string[];
  ports: V1ContainerPort[];
  readinessProbe: V1Probe;
  livenessProbe: V1Probe;
  env?: V1EnvVar[];
  envFrom?: V1EnvFromSource[];
  /** Volumes of the Pod and their mounts in the component's container: Secrets (lib/templates/access.ts), backup storage for vtctld. */
  volumes?: V1Volume[];
  volumeMounts?: V1VolumeMount[];
  /** Extra Pod template annotations, e.g. a hash of a ConfigMap the Pods read, so a change rolls them. */
  podAnnotations?: Record<string, string>;
  /** Another Pod security context than the Vitess user's (an image that must run as its own user). */
  securityContext?: V1PodSecurityContext;
  /**
   * A HorizontalPodAutoscaler owns the replica count: `replicas` is left out of the Deployment, so
   * Metacontroller's apply keeps whatever the HPA set (a field absent from the answer is not touched).
   */
  autoscaled?: boolean;
}

export function componentDeployment(workload: ComponentWorkload): V1Deployment {
  const { scope, name, component, spec } = workload;
  const meta = objectMeta(scope, name, component);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      ...(workload.autoscaled === true ? {} : { replicas: spec.replicas }),
      selector: { matchLabels: componentSelector(scope, component) },
      // Surge first: a stateless Vitess server is replaced only once its successor is ready.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: withPodMetadata({ labels: meta.labels, annotations: { ...meta.annotations, ...workload.podAnnotations } }, spec),
        spec: withPodSettings({
          securityContext: workload.securityContext ?? podSecurityContext(),
          ...NO_SERVICE_ACCOUNT_TOKEN,
          // By default, replicas spread over nodes so one node failure leaves the component serving.
          ...podPlacement(spec, [spreadOverNodes(componentSelector(scope, component))]),
          containers: [
            container({
              name: component,
              image: spec.image,
              command: workload.command,
              ports: workload.ports,
              env: workload.env,
              envFrom: workload.envFrom,
              readinessProbe: workload.readinessProbe,
              livenessProbe: workload.livenessProbe,
              resources: resources(spec.resources),
              volumeMounts: nonEmpty(workload.volumeMounts),
            }),
          ],
          volumes: nonEmpty(workload.volumes),
        }, spec),
      },
    },
  };
}

export function componentService(scope: Scope, name: string, component: string, spec: Pick<ResolvedComponentSpec, 'service'>, ports: V1ServicePort[]): V1Service {
  const meta = objectMeta(scope, name, component);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...meta, annotations: { ...meta.annotations, ...spec.service?.annotations } },
    spec: {
      type: spec.service?.type ?? 'ClusterIP',
      selector: componentSelector(scope, component),
      ports,
    },
  };
}

/** Keeps all but one replica up during voluntary disruptions (node drains); only for replicated components. */
export function componentDisruptionBudget(scope: Scope, name: string, component: string, replicas: number): V1PodDisruptionBudget | undefined {
  if (replicas < 2) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(scope, name, component),
    spec: { maxUnavailable: 1, selector: { matchLabels: componentSelector(scope, component) } },
  };
}

/** A list, or nothing when empty: a template without mounts reads (and hashes) as one that never had them. */
export function nonEmpty<T>(list: readonly T[] | undefined): T[] | undefined {
  return list === undefined || list.length === 0 ? undefined : [...list];
}

/** A named TCP port for a Service. */
export function servicePort(name: string, port: number): V1ServicePort {
  return { name, port, targetPort: name, protocol: 'TCP' };
}

export function containerPort(name: string, port: number): V1ContainerPort {
  return { name, containerPort: port, protocol: 'TCP' };
}
