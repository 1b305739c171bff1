/**
 * Issue 18.2: the `file` backup location mounts its volume read-write in every tablet, vtctld and backup
 * Pod, so only the sources a shared backup store is made of are accepted (persistentVolumeClaim, nfs,
 * csi); hostPath and every other source are InvalidSpec naming the field, at the VitessCluster and at
 * every layer below (a VitessShard can be written directly).
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { layers } from '../../lib/sync/index.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';

const REFUSED: Record<string, unknown>[] = [
  { hostPath: { path: '/' } },
  { projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
  { secret: { secretName: 'other-app' } },
  { configMap: { name: 'other-app' } },
  { emptyDir: {} },
  { nfs: { server: 'nfs', path: '/x' }, hostPath: { path: '/' } },
  { persistentVolumeClaim: { claimName: 'a', extra: 'x' } },
];
const ACCEPTED: Record<string, unknown>[] = [
  { persistentVolumeClaim: { claimName: 'backups' } },
  { nfs: { server: 'nfs.example', path: '/exports/vitess' } },
  { csi: { driver: 'efs.csi.aws.com', volumeAttributes: { path: '/' } } },
];

type Body = { parent: { spec: Record<string, unknown> } };

function answer(hook: string, fixture: string, edit: (spec: Record<string, unknown>) => void): { problems?: string[]; reason?: string } {
  const body = loadJson(join(FIXTURES, hook, fixture, 'request.json')) as Body;
  edit(body.parent.spec);
  const layer = layers.find((l) => l.name === hook)!;
  const status = layer.sync(parseSyncRequest(body, layer.parentKind), { now: FIXED_NOW }).status as { problems?: string[]; conditions: { type: string; reason: string }[] };
  return { problems: status.problems, reason: status.conditions.find((c) => c.type === 'Ready')?.reason };
}

const CASES = [
  { hook: 'sync-cluster', fixture: 'seed-new', edit: (spec: Record<string, unknown>, volume: unknown) => (spec.backup = { location: { file: { volume } } }) },
  { hook: 'sync-shard', fixture: 'production-commerce-0-first-sync-initial-backup', edit: (spec: Record<string, unknown>, volume: unknown) => (spec.backup = { location: { file: { volume } }, engine: 'builtin' }) },
  { hook: 'sync-cell', fixture: 'production-zone1-all-ready', edit: (spec: Record<string, unknown>, volume: unknown) => (spec.backup = { location: { file: { volume } }, engine: 'builtin' }) },
];

describe('backup file volume: persistentVolumeClaim, nfs or csi only', () => {
  for (const { hook, fixture, edit } of CASES) {
    test(`${hook}: hostPath, projected tokens, another app's Secret or ConfigMap, emptyDir: InvalidSpec at the source's path`, () => {
      for (const volume of REFUSED) {
        const { problems, reason } = answer(hook, fixture, (spec) => edit(spec, volume));
        expect(reason).toBe('InvalidSpec');
        expect(problems?.some((p) => p.startsWith('spec.backup.location.file.volume.'))).toBe(true);
      }
    });
    test(`${hook}: a PVC, an NFS export, a CSI volume: accepted`, () => {
      for (const volume of ACCEPTED) expect(answer(hook, fixture, (spec) => edit(spec, volume)).reason).not.toBe('InvalidSpec');
    });
  }
  test('sync-cluster: exactly one source', () => {
    const two = answer('sync-cluster', 'seed-new', (spec) => (spec.backup = { location: { file: { volume: { nfs: { server: 'n', path: '/x' }, csi: { driver: 'd' } } } } }));
    expect(two.problems).toContain('spec.backup.location.file.volume: (csi, nfs) must set exactly one of persistentVolumeClaim, nfs, csi');
  });
});

describe('the CRDs say so too', () => {
  test('every layer\'s CRD lists exactly persistentVolumeClaim, nfs, csi under file.volume, and keeps no unknown field there', () => {
    for (const file of ['vitessclusters', 'vitesscells', 'vitesskeyspaces', 'vitessshards']) {
      const crd = parse(readFileSync(join(import.meta.dir, '..', '..', 'crds', `${file}.yaml`), 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: unknown } }[] } };
      const volume = findProperty(crd.spec.versions[0]?.schema.openAPIV3Schema, ['backup', 'location', 'file', 'volume']) as { properties?: Record<string, unknown>; 'x-kubernetes-preserve-unknown-fields'?: boolean; description?: string } | undefined;
      expect(Object.keys(volume?.properties ?? {})).toEqual(['persistentVolumeClaim', 'nfs', 'csi']);
      expect(volume?.['x-kubernetes-preserve-unknown-fields']).toBeUndefined();
      expect(volume?.description).toContain('hostPath');
    }
  });
});

/** The schema node at `path` of property names, under the first `spec` found. */
function findProperty(schema: unknown, path: readonly string[]): unknown {
  let node = (schema as { properties: Record<string, unknown> }).properties.spec;
  for (const step of path) node = (node as { properties?: Record<string, unknown> } | undefined)?.properties?.[step];
  return node;
}
