/**
 * Request payloads for the benchmark and the load test: real Metacontroller requests, cut from a
 * simulated cluster (lib/simulator) that converged on one of examples/*.yaml or on a generated
 * cluster of a given size, so each hook sees the parent and the observed children it would see in a
 * running cluster.
 *
 * Simulating the big clusters takes seconds to a minute (the simulator's store is immutable and
 * copied per write), so scenario payloads are cached in `.cache/bench/payloads/`, keyed by a hash of
 * the scenario's objects and of every source file that shapes a request (the simulator and the hooks
 * under lib/, the controller manifests, this file): a change anywhere there cuts them again.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../lib/kube/object.ts';
import { parseSyncRequest } from '../lib/metacontroller/request.ts';
import { parseManifests } from '../lib/simulator/controllers.ts';
import { loadControllers, METACONTROLLER_DIR } from '../lib/simulator/manifests.ts';
import { observedRequest } from '../lib/simulator/metacontroller.ts';
import { simulate } from '../lib/simulator/simulate.ts';
import { listObjects, storeKey } from '../lib/simulator/store.ts';
import type { Layer } from '../lib/sync/layer.ts';

const ROOT = join(import.meta.dir, '..');
export const EXAMPLES_DIR = join(ROOT, 'examples');
export const PAYLOAD_CACHE = join(ROOT, '.cache', 'bench', 'payloads');
/** The clock every payload is answered at: answers are then byte-stable. */
export const BENCH_NOW = new Date('2024-01-01T00:00:00Z');

export interface Payload {
  hook: Layer['name'];
  layer: Layer;
  /** What it was cut from, e.g. `seed-my-vitess.yaml VitessShard/default/my-vitess-cell1-commerce-0`. */
  source: string;
  /** The request body, as sent. */
  body: string;
  /** Observed children in the request. */
  observedChildren: number;
}

/** A payload from a request body for `layer`; throws if it is not a sync request for that layer. */
export function payloadFor(layer: Layer, request: unknown, source: string): Payload {
  const body = typeof request === 'string' ? request : JSON.stringify(request);
  const parsed = parseSyncRequest(JSON.parse(body), layer.parentKind);
  return { hook: layer.name, layer, source, body, observedChildren: parsed.children.length };
}

/**
 * For each hook in `hooks`, the request of its parent with the most observed children once the
 * cluster made of `objects` converged (with a kubelet that makes everything Ready).
 */
export function convergedPayloads(layers: readonly Layer[], objects: readonly KubeObject[], label: string, hooks: readonly Layer['name'][] = layers.map((l) => l.name)): Payload[] {
  const controllers = loadControllers();
  const result = simulate(objects, { controllers, layers, kubelet: true, start: BENCH_NOW });
  if (!result.converged) throw new Error(`${label}: the simulation did not converge`);
  return hooks.map((hook) => {
    const layer = layers.find((l) => l.name === hook);
    const controller = controllers.find((c) => c.hook === hook);
    if (layer === undefined || controller === undefined) throw new Error(`no layer or CompositeController for ${hook}`);
    const candidates = listObjects(result.state, controller.parent.apiVersion, controller.parent.kind).map((parent) =>
      payloadFor(layer, observedRequest(result.state, controller, storeKey(parent)), `${label} ${controller.parent.kind}/${parent.metadata.namespace ?? ''}/${parent.metadata.name}`),
    );
    const largest = candidates.sort((a, b) => b.observedChildren - a.observedChildren || a.source.localeCompare(b.source))[0];
    if (largest === undefined) throw new Error(`${label}: no ${controller.parent.kind} to take a request from`);
    return largest;
  });
}

/** For each layer, the request of its parent with the most observed children in the example's converged cluster. */
export function examplePayloads(layers: readonly Layer[], example = 'seed-my-vitess.yaml'): Payload[] {
  const objects = parseManifests(readFileSync(join(EXAMPLES_DIR, example), 'utf8')) as unknown as KubeObject[];
  return convergedPayloads(layers, objects, example);
}

// ---------------------------------------------------------------------------------------------
// Generated clusters of growing size

