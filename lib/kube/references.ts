/**
 * The objects a manifest names by reference: what must exist (or be created with it) for the manifest
 * to work. Kubernetes' reference fields, found anywhere in an object (Pod specs inside Deployments,
 * StatefulSets, Jobs, CronJobs, PVC templates, our own CRDs' fields), by their field names.
 */
import { isRecord } from './object.ts';

/** `Kind/name`, in the manifest's namespace for namespaced kinds. */
export type Reference = string;

/** Fields whose string value is the name of an object of this kind. */
const NAME_FIELDS: Readonly<Record<string, string>> = {
  priorityClassName: 'PriorityClass',
  storageClassName: 'StorageClass',
  runtimeClassName: 'RuntimeClass',
  serviceAccountName: 'ServiceAccount',
  // secret volumes (and our API's Secret references: mysqlUsers, initDbSql, tls, vtadmin rbac).
  secretName: 'Secret',
  claimName: 'PersistentVolumeClaim',
};

/** Fields holding a `{name}` (LocalObjectReference and the like) of an object of this kind. */
const REFERENCE_FIELDS: Readonly<Record<string, string>> = {
  secretKeyRef: 'Secret',
  secretRef: 'Secret',
  nodePublishSecretRef: 'Secret',
  nodeStageSecretRef: 'Secret',
  nodeExpandSecretRef: 'Secret',
  controllerPublishSecretRef: 'Secret',
  controllerExpandSecretRef: 'Secret',
  // projected volume sources: {secret: {name}}, {configMap: {name}}; configMap volumes: {configMap: {name}}.
  secret: 'Secret',
  configMapKeyRef: 'ConfigMap',
  configMapRef: 'ConfigMap',
  configMap: 'ConfigMap',
  // Our API: backup credentials (lib/api/backup.ts).
  credentialsSecret: 'Secret',
  keySecret: 'Secret',
  configSecret: 'Secret',
};

/** Fields holding a list of `{name}` of this kind. */
const LIST_FIELDS: Readonly<Record<string, string>> = {
  imagePullSecrets: 'Secret',
};

/** Subtrees that name nothing the object needs: what the server writes, and free-form metadata. */
const SKIPPED = new Set(['status', 'metadata']);

/**
 * Every object `manifest` names by reference (sorted, each once). The manifest's own metadata and
 * status are skipped; a nested template's metadata too (labels and annotations are not references).
 */
export function references(manifest: unknown): Reference[] {
  const found = new Set<Reference>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (!isRecord(value)) return;
    for (const [field, child] of Object.entries(value)) {
      if (SKIPPED.has(field)) continue;
      const named = NAME_FIELDS[field];
      if (named !== undefined && typeof child === 'string' && child !== '') found.add(`${named}/${child}`);
      const referenced = REFERENCE_FIELDS[field];
      if (referenced !== undefined && isRecord(child) && typeof child.name === 'string' && child.name !== '') found.add(`${referenced}/${child.name}`);
      const listed = LIST_FIELDS[field];
      if (listed !== undefined && Array.isArray(child)) {
        for (const item of child) if (isRecord(item) && typeof item.name === 'string' && item.name !== '') found.add(`${listed}/${item.name}`);
      }
      visit(child);
    }
  };
  visit(manifest);
  return [...found].sort();
}

/** What every cluster has without anyone creating it: a namespace's `default` ServiceAccount, the system PriorityClasses. */
export const BUILT_IN: ReadonlySet<Reference> = new Set(['ServiceAccount/default', 'PriorityClass/system-cluster-critical', 'PriorityClass/system-node-critical']);

/**
 * Kinds the API server checks when a Pod is created (admission plugins Priority, RuntimeClass,
 * ServiceAccount): a Pod naming one that does not exist is refused, so nothing of it ever runs.
 * Other references (Secrets, ConfigMaps, StorageClasses, claims) leave the Pod or PVC pending instead.
 */
export const CHECKED_AT_ADMISSION: ReadonlySet<string> = new Set(['PriorityClass', 'RuntimeClass', 'ServiceAccount']);
