/**
 * Issue 18, item 8, against the real API server (which enforces owner-reference permissions, as
 * OpenShift does: OwnerReferencesPermissionEnforcement, test/e2e/controlplane/start.sh):
 * - Metacontroller's ClusterRole (metacontroller/rbac.yaml) lets it create a child with
 *   blockOwnerDeletion under every one of our parent kinds; the same role without the finalizers rule
 *   cannot (what every child creation met before the rule).
 * - The auth component lets Metacontroller get its token Secret and no other Secret, nor list them.
 * objects.e2e.ts writes every example's whole tree as Metacontroller too.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../lib/kube/object.ts';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { simulate } from '../../lib/simulator/simulate.ts';
import { layers } from '../../lib/sync/index.ts';
import { applyComponent, kustomize } from './support/kustomize.ts';
import { EXAMPLES_DIR, renderFile } from './support/render.ts';
import { ensureMetacontrollerIdentity, MANIFESTS, serviceAccountToken } from './support/install.ts';
import { type Actor, apply, ApiError, createNamespace, deleteNamespace, list, type Obj, read, remove, uniqueName, useMetacontrollerToken } from './support/kube.ts';

const VITESS = 'vitess.io/v1alpha1';
const PARENTS = ['VitessCluster', 'VitessCell', 'VitessKeyspace', 'VitessShard'] as const;

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

function metacontrollerRole(): Obj & { rules: Rule[] } {
  const role = kustomize(MANIFESTS).find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'vitess-operator-metacontroller');
  if (role === undefined) throw new Error('metacontroller/rbac.yaml has no ClusterRole vitess-operator-metacontroller');
  return role as Obj & { rules: Rule[] };
}

/** One parent of each kind, with a valid spec: the first the hooks render for the minimal example, without its place in the tree. */
let parents: Map<string, Obj>;

function parentObject(kind: string, namespace: string): Obj {
  const rendered = parents.get(kind);
  if (rendered === undefined) throw new Error(`the minimal example renders no ${kind}`);
  return { apiVersion: VITESS, kind, metadata: { name: rendered.metadata.name, namespace }, spec: rendered.spec };
}

