/**
 * The CRDs: generated from the valibot schemas, structural, and agreeing with the hook about which
 * specs are valid (the seed example, invalid specs, and every object and status the hooks write).
 */
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { parse } from 'yaml';
import { ClusterSpec } from '../../lib/api/cluster.ts';
import { buildCrd, buildCrds, crdFiles, type CustomResourceDefinition, KINDS, specSchema } from '../../lib/api/crd.ts';
import type { JSONSchemaProps } from '../../lib/api/openapi.ts';
import { structuralProblems, validateObject, validateOpenAPI } from '../../lib/api/openapi-validate.ts';
import { LayerStatus } from '../../lib/api/status.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import { formatIssues, type SyncRequest } from '../../lib/metacontroller/request.ts';
import { layers } from '../../lib/sync/index.ts';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { runRound, seed } from '../../lib/simulator/simulate.ts';
import { allObjects } from '../../lib/simulator/store.ts';

const ROOT = join(import.meta.dir, '..', '..');
const SEED = parse(readFileSync(join(ROOT, 'examples', 'seed-my-vitess.yaml'), 'utf8')) as { spec: Record<string, unknown> };

function schemaOf(crd: CustomResourceDefinition): JSONSchemaProps {
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
}

const clusterCrd = buildCrd(KINDS.find((kind) => kind.kind === 'VitessCluster')!);
const clusterSpecSchema = schemaOf(clusterCrd).properties!.spec!;

/** The paths of valibot's issues and of the OpenAPI validator's problems, to compare where each finds fault. */
function valibotPaths(spec: unknown): string[] {
  const result = v.safeParse(ClusterSpec, spec);
  return result.success ? [] : unique(formatIssues(result.issues, 'spec').map(pathOf));
}
function openapiPaths(spec: unknown): string[] {
  return unique(validateOpenAPI(clusterSpecSchema, spec, 'spec').map(pathOf));
}
function pathOf(problem: string): string {
  return problem.slice(0, problem.indexOf(': '));
}
function unique(paths: string[]): string[] {
  return [...new Set(paths)].sort();
}

