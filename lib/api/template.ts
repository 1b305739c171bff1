/**
 * What `spec.template.metadata` may carry (docs/decisions/0019-no-spec-value-in-script-text.md,
 * docs/security.md). Template labels and annotations go on every object the operator makes, Pods
 * included, so they are metadata for people and tools: they may not make a Pod of ours join a
 * Service it is not part of, and may not switch off a protection Kubernetes applies to a Pod.
 *
 * Labels refused:
 * - `vitess.io/*`: our identity labels, which every selector we make uses (Services, Deployments,
 *   StatefulSets, PodDisruptionBudgets, the PodMonitors of metacontroller/components/prometheus);
 * - `app.kubernetes.io/name` equal to the hook Pods' (`vitess-operator-hooks`, metacontroller/hooks.yaml)
 *   or Metacontroller's (`metacontroller`): those select the Pods Metacontroller sends its sync calls
 *   to, and applies the answers of with its cluster-wide rights;
 * - keys Kubernetes' own controllers set and select Pods by (`kubernetes.io/`, `k8s.io/` and their
 *   subdomains, but for `app.kubernetes.io/`, the recommended labels meant for users;
 *   `pod-template-hash`, `controller-revision-hash`, `job-name`, `controller-uid`), and etcd-operator's
 *   member label `etcd_cluster`, which its client Services select.
 *
 * Annotations refused:
 * - AppArmor (`container.apparmor.security.beta.kubernetes.io/*`) and the older seccomp annotations
 *   (`seccomp.security.alpha.kubernetes.io/pod`, `container.seccomp.security.alpha.kubernetes.io/*`):
 *   `unconfined` would lift the confinement our Pods ask for (seccompProfile RuntimeDefault);
 * - service mesh injection and traffic capture (`sidecar.istio.io/*`, `traffic.sidecar.istio.io/*`,
 *   `linkerd.io/inject`, `config.linkerd.io/*`, `config.alpha.linkerd.io/*`): opting a Pod out of
 *   the mesh, or some ports out of its proxy, bypasses the mesh's mutual TLS and authorization;
 * - `vitess.io/*` (ours: revisions, config hashes, TLS rotation) and `metacontroller.k8s.io/*`
 *   (Metacontroller's last-applied bookkeeping, which its apply merge trusts).
 */
import type { TemplateSpec } from './common.ts';

/** The hook Pods' `app.kubernetes.io/name` (metacontroller/hooks.yaml: the hook Service's selector). */
export const HOOK_APP_NAME = 'vitess-operator-hooks';
/** The observer's Pods' `app.kubernetes.io/name` (metacontroller/observer.yaml; the network policies admit it to vtgate's web port). */
export const OBSERVER_APP_NAME = 'vitess-operator-observer';
/** Metacontroller's own Pods' `app.kubernetes.io/name` (its upstream manifests). */
export const METACONTROLLER_APP_NAME = 'metacontroller';

const OUR_PREFIX = 'vitess.io/';
const USER_KUBERNETES_PREFIX = 'app.kubernetes.io/';
const CONTROLLER_LABELS: ReadonlySet<string> = new Set(['pod-template-hash', 'controller-revision-hash', 'job-name', 'controller-uid', 'etcd_cluster']);
const RESERVED_APP_NAMES: ReadonlySet<string> = new Set([HOOK_APP_NAME, OBSERVER_APP_NAME, METACONTROLLER_APP_NAME]);

const REFUSED_ANNOTATION_PREFIXES: readonly { prefix: string; why: string }[] = [
  { prefix: 'container.apparmor.security.beta.kubernetes.io/', why: 'it can switch AppArmor off for a container' },
  { prefix: 'seccomp.security.alpha.kubernetes.io/', why: 'it can switch seccomp off' },
  { prefix: 'container.seccomp.security.alpha.kubernetes.io/', why: 'it can switch seccomp off for a container' },
  { prefix: 'sidecar.istio.io/', why: 'it can opt the Pod out of the mesh (its mutual TLS and authorization)' },
  { prefix: 'traffic.sidecar.istio.io/', why: "it can take ports out of the mesh's proxy" },
  { prefix: 'linkerd.io/inject', why: 'it can opt the Pod out of the mesh (its mutual TLS and authorization)' },
  { prefix: 'config.linkerd.io/', why: "it can take ports out of the mesh's proxy" },
  { prefix: 'config.alpha.linkerd.io/', why: "it can take ports out of the mesh's proxy" },
  { prefix: OUR_PREFIX, why: "the operator's own annotations live there" },
  { prefix: 'metacontroller.k8s.io/', why: "Metacontroller's apply bookkeeping lives there" },
];

/** The domain of a prefixed key (`topology.kubernetes.io` of `topology.kubernetes.io/zone`), or undefined. */
function prefixOf(key: string): string | undefined {
  const slash = key.indexOf('/');
  return slash === -1 ? undefined : key.slice(0, slash);
}

function isKubernetesReserved(key: string): boolean {
  if (key.startsWith(USER_KUBERNETES_PREFIX)) return false;
  const domain = prefixOf(key);
  if (domain === undefined) return false;
  return domain === 'kubernetes.io' || domain === 'k8s.io' || domain.endsWith('.kubernetes.io') || domain.endsWith('.k8s.io');
}

/** Why a template label may not be set, or undefined when it may. */
export function refusedLabel(key: string, value: string): string | undefined {
  if (key.startsWith(OUR_PREFIX)) return "the operator's identity labels, which its selectors use, live there";
  if (key === `${USER_KUBERNETES_PREFIX}name` && RESERVED_APP_NAMES.has(value)) return "it selects the operator's or Metacontroller's own Pods";
  if (isKubernetesReserved(key)) return "Kubernetes' own components set it and select Pods by it";
  if (CONTROLLER_LABELS.has(key)) return 'a controller sets it and selects Pods by it';
  return undefined;
}

/** Why a template annotation may not be set, or undefined when it may. */
export function refusedAnnotation(key: string): string | undefined {
  return REFUSED_ANNOTATION_PREFIXES.find(({ prefix }) => key.startsWith(prefix))?.why;
}

/** Problems with a spec's template metadata, each `path: message`; `path` is the template's (`spec.template`). */
export function templateProblems(template: TemplateSpec, path: string): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(template.metadata?.labels ?? {})) {
    const why = refusedLabel(key, value);
    if (why !== undefined) problems.push(`${path}.metadata.labels.${key}: may not be set on the operator's objects: ${why}`);
  }
  for (const key of Object.keys(template.metadata?.annotations ?? {})) {
    const why = refusedAnnotation(key);
    if (why !== undefined) problems.push(`${path}.metadata.annotations.${key}: may not be set on the operator's Pods: ${why}`);
  }
  return problems;
}

/** The problem of a Vitess object in the operator's own namespace, or undefined elsewhere. */
export function namespaceProblem(namespace: string | undefined, operatorNamespace: string | undefined): string | undefined {
  if (operatorNamespace === undefined || (namespace ?? 'default') !== operatorNamespace) return undefined;
  return `metadata.namespace: '${operatorNamespace}' is the operator's own namespace: Vitess objects do not belong there (their Pods could join the hook Service); create them in another namespace`;
}