/** A ConfigMap owned the way Metacontroller owns every child: controller, blockOwnerDeletion. */
function childOf(owner: Obj, namespace: string): Obj {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${owner.metadata.name}-child`,
      namespace,
      ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    data: { a: 'b' },
  };
}

async function refusal(write: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await write();
    return undefined;
  } catch (e) {
    return e instanceof ApiError ? `HTTP ${e.code}: ${e.serverMessage}` : String(e);
  }
}

const namespace = uniqueName('e2e-security');

beforeAll(async () => {
  await ensureMetacontrollerIdentity();
  await createNamespace(namespace);
  parents = new Map();
  for (const o of await renderFile(join(EXAMPLES_DIR, 'minimal.yaml'))) if (!parents.has(o.kind)) parents.set(o.kind, o);
});

afterAll(async () => {
  await deleteNamespace(namespace);
});

describe("Metacontroller's ClusterRole where owner-reference permissions are enforced", () => {
  const withoutFinalizers = 'vitess-operator-e2e-no-finalizers';

  afterAll(async () => {
    await remove({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: withoutFinalizers } });
    await remove({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: withoutFinalizers } });
  });

  test('the role grants update on the finalizers of every parent kind', () => {
    const granted = metacontrollerRole().rules.filter((r) => r.apiGroups?.includes('vitess.io') && r.verbs.includes('update')).flatMap((r) => r.resources ?? []);
    for (const kind of PARENTS) expect(granted).toContain(`${kind.toLowerCase()}s/finalizers`);
  });

  for (const kind of PARENTS) {
    test(`a child with blockOwnerDeletion under a ${kind}: created as Metacontroller; refused to the same role without the finalizers rule`, async () => {
      const owner = await apply(parentObject(kind, namespace));
      const child = childOf(owner, namespace);
      // Metacontroller's own identity and role.
      expect(await refusal(() => apply(child, { as: 'metacontroller' }))).toBeUndefined();
      await remove(child);

      // The role as it was before the rule, bound to another ServiceAccount.
      const role = metacontrollerRole();
      const stripped = role.rules.map((r) => ({ ...r, resources: r.resources?.filter((x) => !x.endsWith('/finalizers')) })).filter((r) => (r.resources ?? []).length > 0);
      await apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: withoutFinalizers }, rules: stripped } as Obj);
      await apply({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: withoutFinalizers },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: withoutFinalizers },
        subjects: [{ kind: 'ServiceAccount', name: 'no-finalizers', namespace }],
      } as Obj);
      const restore = await metacontrollerToken();
      useMetacontrollerToken(`system:serviceaccount:${namespace}:no-finalizers`, await serviceAccountToken(namespace, 'no-finalizers'));
      try {
        // A new binding reaches the authorizer within moments (until then the refusal is RBAC's own, on configmaps).
        const second = { ...child, metadata: { ...child.metadata, name: `${child.metadata.name}-2` } };
        let refused: string | undefined;
        for (let i = 0; i < 50; i++) {
          refused = await refusal(() => apply(second, { as: 'metacontroller' }));
          if (refused?.includes('blockOwnerDeletion')) break;
          if (refused === undefined) await remove(second);
          await Bun.sleep(200);
        }
        expect(refused).toContain("cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on");
      } finally {
        useMetacontrollerToken(restore.user, restore.token);
      }
    });
  }
});

/** Metacontroller's own token again, after a test acted as another account. */
async function metacontrollerToken(): Promise<{ user: string; token: string }> {
  const role = kustomize(MANIFESTS).find((o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'vitess-operator-metacontroller') as Obj & { subjects: { name: string; namespace: string }[] };
  const subject = role.subjects[0]!;
  return { user: `system:serviceaccount:${subject.namespace}:${subject.name}`, token: await serviceAccountToken(subject.namespace, subject.name) };
}

describe('the auth component: Metacontroller reads its token Secret and no other', () => {
  const operatorNamespace = 'vitess-operator';
  const other: Obj = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'e2e-not-for-metacontroller', namespace: operatorNamespace }, stringData: { password: 'x' } } as Obj;

  beforeAll(async () => {
    const built = applyComponent(kustomize(MANIFESTS), join(MANIFESTS, 'components', 'auth'), { missingFile: () => 'e2e-stand-in-0123456789abcdef' });
    for (const o of built.filter((x) => x.kind === 'Namespace')) await apply(o);
    for (const o of built.filter((x) => ['Role', 'RoleBinding', 'Secret'].includes(x.kind))) await apply(o);
    await apply(other);
  });

  afterAll(async () => {
    await remove(other);
  });

  const as: Actor = 'metacontroller';

  test('get of vitess-operator-hooks-auth: allowed', async () => {
    let read1: Obj | undefined;
    for (let i = 0; i < 50 && read1 === undefined; i++) {
      read1 = await read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vitess-operator-hooks-auth', namespace: operatorNamespace } }, as).catch(() => undefined);
      if (read1 === undefined) await Bun.sleep(200);
    }
    expect(read1?.metadata.name).toBe('vitess-operator-hooks-auth');
  });

  test('get of another Secret in the same namespace: forbidden (403)', async () => {
    const refused = await refusal(() => read(other, as));
    expect(refused).toContain('HTTP 403');
  });

  test('list of the namespace\'s Secrets: forbidden (403)', async () => {
    const refused = await refusal(() => list('v1', 'Secret', operatorNamespace, undefined, as));
    expect(refused).toContain('403');
  });
});

describe('the network-policies component', () => {
  test("the NetworkPolicies the hooks make under it (minimal example) are accepted by the API server", async () => {
    const cluster = parseClusterYaml(readFileSync(join(EXAMPLES_DIR, 'minimal.yaml'), 'utf8')) as unknown as Obj;
    const result = simulate([{ ...cluster, metadata: { ...cluster.metadata, namespace } } as KubeObject], { controllers: loadControllers(['network-policies']), layers, kubelet: true, maxRounds: 300 });
    const policies = result.objects.filter((o) => o.kind === 'NetworkPolicy');
    expect(policies.length).toBeGreaterThanOrEqual(2);
    for (const policy of policies) {
      const { ownerReferences: _owners, uid: _uid, resourceVersion: _rv, creationTimestamp: _created, ...metadata } = policy.metadata as Obj['metadata'];
      expect(await refusal(() => apply({ ...(policy as Obj), metadata: { ...metadata, name: policy.metadata.name, namespace } }, { dryRun: true }))).toBeUndefined();
    }
  });
});
