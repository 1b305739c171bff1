/**
 * The user's Pod settings (lib/api/pod.ts) laid onto a Pod the templates built: one function for
 * every Pod of every component and pool, so each setting means the same everywhere. Nothing set,
 * nothing changes: a Pod without settings keeps the bytes (and revision) it had.
 */
import type { V1Container, V1ObjectMeta, V1PodSpec, V1Volume } from '@kubernetes/client-node';
import type { PodSettingsSpec } from '../api/pod.ts';

/** The Pod's metadata with the user's Pod labels and annotations added (the operator's keys are refused upstream). */
export function withPodMetadata(meta: V1ObjectMeta, settings: PodSettingsSpec): V1ObjectMeta {
  const labels = settings.podLabels === undefined ? meta.labels : { ...settings.podLabels, ...meta.labels };
  const annotations = settings.podAnnotations === undefined ? meta.annotations : { ...settings.podAnnotations, ...meta.annotations };
  return { ...meta, labels, annotations };
}

/**
 * The Pod spec with the user's settings: pull secrets, the security context (replacing ours whole),
 * extra volumes; on every container the pull policy, extra env (after ours) and extra mounts; on init
 * containers the pull policy and env (they copy binaries; the user's mounts are for the servers).
 */
export function withPodSettings(spec: V1PodSpec, settings: PodSettingsSpec): V1PodSpec {
  const extraVolumes = settings.extraVolumes ?? [];
  const out: V1PodSpec = {
    ...spec,
    ...(settings.securityContext === undefined ? {} : { securityContext: settings.securityContext }),
    ...(settings.imagePullSecrets === undefined || settings.imagePullSecrets.length === 0 ? {} : { imagePullSecrets: settings.imagePullSecrets }),
    containers: spec.containers.map((container) => withContainerSettings(container, settings, true)),
    ...(spec.initContainers === undefined ? {} : { initContainers: spec.initContainers.map((container) => withContainerSettings(container, settings, false)) }),
  };
  if (extraVolumes.length > 0) out.volumes = [...(spec.volumes ?? []), ...(extraVolumes as V1Volume[])];
  return out;
}

function withContainerSettings(container: V1Container, settings: PodSettingsSpec, mounts: boolean): V1Container {
  const env = settings.extraEnv ?? [];
  const volumeMounts = mounts ? (settings.extraVolumeMounts ?? []) : [];
  return {
    ...container,
    ...(settings.imagePullPolicy === undefined ? {} : { imagePullPolicy: settings.imagePullPolicy }),
    ...(env.length === 0 ? {} : { env: [...(container.env ?? []), ...env] }),
    ...(volumeMounts.length === 0 ? {} : { volumeMounts: [...(container.volumeMounts ?? []), ...volumeMounts] }),
  };
}
