/**
 * The Pod settings platform teams set on day one, per component (etcd, vtctld, vtgate, vtorc,
 * vtadmin) and per tablet pool, beside the placement fields (lib/api/placement.ts): where images
 * come from (`imagePullSecrets`, `imagePullPolicy`), extra Pod labels and annotations, extra env,
 * volumes and mounts, and the Pod security context. docs/decisions/0022-pod-knobs-and-mysql-versions.md.
 *
 * The shapes are Kubernetes' own (checked at the edge, assignable to @kubernetes/client-node's types
 * below). What a shape cannot say (a label on our selector keys, a hostPath volume, a name the
 * operator uses) is refused by `podSettingsProblems`, which every layer that renders Pods calls.
 */
import type { V1EnvVar, V1LocalObjectReference, V1PodSecurityContext, V1VolumeMount } from '@kubernetes/client-node';
import * as v from 'valibot';
import { refusedAnnotation, refusedLabel } from './template.ts';

const StringMap = v.record(v.string(), v.string());
const Name = v.pipe(v.string(), v.minLength(1));
/** A volume's name: a DNS-1123 label (the API server's rule). */
const VolumeName = v.pipe(v.string(), v.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label (lower-case letters, digits and -)'), v.maxLength(63));
/** An environment variable's name: the API server takes any printable ASCII but `=`. */
const EnvName = v.pipe(v.string(), v.regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, 'must be an environment variable name (letters, digits, _, - and ., not starting with a digit)'));

const KeySelector = v.object({ name: v.optional(v.string()), key: Name, optional: v.optional(v.boolean()) });

/** core/v1 EnvVar: a value, or one source (a Secret or ConfigMap key, a Pod field, a resource). */
export const EnvVar = v.object({
  name: EnvName,
  value: v.optional(v.string()),
  valueFrom: v.optional(
    v.object({
      secretKeyRef: v.optional(KeySelector),
      configMapKeyRef: v.optional(KeySelector),
      fieldRef: v.optional(v.object({ fieldPath: Name, apiVersion: v.optional(v.string()) })),
      resourceFieldRef: v.optional(v.object({ resource: Name, containerName: v.optional(v.string()), divisor: v.optional(v.string()) })),
    }),
  ),
});

/**
 * core/v1 Volume: a name and any volume source, carried as written (a PodSpec's volume sources are
 * many and grow; the API server checks them). hostPath is refused (`podSettingsProblems`): it gives a
 * Pod the node's files.
 */
export const Volume = v.looseObject({ name: VolumeName });

/** core/v1 VolumeMount. */
export const VolumeMount = v.object({
  name: VolumeName,
  mountPath: v.pipe(v.string(), v.startsWith('/', 'must be an absolute path')),
  subPath: v.optional(v.string()),
  subPathExpr: v.optional(v.string()),
  readOnly: v.optional(v.boolean()),
  mountPropagation: v.optional(v.picklist(['None', 'HostToContainer', 'Bidirectional'])),
});

const Id = v.pipe(v.number(), v.integer(), v.minValue(0));

/**
 * core/v1 PodSecurityContext, the fields a platform's admission rules look at. Set, it replaces the
 * operator's default whole (user and group 999, fsGroup 999, non-root, RuntimeDefault seccomp): `{}`
 * leaves every field to the platform, as OpenShift's restricted SCC wants (it assigns the user and
 * fsGroup from the namespace's range and refuses 999).
 */
export const PodSecurityContext = v.object({
  runAsUser: v.optional(Id),
  runAsGroup: v.optional(Id),
  runAsNonRoot: v.optional(v.boolean()),
  fsGroup: v.optional(Id),
  fsGroupChangePolicy: v.optional(v.picklist(['OnRootMismatch', 'Always'])),
  supplementalGroups: v.optional(v.array(Id)),
  seccompProfile: v.optional(v.object({ type: v.picklist(['RuntimeDefault', 'Localhost', 'Unconfined']), localhostProfile: v.optional(v.string()) })),
  seLinuxOptions: v.optional(v.object({ user: v.optional(v.string()), role: v.optional(v.string()), type: v.optional(v.string()), level: v.optional(v.string()) })),
});

/**
 * The Pod settings spread into every component and tablet pool schema. Under a keyspace's
 * `tablets.defaults` a pool's own values overlay them (lib/overlay.ts): maps and `securityContext`
 * merge key by key, `extraEnv`, `extraVolumes`, `extraVolumeMounts` and `imagePullSecrets` merge by name.
 */
export const PodSettings = {
  /** Secrets the kubelet pulls this Pod's images with. */
  imagePullSecrets: v.optional(v.array(v.object({ name: Name }))),
  /** Of every container of the Pod; Kubernetes' default otherwise (IfNotPresent for a pinned tag). */
  imagePullPolicy: v.optional(v.picklist(['Always', 'IfNotPresent', 'Never'])),
  /** Added to the Pods' labels (not to selectors); keys the operator uses are refused. */
  podLabels: v.optional(StringMap),
  /** Added to the Pods' annotations. */
  podAnnotations: v.optional(StringMap),
  /** Added to every container of the Pod (init containers included), after the operator's own. */
  extraEnv: v.optional(v.array(EnvVar)),
  /** Added to the Pod's volumes. */
  extraVolumes: v.optional(v.array(Volume)),
  /** Added to every container of the Pod (not init containers); name volumes of `extraVolumes`. */
  extraVolumeMounts: v.optional(v.array(VolumeMount)),
  /** Replaces the default Pod security context whole (see PodSecurityContext). */
  securityContext: v.optional(PodSecurityContext),
};