export interface Scenario {
  /** Short id, used in tables, URLs and cache file names. */
  id: string;
  /** What it is, in words. */
  title: string;
  /** The hooks whose largest request is taken. */
  hooks: Layer['name'][];
  /** The objects a user creates: an example's documents, or one generated VitessCluster. */
  objects(): KubeObject[];
}

interface KeyspaceShape {
  name: string;
  cells: string[];
  shards?: number;
  replica: number;
  rdonly?: number;
  /** Hex digits of key range bounds (default 2, or 4 above 256 shards). */
  keyWidth?: number;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * `count` contiguous key ranges over the whole keyspace, with bounds of `width` hex digits
 * (two digits give 256 shards at most; four give 65,536).
 */
export function keyRanges(count: number, width: number): { keyRange: { start: string; end: string } }[] {
  const space = 16 ** width;
  if (count > space) throw new Error(`${count} shards do not fit ${width}-digit key ranges`);
  const bound = (i: number) => (i === 0 || i === count ? '' : hex(Math.floor((i * space) / count), width));
  return Array.from({ length: count }, (_, i) => ({ keyRange: { start: bound(i), end: bound(i + 1) } }));
}

/**
 * A VitessCluster like examples/multi-cell.yaml: a `global` cell (etcd, vtctld) and data cells
 * `zone1..zoneN` (etcd, 2 vtgates, vtorc), with the given keyspaces.
 */
export function generatedCluster(dataCells: number, keyspaces: readonly KeyspaceShape[]): KubeObject {
  const zones = Array.from({ length: dataCells }, (_, i) => `zone${i + 1}`);
  return {
    apiVersion: 'vitess.io/v1alpha1',
    kind: 'VitessCluster',
    metadata: { name: 'bench', namespace: 'vitess' },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'bench' } },
      template: { metadata: { labels: { 'app.kubernetes.io/name': 'bench' } } },
      images: { vitess: 'vitess/lite:v24.0.3', mysql: 'mysql:8.0.40' },
      backupFlags: { backup_storage_implementation: 's3', s3_backup_storage_bucket: 'bench-backups', s3_backup_aws_region: 'eu-west-1' },
      cells: [{ name: 'global', etcd: { size: 3 }, vtctld: { replicas: 2 } }, ...zones.map((name) => ({ name, etcd: { size: 3 }, vtgate: { replicas: 2 }, vtorc: { replicas: 1 } }))],
      keyspaces: keyspaces.map((k) => ({
        name: k.name,
        cells: k.cells,
        ...(k.shards === undefined ? {} : { shards: keyRanges(k.shards, k.keyWidth ?? (k.shards > 256 ? 4 : 2)) }),
        tablets: {
          defaults: { volumeClaim: { resources: { requests: { storage: '100Gi' } } }, mysql: { resources: { requests: { cpu: '1', memory: '2Gi' } } } },
          replica: { replicas: k.replica },
          ...(k.rdonly === undefined ? {} : { rdonly: { replicas: k.rdonly } }),
        },
      })),
    },
  };
}

const exampleObjects = (example: string) => () => parseManifests(readFileSync(join(EXAMPLES_DIR, example), 'utf8')) as unknown as KubeObject[];

/** The sizes of the benchmark, smallest first: each generated one grows the parent of one hook. */
export const SIZE_SCENARIOS: readonly Scenario[] = [
  { id: 'seed', title: 'the seed example (examples/seed-my-vitess.yaml)', hooks: ['sync-cluster', 'sync-cell', 'sync-keyspace', 'sync-shard'], objects: exampleObjects('seed-my-vitess.yaml') },
  {
    id: 'shard-100',
    title: 'one shard with 100 tablets (50 replica, 50 rdonly)',
    hooks: ['sync-shard'],
    objects: () => [generatedCluster(1, [{ name: 'main', cells: ['zone1'], replica: 50, rdonly: 50 }])],
  },
  {
    id: 'keyspace-256',
    title: 'a keyspace with 256 shards (3 tablets each)',
    hooks: ['sync-keyspace'],
    objects: () => [generatedCluster(1, [{ name: 'main', cells: ['zone1'], shards: 256, replica: 2, rdonly: 1 }])],
  },
  {
    id: 'cell-50',
    title: 'a cell with 50 keyspaces (unsharded, 2 tablets each)',
    hooks: ['sync-cell'],
    objects: () => [generatedCluster(1, Array.from({ length: 50 }, (_, i) => ({ name: `ks${String(i + 1).padStart(2, '0')}`, cells: ['zone1'], replica: 2 })))],
  },
  {
    id: 'cluster-20',
    title: 'a cluster with 20 cells (global + 19 zones; one keyspace in every zone)',
    hooks: ['sync-cluster'],
    objects: () => {
      const zones = Array.from({ length: 19 }, (_, i) => `zone${i + 1}`);
      return [generatedCluster(19, [{ name: 'main', cells: zones, replica: 2 }])];
    },
  },
];