/** A deep copy of the seed's spec with each `[path, value]` set (`cells[1].name`); undefined deletes. */
function seedWith(...edits: [path: string, value: unknown][]): unknown {
  const spec: unknown = structuredClone(SEED.spec);
  for (const [path, value] of edits) {
    const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
    let node = spec as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = keys[keys.length - 1]!;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return spec;
}

describe('crds/', () => {
  test('is exactly what `bun run crds` generates (regenerate after a schema change)', () => {
    const dir = join(ROOT, 'crds');
    const onDisk = new Map(readdirSync(dir).filter((name) => name.endsWith('.yaml')).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
    const generated = crdFiles();
    expect([...onDisk.keys()].sort()).toEqual([...generated.keys()].sort());
    for (const [name, content] of generated) expect({ name, content: onDisk.get(name) }).toEqual({ name, content });
  });

  test('generation is deterministic', () => {
    expect([...crdFiles()]).toEqual([...crdFiles()]);
  });

  test('kustomization lists every CRD', () => {
    const kustomization = parse(crdFiles().get('kustomization.yaml')!) as { resources: string[] };
    expect(kustomization.resources).toEqual(['vitessclusters.yaml', 'vitesscells.yaml', 'vitesskeyspaces.yaml', 'vitessshards.yaml']);
  });
});

describe('the CRDs', () => {
  const crds = buildCrds();

  test('names, scope, versions, status subresource, short names', () => {
    expect(crds.map((crd) => [crd.metadata.name, crd.spec.names.kind, crd.spec.names.shortNames])).toEqual([
      ['vitessclusters.vitess.io', 'VitessCluster', ['vt']],
      ['vitesscells.vitess.io', 'VitessCell', ['vtc']],
      ['vitesskeyspaces.vitess.io', 'VitessKeyspace', ['vtk']],
      ['vitessshards.vitess.io', 'VitessShard', ['vts']],
    ]);
    for (const crd of crds) {
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.names.categories).toEqual(['vitess']);
      expect(crd.spec.versions.map((version) => [version.name, version.served, version.storage])).toEqual([['v1alpha1', true, true]]);
      expect(crd.spec.versions[0]!.subresources).toEqual({ status: {} });
      expect(crd.spec.versions[0]!.additionalPrinterColumns.map((column) => column.name)).toContainValues(['READY', 'UPDATED', 'REASON', 'AGE']);
      // `kubectl get vt` (no -o wide) shows why Ready is False (issue 19 item 2).
      expect(crd.spec.versions[0]!.additionalPrinterColumns.find((column) => column.name === 'REASON')?.priority).toBeUndefined();
    }
  });

  for (const crd of crds) {
    test(`${crd.metadata.name} is structural`, () => {
      expect(structuralProblems(schemaOf(crd))).toEqual([]);
    });
  }

  test('the structural check catches what the API server rejects', () => {
    const bad = (node: JSONSchemaProps): JSONSchemaProps => ({ type: 'object', properties: { spec: node } });
    expect(structuralProblems(bad({ properties: { a: { type: 'string' } } }))).toContain('spec: type is required (unless x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields)');
    expect(structuralProblems(bad({ type: 'object', properties: {}, additionalProperties: { type: 'string' } }))).toContain('spec: properties and additionalProperties are mutually exclusive');
    expect(structuralProblems(bad({ type: 'array' }))).toContain('spec: items is required for type array');
    expect(structuralProblems(bad({ type: 'string', default: 3 }))).toEqual(['spec: default 3 is invalid: spec: Invalid value: "integer": must be of type string']);
    expect(structuralProblems(bad({ anyOf: [{ type: 'string' }], type: 'string' }))).toContain('spec: anyOf is only used for x-kubernetes-int-or-string');
    const listMap = (required: string[]): JSONSchemaProps =>
      bad({ type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', required, properties: { name: { type: 'string' } } } });
    expect(structuralProblems(listMap(['name']))).toEqual([]);
    expect(structuralProblems(listMap([]))).toEqual(['spec: list map key name must be required or have a default']);
  });

  test('VitessCluster: cells and keyspaces are list maps keyed by their required name', () => {
    for (const field of ['cells', 'keyspaces']) {
      const list = clusterSpecSchema.properties![field]!;
      expect(list['x-kubernetes-list-type']).toBe('map');
      expect(list['x-kubernetes-list-map-keys']).toEqual(['name']);
      expect(list.items!.required).toContain('name');
    }
  });

  test('VitessCluster: the selector is immutable (CEL), and only there', () => {
    expect(clusterSpecSchema.properties!.selector!['x-kubernetes-validations']).toEqual([{ rule: 'self == oldSelf', message: 'selector is immutable' }]);
    for (const kind of KINDS.filter((k) => k.kind !== 'VitessCluster')) expect(JSON.stringify(specSchema(kind))).not.toContain('x-kubernetes-validations');
  });

  test('the status of every kind types the common fields and keeps the others', () => {
    for (const crd of crds) {
      const status = schemaOf(crd).properties!.status!;
      expect(status['x-kubernetes-preserve-unknown-fields']).toBe(true);
      expect(status.properties!.children).toEqual({ type: 'integer', minimum: 0 });
      expect(status.properties!.conditions!['x-kubernetes-list-map-keys']).toEqual(['type']);
    }
  });
});

describe('the seed example', () => {
  test('is a valid ClusterSpec for valibot', () => {
    expect(formatIssues(v.safeParse(ClusterSpec, SEED.spec).issues ?? [], 'spec')).toEqual([]);
  });

  test('is a valid VitessCluster for the generated schema (as the API server would check it)', () => {
    expect(validateObject(schemaOf(clusterCrd), SEED)).toEqual([]);
  });
});

describe('invalid specs are rejected by valibot and by the CRD at the same paths', () => {
  const cases: [string, unknown, string[]][] = [
    ['a cell name that is not a DNS label', seedWith(['cells[1].name', 'Zone_1']), ['spec.cells[1].name']],
    ['negative replicas', seedWith(['cells[1].vtgate.replicas', -1]), ['spec.cells[1].vtgate.replicas']],
    ['fractional replicas', seedWith(['cells[0].vtctld.replicas', 1.5]), ['spec.cells[0].vtctld.replicas']],
    ['replicas as a string', seedWith(['cells[0].vtctld.replicas', '2']), ['spec.cells[0].vtctld.replicas']],
    ['no selector', seedWith(['selector', undefined]), ['spec.selector']],
    ['no cells', seedWith(['cells', []]), ['spec.cells']],
    ['an unknown service type', seedWith(['cells[1].vtgate.service', { type: 'Ingress' }]), ['spec.cells[1].vtgate.service.type']],
    ['an etcd version that is not x.y.z', seedWith(['cells[0].etcd.version', '3.5']), ['spec.cells[0].etcd.version']],
    ['an etcd size of 0', seedWith(['cells[0].etcd.size', 0]), ['spec.cells[0].etcd.size']],
    ['a keyspace in no cell', seedWith(['keyspaces[0].cells', []]), ['spec.keyspaces[0].cells']],
    ['a key range that is not hex', seedWith(['keyspaces[0].shards[0].keyRange.end', 'xyz']), ['spec.keyspaces[0].shards[0].keyRange.end']],
    ['an unknown access mode', seedWith(['keyspaces[0].tablets.defaults.volumeClaim.accessModes', ['Sometimes']]), ['spec.keyspaces[0].tablets.defaults.volumeClaim.accessModes[0]']],
    ['an empty image', seedWith(['images', { vitess: '' }]), ['spec.images.vitess']],
    ['an external topology without an address', seedWith(['topology', { external: {} }]), ['spec.topology.external.address']],
    ['a quantity that is a boolean', seedWith(['cells[1].vtgate.resources.limits.cpu', true]), ['spec.cells[1].vtgate.resources.limits.cpu']],
    ['a flag value that is a number', seedWith(['backupFlags', { gcs_backup_storage_bucket: 3 }]), ['spec.backupFlags.gcs_backup_storage_bucket']],
    [
      'several at once',
      seedWith(['cells[0].name', '-bad'], ['keyspaces[0].tablets.batch.replicas', -2]),
      ['spec.cells[0].name', 'spec.keyspaces[0].tablets.batch.replicas'],
    ],
  ];
  for (const [what, spec, paths] of cases) {
    test(what, () => {
      expect(valibotPaths(spec)).toEqual(paths);
      expect(openapiPaths(spec)).toEqual(paths);
    });
  }

  // Where the two cannot agree, say so here, so a change on either side is noticed.
  test('known differences', () => {
    // The API server checks duplicates (list map); the hook reports them as InvalidSpec (problems()).
    const duplicate = seedWith(['cells[2]', { name: 'zone1' }]);
    expect(valibotPaths(duplicate)).toEqual([]);
    expect(openapiPaths(duplicate)).toEqual(['spec.cells[2]']);
    // Both reject a fractional number quantity (int-or-string admits whole numbers; write `500m`).
    const fraction = seedWith(['cells[1].vtgate.resources.limits.cpu', 0.5]);
    expect(valibotPaths(fraction)).toEqual(['spec.cells[1].vtgate.resources.limits.cpu']);
    expect(openapiPaths(fraction)).toEqual(['spec.cells[1].vtgate.resources.limits.cpu']);
    // The quantity's pattern and the flag-name pattern of record keys are the hook's alone.
    const badQuantity = seedWith(['cells[1].vtgate.resources.limits.cpu', 'lots']);
    expect(valibotPaths(badQuantity)).toEqual(['spec.cells[1].vtgate.resources.limits.cpu']);
    expect(openapiPaths(badQuantity)).toEqual([]);
    const badFlag = seedWith(['backupFlags', { '--dashes': 'x' }]);
    expect(valibotPaths(badFlag)).toEqual(['spec.backupFlags.--dashes']);
    expect(openapiPaths(badFlag)).toEqual([]);
    // Unknown fields: valibot strips them, the API server prunes them (kubectl reports them by default).
    const unknown = seedWith(['colour', 'blue']);
    expect(valibotPaths(unknown)).toEqual([]);
    expect(validateOpenAPI(clusterSpecSchema, unknown, 'spec', { unknownFields: 'prune' })).toEqual([]);
    expect(openapiPaths(unknown)).toEqual(['spec.colour']);
  });
});

describe('status', () => {
  const status = {
    observedGeneration: 3,
    children: 2,
    readyChildren: 1,
    updatedChildren: 0,
    conditions: [{ type: 'Ready', status: 'False', reason: 'ChildrenNotReady', message: '1/2', lastTransitionTime: '2026-01-01T00:00:00.000Z' }],
    cells: [{ name: 'vitess-zone1', ready: false }],
    problems: ['spec.x: y'],
  };
  const statusSchema = schemaOf(clusterCrd).properties!.status!;

  test('a status with fields added later is admitted by both', () => {
    expect(v.safeParse(LayerStatus, status).success).toBe(true);
    expect(validateOpenAPI(statusSchema, status, 'status')).toEqual([]);
  });

  test('a mistyped status is rejected by both', () => {
    const bad = { ...status, readyChildren: 'one', conditions: [{ ...status.conditions[0], status: 'Maybe', lastTransitionTime: 'yesterday' }] };
    const result = v.safeParse(LayerStatus, bad);
    expect(unique(formatIssues(result.issues ?? [], 'status').map(pathOf))).toEqual(['status.conditions[0].lastTransitionTime', 'status.conditions[0].status', 'status.readyChildren']);
    expect(unique(validateOpenAPI(statusSchema, bad, 'status').map(pathOf))).toEqual(['status.conditions[0].lastTransitionTime', 'status.conditions[0].status', 'status.readyChildren']);
  });
});

describe('what the hooks write is accepted by the CRDs', () => {
  const schemas = new Map(buildCrds().map((crd) => [crd.spec.names.kind, schemaOf(crd)]));

  /** Runs each layer from the seed down, with no children observed yet, collecting every parent and answer. */
  function cascade(): { parent: KubeObject; status: Record<string, unknown>; children: KubeObject[] }[] {
    const answers: { parent: KubeObject; status: Record<string, unknown>; children: KubeObject[] }[] = [];
    let parents: KubeObject[] = [{ ...(SEED as unknown as KubeObject), metadata: { name: 'vitess', namespace: 'default', uid: 'uid-1', generation: 1 } }];
    for (const layer of layers) {
      const next: KubeObject[] = [];
      for (const parent of parents) {
        const request: SyncRequest = { parent, children: [], finalizing: false };
        const answer = layer.sync(request, { now: new Date('2026-01-01T00:00:00.000Z') });
        answers.push({ parent, status: answer.status, children: answer.children });
        next.push(...answer.children.filter((child) => schemas.has(child.kind)));
      }
      parents = next;
    }
    return answers;
  }

  test('every Vitess* child and every status', () => {
    const answers = cascade();
    expect(answers.map((answer) => answer.parent.kind)).toContain('VitessShard');
    for (const { parent, status, children } of answers) {
      const schema = schemas.get(parent.kind)!;
      expect({ parent: parent.metadata.name, problems: validateOpenAPI(schema.properties!.status!, status, 'status') }).toEqual({ parent: parent.metadata.name, problems: [] });
      expect(v.safeParse(LayerStatus, status).success).toBe(true);
      for (const child of children.filter((c) => schemas.has(c.kind))) {
        expect({ child: child.metadata.name, problems: validateObject(schemas.get(child.kind)!, child) }).toEqual({ child: child.metadata.name, problems: [] });
      }
    }
  });

  test("every status of a reshard's run (the simulator's fake Vitess: streams, copy, lag, carried up to the cluster), round by round", () => {
    let state = seed([parseClusterYaml(readFileSync(join(ROOT, 'examples/resharding.yaml'), 'utf8'))], new Date('2024-01-01T00:00:00Z')).state;
    const controllers = loadControllers();
    const seen = new Set<string>();
    for (let round = 1; round <= 40; round++) {
      state = runRound(state, controllers, layers, round, new Date(Date.parse('2024-01-01T00:00:00Z') + round * 10_000), {}).state;
      for (const object of allObjects(state).filter((o) => schemas.has(o.kind) && o.status !== undefined)) {
        const status = object.status as Record<string, unknown>;
        for (const field of ['resharding', 'vreplication']) if (status[field] !== undefined) seen.add(`${object.kind}.${field}`);
        expect({ object: object.metadata.name, problems: validateOpenAPI(schemas.get(object.kind)!.properties!.status!, status, 'status') }).toEqual({ object: object.metadata.name, problems: [] });
      }
    }
    expect([...seen].sort()).toEqual(['VitessCell.resharding', 'VitessCluster.resharding', 'VitessKeyspace.resharding', 'VitessShard.vreplication']);
  });
});
