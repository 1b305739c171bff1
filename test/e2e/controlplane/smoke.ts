// Smoke check for a Kubernetes API server (the local control plane or any cluster).
//
//   bun test/e2e/controlplane/smoke.ts                # uses $KUBECONFIG, else .cache/controlplane/current-kubeconfig
//   KUBECONFIG=/path/to/kubeconfig bun test/e2e/controlplane/smoke.ts
//
// Creates a namespace + ConfigMap, installs the Metacontroller CRDs from
// test/e2e/fixtures/metacontroller-crds-v1.yaml (vendored, see its header),
// creates a CompositeController object, lists everything, then (if a
// kube-controller-manager runs) checks ownerReference garbage collection, the
// "default" ServiceAccount and namespace deletion. Exits non-zero on failure.
// The CRDs are left installed (they are cluster-scoped and harmless); the namespace is deleted.
import * as k8s from "@kubernetes/client-node";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { REPO_ROOT, kubeconfigPath, loadKubeConfig } from "./kubeclient.ts";

const CRD_FILE = resolve(REPO_ROOT, "test/e2e/fixtures/metacontroller-crds-v1.yaml");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}
const isNotFound = (e: unknown) => (e as { code?: number })?.code === 404;
const log = (...a: unknown[]) => console.log("[smoke]", ...a);

const path = kubeconfigPath();
const kc = loadKubeConfig(path);
log(`kubeconfig ${path} -> ${kc.getCurrentCluster()?.server}`);

const core = kc.makeApiClient(k8s.CoreV1Api);
const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
const version = kc.makeApiClient(k8s.VersionApi);
const objects = k8s.KubernetesObjectApi.makeApiClient(kc);

const v = await version.getCode();
log(`server version ${v.gitVersion}`);

// 1. namespace + ConfigMap
const ns = `smoke-${Date.now().toString(36)}`;
await core.createNamespace({ body: { metadata: { name: ns } } });
const owner = await core.createNamespacedConfigMap({
  namespace: ns,
  body: { metadata: { name: "owner" }, data: { hello: "world" } },
});
await core.createNamespacedConfigMap({
  namespace: ns,
  body: {
    metadata: {
      name: "dependent",
      ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata!.uid! }],
    },
    data: { owned: "true" },
  },
});
const cms = await core.listNamespacedConfigMap({ namespace: ns });
log(`namespace ${ns}: configmaps = ${cms.items.map((c) => c.metadata?.name).join(", ")}`);

// 2. CRDs (create or replace), wait until Established
const crds = k8s.loadAllYaml(readFileSync(CRD_FILE, "utf8")).filter(Boolean) as k8s.V1CustomResourceDefinition[];
for (const crd of crds) {
  const name = crd.metadata!.name!;
  try {
    await ext.createCustomResourceDefinition({ body: crd });
    log(`created CRD ${name}`);
  } catch (e) {
    if ((e as { code?: number }).code !== 409) throw e;
    const cur = await ext.readCustomResourceDefinition({ name });
    crd.metadata!.resourceVersion = cur.metadata!.resourceVersion;
    await ext.replaceCustomResourceDefinition({ name, body: crd });
    log(`replaced CRD ${name}`);
  }
}
for (const crd of crds) {
  const name = crd.metadata!.name!;
  await waitFor(`CRD ${name} Established`, async () => {
    const c = await ext.readCustomResourceDefinition({ name });
    return c.status?.conditions?.some((x) => x.type === "Established" && x.status === "True") ? true : undefined;
  });
}
const listed = await ext.listCustomResourceDefinition();
log(
  `CRDs: ${listed.items
    .map((c) => c.metadata?.name)
    .filter((n) => n?.endsWith("metacontroller.k8s.io"))
    .join(", ")}`,
);

// 3. a custom resource through the generic object API (discovery of the new CRD)
const cc = await waitFor("CompositeController create", () =>
  objects.create({
    apiVersion: "metacontroller.k8s.io/v1alpha1",
    kind: "CompositeController",
    metadata: { name: `smoke-${ns}` },
    spec: {
      parentResource: { apiVersion: "v1", resource: "configmaps" },
      hooks: { sync: { webhook: { url: "http://127.0.0.1:1/sync" } } },
    },
  } as k8s.KubernetesObject),
);
const ccs = await objects.list("metacontroller.k8s.io/v1alpha1", "CompositeController");
log(`compositecontrollers: ${ccs.items.map((c) => c.metadata?.name).join(", ")}`);
await objects.delete(cc);

// 4. controller-manager features (skipped when none is running)
const kcm = await waitFor(
  "default ServiceAccount",
  () => core.readNamespacedServiceAccount({ name: "default", namespace: ns }).then(() => true),
  10_000,
).catch(() => false);
if (!kcm) {
  log("no 'default' ServiceAccount after 10s: no kube-controller-manager? skipping GC / namespace deletion checks");
} else {
  log(`ServiceAccount ${ns}/default exists (serviceaccount controller works)`);
  await core.deleteNamespacedConfigMap({ name: "owner", namespace: ns });
  await waitFor("garbage collection of dependent ConfigMap", () =>
    core.readNamespacedConfigMap({ name: "dependent", namespace: ns }).then(
      () => undefined,
      (e) => (isNotFound(e) ? true : undefined),
    ),
  );
  log("dependent ConfigMap garbage-collected (garbage collector works)");
}

await core.deleteNamespace({ name: ns });
if (kcm) {
  await waitFor("namespace deletion", () =>
    core.readNamespace({ name: ns }).then(
      () => undefined,
      (e) => (isNotFound(e) ? true : undefined),
    ),
  );
  log(`namespace ${ns} deleted (namespace controller works)`);
} else {
  log(`namespace ${ns} marked for deletion`);
}
log("OK");