/**
 * The cost-per-child series: sync-keyspace at 10, 64 and 256 shards (one VitessShard child each,
 * every shard alike: one replica tablet, two-byte key ranges), so the answer and the request grow
 * linearly in children. 256 is the schema's bound on shards per keyspace (before it, the series went to 1,000).
 */
export const CHILD_SCENARIOS: readonly Scenario[] = [10, 64, 256].map((shards) => ({
  id: `keyspace-${shards}x1`,
  title: `a keyspace with ${shards} shards of one tablet`,
  hooks: ['sync-keyspace'],
  objects: () => [generatedCluster(1, [{ name: 'main', cells: ['zone1'], shards, replica: 1, keyWidth: 4 }])],
}));

/**
 * What a payload is made by: the simulator and the hooks (the HTTP server and the render CLI are
 * left out, so that work on them keeps the cache).
 */
const PAYLOAD_SOURCES = ['api', 'kube', 'metacontroller', 'rollout', 'simulator', 'sync', 'templates', 'vitess', 'apply.ts', 'overlay.ts'];

/** A hash of every source file a payload depends on: a change to any of them cuts payloads again. */
function sourcesHash(): string {
  const hash = createHash('sha256');
  const files = [
    ...readdirSync(join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && PAYLOAD_SOURCES.some((source) => f === source || f.startsWith(`${source}/`)))
      .sort()
      .map((f) => join(ROOT, 'lib', f)),
    join(METACONTROLLER_DIR, 'controllers.yaml'),
    join(import.meta.dir, 'payloads.ts'),
  ];
  for (const file of files) hash.update(file.slice(ROOT.length)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

interface CachedPayload {
  hook: Layer['name'];
  source: string;
  body: string;
}

/**
 * The scenario's payloads (one per hook), from the cache when the inputs are unchanged.
 * `onBuild` is told when a simulation has to run (it can take a minute).
 */
export function scenarioPayloads(layers: readonly Layer[], scenario: Scenario, sources: string = sourcesHash(), onBuild?: (scenario: Scenario) => void): Payload[] {
  const objects = scenario.objects();
  const key = createHash('sha256').update(JSON.stringify({ objects, hooks: scenario.hooks, sources })).digest('hex').slice(0, 16);
  const file = join(PAYLOAD_CACHE, `${scenario.id}-${key}.json`);
  const layerOf = (hook: Layer['name']) => {
    const layer = layers.find((l) => l.name === hook);
    if (layer === undefined) throw new Error(`no layer ${hook}`);
    return layer;
  };
  if (existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as CachedPayload[];
    return cached.map((c) => payloadFor(layerOf(c.hook), c.body, c.source));
  }
  onBuild?.(scenario);
  const payloads = convergedPayloads(layers, objects, scenario.id, scenario.hooks);
  mkdirSync(PAYLOAD_CACHE, { recursive: true });
  // Written whole then renamed, so an interrupted run never leaves half a cache file.
  writeFileSync(`${file}.tmp`, JSON.stringify(payloads.map((p): CachedPayload => ({ hook: p.hook, source: p.source, body: p.body }))));
  renameSync(`${file}.tmp`, file);
  return payloads;
}

/** Computes the sources hash once for many scenarios. */
export function allScenarioPayloads(layers: readonly Layer[], scenarios: readonly Scenario[], onBuild?: (scenario: Scenario) => void): Map<string, Payload[]> {
  const sources = sourcesHash();
  return new Map(scenarios.map((s) => [s.id, scenarioPayloads(layers, s, sources, onBuild)]));
}
