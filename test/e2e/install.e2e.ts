/**
 * Issue 4, part 1: the API server accepts Metacontroller's CRDs, our CRDs (crds/), and everything in
 * metacontroller/ as `kubectl kustomize metacontroller/` builds it; each optional component under
 * metacontroller/components/ builds on top of it and is accepted too (server-side dry run).
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type Obj, read, ref } from './support/kube.ts';
import { componentDirs, kustomize, applyComponent } from './support/kustomize.ts';
import { buildOverlay } from './support/metacontroller-overlay.ts';
import { applyCrds, applyManifests, ensureCrds, hasManifests, MANIFESTS, metacontrollerCrds, ourCrds } from './support/install.ts';

describe('install', () => {
  test("Metacontroller's CRDs are accepted and Established", async () => {
    const crds = metacontrollerCrds();
    expect(crds.map((c) => c.metadata.name).sort()).toContain('compositecontrollers.metacontroller.k8s.io');
    await applyCrds(crds);
  });

  test('our CRDs (crds/kustomization.yaml) are accepted, Established, with the status subresource', async () => {
    const crds = ourCrds();
    expect(crds.map((c) => (c as unknown as { spec: { names: { kind: string } } }).spec.names.kind).sort()).toEqual(['VitessCell', 'VitessCluster', 'VitessKeyspace', 'VitessShard']);
    await applyCrds(crds);
    for (const crd of crds) {
      const live = (await read(crd)) as unknown as { spec: { versions: { name: string; subresources?: { status?: object } }[] } };
      for (const v of live.spec.versions) expect({ crd: crd.metadata.name, version: v.name, status: v.subresources?.status !== undefined }).toEqual({ crd: crd.metadata.name, version: v.name, status: true });
    }
    await ensureCrds();
  });

  const manifests = hasManifests();
  if (!manifests) console.warn('[e2e] metacontroller/kustomization.yaml does not exist yet: the manifest tests are skipped');

  test.skipIf(!manifests)('metacontroller/ builds (kustomize subset) and every object is accepted', async () => {
    await ensureCrds();
    const objects = kustomize(MANIFESTS);
    expect(objects.length).toBeGreaterThan(0);
    const kinds = new Set(objects.map((o) => o.kind));
    expect(kinds.has('CompositeController')).toBe(true);
    const applied = await applyManifests(objects);
    expect(applied.length).toBeGreaterThanOrEqual(objects.length);
    // Read every object back: it was stored, not only validated.
    for (const o of objects) expect({ object: ref(o), stored: (await read(o)) !== undefined }).toEqual({ object: ref(o), stored: true });
  });

  test.skipIf(!manifests)('every CompositeController hook points at a Service that metacontroller/ creates', () => {
    const objects = kustomize(MANIFESTS);
    const services = new Set(objects.filter((o) => o.kind === 'Service').map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`));
    type Hooks = Record<string, { webhook?: { url?: string; service?: { name: string; namespace?: string } } }>;
    for (const cc of objects.filter((o) => o.kind === 'CompositeController')) {
      const hooks = (cc as { spec?: { hooks?: Hooks } }).spec?.hooks ?? {};
      expect(Object.keys(hooks)).toContain('sync');
      for (const [name, hook] of Object.entries(hooks)) {
        const svc = hook.webhook?.service;
        if (!svc) continue;
        expect({ controller: cc.metadata.name, hook: name, service: `${svc.namespace ?? ''}/${svc.name}`, exists: services.has(`${svc.namespace ?? ''}/${svc.name}`) }).toMatchObject({ exists: true });
      }
    }
  });

  test('metacontroller/upstream (Metacontroller sized for Vitess, over a stand-in of upstream manifests/production) is accepted (dry run)', async () => {
    await ensureCrds();
    const objects = buildOverlay('subset');
    expect(objects.some((o) => o.kind === 'StatefulSet' && o.metadata.name === 'metacontroller')).toBe(true);
    const applied = await applyManifests(objects, { dryRun: true });
    expect(applied).toContain('PodDisruptionBudget/metacontroller/metacontroller');
    expect(applied).toContain('StatefulSet/metacontroller/metacontroller');
  });

  const components = manifests ? componentDirs(MANIFESTS) : [];
  for (const dir of components) {
    const name = dir.split('/').pop()!;
    test(`component ${name}: builds on metacontroller/ (its patch targets exist) and the result is accepted (dry run)`, async () => {
      await ensureCrds();
      // kubectl kustomize of a kustomization with `resources: [metacontroller]` and `components: [this]`.
      // A generator file the user creates (a token: never committed) gets a stand-in.
      const standIns: string[] = [];
      const missingFile = (path: string) => (standIns.push(path), 'e2e-stand-in-0123456789abcdef');
      const objects: Obj[] = applyComponent(kustomize(MANIFESTS), dir, { missingFile });
      if (standIns.length > 0) console.log(`[e2e] component ${name}: stand-in content for ${standIns.join(', ')}`);
      expect(objects.length).toBeGreaterThan(0);
      // CRDs a component adds must be installed for real before objects of their kinds can be validated;
      // so must those of kinds it expects the cluster to have (a stand-in per component in fixtures/components/).
      const expected = join(import.meta.dir, 'fixtures', 'components', `${name}-crds.yaml`);
      if (existsSync(expected)) await applyCrds(parseAllDocuments(readFileSync(expected, 'utf8')).map((d) => d.toJSON() as Obj));
      const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
      if (crds.length > 0) await applyCrds(crds);
      await applyManifests(objects, { dryRun: true });
    });
  }
});
