/**
 * Installs what the operator needs in a cluster: Metacontroller's CRDs, our CRDs (crds/), and
 * everything in metacontroller/ as `kubectl kustomize metacontroller/` builds it. Idempotent
 * (server-side apply), and done once per test process: every e2e file calls ensureCrds().
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../controlplane/kubeclient.ts';
import { apply, clients, list, type Obj, read, ref, useMetacontrollerToken, waitFor } from './kube.ts';
import { CLUSTER_SCOPED, kustomizationFile, kustomize, parseYamlDocuments } from './kustomize.ts';

export const METACONTROLLER_CRDS = join(REPO_ROOT, 'test/e2e/fixtures/metacontroller-crds-v1.yaml');
export const OUR_CRDS = join(REPO_ROOT, 'crds');
export const MANIFESTS = join(REPO_ROOT, 'metacontroller');

export function metacontrollerCrds(): Obj[] {
  return parseYamlDocuments(readFileSync(METACONTROLLER_CRDS, 'utf8'), METACONTROLLER_CRDS) as Obj[];
}

export function ourCrds(): Obj[] {
  return kustomize(OUR_CRDS);
}

export function hasManifests(): boolean {
  return existsSync(MANIFESTS) && kustomizationFile(MANIFESTS) !== undefined;
}

interface CrdStatus {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
  spec: { group: string; names: { kind: string }; versions: { name: string; served: boolean }[] };
}

/** Applies CRDs and waits until each is Established and its kind is served (discovery updated). */
export async function applyCrds(crds: Obj[]): Promise<void> {
  for (const crd of crds) await apply(crd);
  for (const crd of crds) {
    await waitFor(
      `CRD ${crd.metadata.name} Established`,
      async () => {
        const live = (await read(crd)) as unknown as CrdStatus | undefined;
        const established = live?.status?.conditions?.find((c) => c.type === 'Established');
        const rejected = live?.status?.conditions?.find((c) => c.type === 'NonStructuralSchema' && c.status === 'True');
        if (rejected) throw new Error(`CRD ${crd.metadata.name} has a non-structural schema: ${rejected.message}`);
        return established?.status === 'True' ? true : undefined;
      },
      30_000,
    );
    const spec = (crd as unknown as CrdStatus).spec;
    const version = spec.versions.find((v) => v.served)!.name;
    // The kind must be listable: KubernetesObjectApi resolves kinds through discovery.
    await waitFor(`${spec.names.kind} served`, () => list(`${spec.group}/${version}`, spec.names.kind).then(() => true), 30_000);
  }
}

let crdsInstalled: Promise<void> | undefined;

/** Metacontroller's CRDs and ours, once per process. */
export function ensureCrds(): Promise<void> {
  crdsInstalled ??= (async () => {
    await applyCrds(metacontrollerCrds());
    await applyCrds(ourCrds());
  })();
  return crdsInstalled;
}

/**
 * Applies a built set of manifests: Namespaces first (and the namespaces they use that no object
 * creates), then CRDs, then the rest. With dryRun, the server validates everything but stores nothing
 * (the namespaces are still created for real, since a dry run in a missing namespace fails).
 */
export async function applyManifests(objects: Obj[], opts: { dryRun?: boolean } = {}): Promise<string[]> {
  const applied: string[] = [];
  const namespaces = new Set(objects.filter((o) => !CLUSTER_SCOPED.has(o.kind) && o.metadata.namespace).map((o) => o.metadata.namespace!));
  for (const o of objects.filter((o) => o.kind === 'Namespace')) {
    await apply(o);
    namespaces.delete(o.metadata.name);
    applied.push(ref(o));
  }
  for (const ns of namespaces) {
    if (!(await read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }))) {
      await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
  }
  const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
  if (crds.length > 0 && !opts.dryRun) await applyCrds(crds);
  applied.push(...crds.map(ref));
  for (const o of objects) {
    if (o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition') continue;
    await apply(o, opts);
    applied.push(ref(o));
  }
  return applied;
}

/** The ServiceAccount metacontroller/rbac.yaml binds its ClusterRole to: Metacontroller's, as upstream installs it. */
export function metacontrollerSubject(objects: Obj[] = kustomize(MANIFESTS)): { namespace: string; name: string } {
  const binding = objects.find((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'vitess-operator-metacontroller') as (Obj & { subjects?: { kind: string; name: string; namespace?: string }[] }) | undefined;
  const subject = binding?.subjects?.find((s) => s.kind === 'ServiceAccount');
  if (subject?.namespace === undefined) throw new Error('metacontroller/rbac.yaml binds vitess-operator-metacontroller to no ServiceAccount');
  return { namespace: subject.namespace, name: subject.name };
}

/** A token of a ServiceAccount (created if missing), from the TokenRequest API: who it is, nothing more. */
export async function serviceAccountToken(namespace: string, name: string): Promise<string> {
  await createNamespaceIfMissing(namespace);
  await apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
  const { core } = clients();
  const request = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const token = request.status?.token;
  if (token === undefined) throw new Error(`no token for ServiceAccount ${namespace}/${name}`);
  return token;
}

async function createNamespaceIfMissing(name: string): Promise<void> {
  if (!(await read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }))) await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

let identity: Promise<void> | undefined;

/**
 * Metacontroller's identity for the tests that write as it does (`as: 'metacontroller'`): the
 * ClusterRole and binding of metacontroller/rbac.yaml installed, its ServiceAccount created, and a
 * token of that account used for those calls. Once per process.
 */
export function ensureMetacontrollerIdentity(): Promise<void> {
  identity ??= (async () => {
    await ensureCrds();
    const objects = kustomize(MANIFESTS);
    for (const o of objects.filter((x) => (x.kind === 'ClusterRole' || x.kind === 'ClusterRoleBinding') && x.metadata.name === 'vitess-operator-metacontroller')) await apply(o);
    const subject = metacontrollerSubject(objects);
    useMetacontrollerToken(`system:serviceaccount:${subject.namespace}:${subject.name}`, await serviceAccountToken(subject.namespace, subject.name));
  })();
  return identity;
}