const PodSettingsObject = v.object(PodSettings);
export type PodSettingsSpec = v.InferOutput<typeof PodSettingsObject>;

// Compile-time check that the schemas produce what a PodSpec takes.
type Assignable<T extends U, U> = T;
export type _PodSettingsArePodSpec = [
  Assignable<NonNullable<PodSettingsSpec['imagePullSecrets']>[number], V1LocalObjectReference>,
  Assignable<NonNullable<PodSettingsSpec['extraEnv']>[number], V1EnvVar>,
  Assignable<NonNullable<PodSettingsSpec['extraVolumeMounts']>[number], V1VolumeMount>,
  Assignable<NonNullable<PodSettingsSpec['securityContext']>, V1PodSecurityContext>,
];

/** Only the Pod settings of a component or pool's settings (absent ones stay absent). */
export function podSettingsOf(settings: PodSettingsSpec): PodSettingsSpec {
  const { imagePullSecrets, imagePullPolicy, podLabels, podAnnotations, extraEnv, extraVolumes, extraVolumeMounts, securityContext } = settings;
  return { imagePullSecrets, imagePullPolicy, podLabels, podAnnotations, extraEnv, extraVolumes, extraVolumeMounts, securityContext };
}

/**
 * What the operator's short-lived Jobs take of a component's or pool's Pod settings: where images
 * come from and the security context (a platform's admission checks every Pod, Jobs included). Not
 * labels, env or volumes: those are for the servers. A shard's Jobs (reparent, slow shutdown, backups)
 * take its replica pool's; a cell's (registration, keyspace records) its vtctld's, else vtgate's, else vtorc's.
 */
export function jobPodSettings(settings: PodSettingsSpec | undefined): PodSettingsSpec {
  if (settings === undefined) return {};
  const { imagePullSecrets, imagePullPolicy, securityContext } = settings;
  return { imagePullSecrets, imagePullPolicy, securityContext };
}

/**
 * Pod labels and annotations follow the same rule as `spec.template`'s (lib/api/template.ts): no key
 * a selector or controller of ours or Kubernetes' reads, no annotation that lifts a Pod's confinement
 * or takes it out of a service mesh.
 */
export function reservedLabelProblems(labels: Readonly<Record<string, string>> | undefined, path: string): string[] {
  return Object.entries(labels ?? {}).flatMap(([key, value]) => {
    const why = refusedLabel(key, value);
    return why === undefined ? [] : [`${path}.${key}: may not be set on the operator's Pods: ${why}`];
  });
}

export function reservedAnnotationProblems(annotations: Readonly<Record<string, string>> | undefined, path: string): string[] {
  return Object.keys(annotations ?? {}).flatMap((key) => {
    const why = refusedAnnotation(key);
    return why === undefined ? [] : [`${path}.${key}: may not be set on the operator's Pods: ${why}`];
  });
}

/**
 * What the Pod settings at `path` cannot be: labels and annotations the operator owns, a hostPath
 * volume, two volumes of one name or a volume or env name the operator uses (`reserved`), a mount
 * naming a volume that is neither ours nor the user's.
 */
export function podSettingsProblems(settings: PodSettingsSpec, path: string, reserved: ReservedNames = RESERVED_NAMES): string[] {
  const problems = [...reservedLabelProblems(settings.podLabels, `${path}.podLabels`), ...reservedAnnotationProblems(settings.podAnnotations, `${path}.podAnnotations`)];
  const volumes = settings.extraVolumes ?? [];
  volumes.forEach((volume, i) => {
    if ('hostPath' in volume) problems.push(`${path}.extraVolumes[${i}].hostPath: refused: a hostPath volume gives the Pod the node's files; use a PersistentVolumeClaim, a Secret, a ConfigMap or a CSI volume`);
    if (reserved.volumes.includes(volume.name)) problems.push(`${path}.extraVolumes[${i}].name: '${volume.name}' is a volume the operator uses`);
    if (volumes.findIndex((other) => other.name === volume.name) < i) problems.push(`${path}.extraVolumes[${i}].name: duplicate volume '${volume.name}'`);
  });
  const names = new Set(volumes.map((volume) => volume.name));
  (settings.extraVolumeMounts ?? []).forEach((mount, i) => {
    if (!names.has(mount.name)) problems.push(`${path}.extraVolumeMounts[${i}].name: no volume '${mount.name}' in extraVolumes`);
  });
  (settings.extraEnv ?? []).forEach((env, i) => {
    if (reserved.env.includes(env.name)) problems.push(`${path}.extraEnv[${i}].name: '${env.name}' is set by the operator`);
  });
  return problems;
}

/** Names the operator gives volumes and environment variables in its Pods. */
export interface ReservedNames {
  volumes: readonly string[];
  env: readonly string[];
}

/**
 * Every volume and environment variable name the operator's Pods use (lib/templates: tablet.ts,
 * access.ts, backup.ts, etcd.ts, vtadmin.ts, vtctldclient-job.ts). Refused for all components alike,
 * so that a setting moved from one component to another never starts to collide.
 */
export const RESERVED_NAMES: ReservedNames = {
  volumes: ['vt', 'vtdataroot', 'data', 'config', 'rbac', 'grpc-tls', 'mysql-tls', 'mysql-users', 'init-db-sql', 'backup-secret', 'backup'],
  env: ['POD_IP', 'POD_NAME', 'VTROOT', 'VTDATAROOT', 'EXTRA_MY_CNF', 'MY_CNF', 'ETCDCTL_API', 'VTCTLDCLIENT', 'AWS_SHARED_CREDENTIALS_FILE', 'GOOGLE_APPLICATION_CREDENTIALS'],
};
