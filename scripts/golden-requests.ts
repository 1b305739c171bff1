/**
 * Writes the request.json of every golden case (test/fixtures/<hook>/<case>/request.json).
 *
 * Requests are cut from states of the simulator (lib/simulator), so every observed child looks exactly
 * as Metacontroller and the API server would leave it: uids, ownerReferences, last-applied annotations,
 * statuses written by the fake kubelet. Run it only on purpose (`npm run golden:requests`), then
 * `npm run golden:update`, and review both diffs like code.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../lib/kube/object.ts';
import { parseClusterYaml } from '../lib/simulator/render.ts';
import type { ControllerSpec } from '../lib/simulator/controllers.ts';
import { kubeletStep } from '../lib/simulator/kubelet.ts';
import { loadControllers } from '../lib/simulator/manifests.ts';
import { observedRequest } from '../lib/simulator/metacontroller.ts';
import { converge, runRound, simulate, type SimulateOptions } from '../lib/simulator/simulate.ts';
import { type ClusterState, getObject, storeKey, updateObject, updateStatus } from '../lib/simulator/store.ts';
import { layers } from '../lib/sync/index.ts';

const ROOT = join(import.meta.dir, '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const START = new Date('2026-01-01T00:00:00Z');

type Spec = Record<string, unknown>;
type Edit = (spec: Spec) => Spec;

function options(components: readonly string[] = [], kubelet = true): SimulateOptions {
  return { controllers: loadControllers(components), layers, kubelet, start: START, maxRounds: 300 };
}

function example(file: string, edit: Edit = (s) => s): KubeObject {
  const cluster = parseClusterYaml(readFileSync(join(ROOT, 'examples', file), 'utf8'));
  return { ...cluster, spec: edit(structuredClone(cluster.spec) as Spec) };
}

function controllerFor(hook: string, components: readonly string[] = []): ControllerSpec {
  const controller = loadControllers(components).find((c) => c.hook === hook);
  if (controller === undefined) throw new Error(`no controller for ${hook}`);
  return controller;
}

function key(kind: string, name: string, namespace = 'default'): string {
  return storeKey({ kind, metadata: { name, namespace } });
}

/** A converged state of an example (everything ready with `ready`). */
function converged(file: string, edit?: Edit, ready = true, components: readonly string[] = []): ClusterState {
  const result = simulate([example(file, edit)], options(components, ready));
  if (!result.converged) throw new Error(`${file} did not converge`);
  return result.state;
}

/** The user edits the VitessCluster's spec (the API server bumps its generation). */
function editCluster(state: ClusterState, name: string, edit: Edit, namespace = 'default'): ClusterState {
  const current = getObject(state, key('VitessCluster', name, namespace)) as KubeObject;
  return updateObject(state, { ...current, spec: edit(structuredClone(current.spec) as Spec) }).state;
}

/** Syncs round by round (hooks, then optionally the kubelet) until `until` holds for the state. */
function stepUntil(state: ClusterState, until: (s: ClusterState) => boolean, kubelet: boolean, components: readonly string[] = []): ClusterState {
  const { controllers } = options(components);
  let current = state;
  for (let round = 1; round <= 200; round++) {
    const now = new Date(START.getTime() + round * 10_000);
    current = runRound(current, controllers, layers, round, now, undefined).state;
    if (until(current)) return current;
    if (kubelet) current = kubeletStep(current, round, now).state;
    if (until(current)) return current;
  }
  throw new Error('stepUntil: condition never held');
}

function has(state: ClusterState, kind: string, name: string): boolean {
  return getObject(state, key(kind, name)) !== undefined;
}

function withTabletImage(image: string): Edit {
  return (spec) => {
    const keyspaces = spec.keyspaces as { tablets: { defaults: Spec } }[];
    for (const keyspace of keyspaces) keyspace.tablets.defaults = { ...keyspace.tablets.defaults, image };
    return spec;
  };
}

interface Case {
  hook: string;
  name: string;
  state: () => ClusterState;
  parent: [kind: string, name: string, namespace?: string];
  /** Child keys as hook version v1 (`name`) or v2 (`namespace/name`); default: the controller's own. */
  version?: 'v1' | 'v2';
  /** Send the parent with no children observed yet (its first sync). */
  empty?: boolean;
  components?: string[];
}

const X80 = 'vitess-zone1-main-x-80';
const REPLICA_0 = 'vitess-vttablet-zone1-0214747900';
const RDONLY_0 = 'vitess-vttablet-zone1-1327744200';

/** The seed converged, its tablet image edited, and synced until the first replica tablet's reparent Job exists. */
function reparentPending(): ClusterState {
  const edited = editCluster(converged('seed-my-vitess.yaml'), 'vitess', withTabletImage('vitess/lite:v24.0.4'));
  return stepUntil(edited, (s) => has(s, 'Job', `${REPLICA_0}-reparent`), true);
}

const cases: Case[] = [
  // sync-cluster
  { hook: 'sync-cluster', name: 'seed-new', state: () => simulate([example('seed-my-vitess.yaml')], { ...options(), maxRounds: 0 }).state, parent: ['VitessCluster', 'vitess'] },
  { hook: 'sync-cluster', name: 'seed-cells-not-ready', state: () => converged('seed-my-vitess.yaml', undefined, false), parent: ['VitessCluster', 'vitess'] },
  { hook: 'sync-cluster', name: 'seed-all-ready', state: () => converged('seed-my-vitess.yaml'), parent: ['VitessCluster', 'vitess'] },
  { hook: 'sync-cluster', name: 'seed-all-ready-v1-keys', state: () => converged('seed-my-vitess.yaml'), parent: ['VitessCluster', 'vitess'], version: 'v1' },
  {
    hook: 'sync-cluster',
    name: 'seed-edit-moves-one-cell',
    state: () =>
      editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => {
        const cells = spec.cells as { vtctld?: Spec; vtgate?: Spec }[];
        for (const cell of cells) {
          if (cell.vtctld !== undefined) cell.vtctld = { ...cell.vtctld, image: 'vitess/lite:v24.0.4' };
          if (cell.vtgate !== undefined) cell.vtgate = { ...cell.vtgate, image: 'vitess/lite:v24.0.4' };
        }
        return spec;
      }),
    parent: ['VitessCluster', 'vitess'],
  },
  {
    hook: 'sync-cluster',
    name: 'invalid-keyspace-in-unknown-cell',
    state: () => editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => ({ ...spec, keyspaces: [{ ...(spec.keyspaces as Spec[])[0], cells: ['zone2'] }] })),
    parent: ['VitessCluster', 'vitess'],
  },
  {
    hook: 'sync-cluster',
    name: 'invalid-schema-negative-replicas',
    state: () =>
      editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => {
        const cells = spec.cells as { vtgate?: Spec }[];
        cells[1] = { ...cells[1], vtgate: { ...cells[1]?.vtgate, replicas: -1 } };
        return spec;
      }),
    parent: ['VitessCluster', 'vitess'],
  },
  {
    hook: 'sync-cluster',
    name: 'invalid-overlapping-shards',
    state: () =>
      editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => {
        const keyspace = (spec.keyspaces as Spec[])[0] as Spec;
        keyspace.shards = [{ keyRange: { start: '', end: '80' } }, { keyRange: { start: '40', end: '' } }];
        return spec;
      }),
    parent: ['VitessCluster', 'vitess'],
  },
  {
    hook: 'sync-cluster',
    name: 'cell-removed-pending-confirmation',
    state: () => editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => ({ ...spec, cells: (spec.cells as Spec[]).slice(0, 1), keyspaces: [] })),
    parent: ['VitessCluster', 'vitess'],
  },
  {
    hook: 'sync-cluster',
    name: 'keyspace-removed-pending-reported-at-top',
    state: () => converge(editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => ({ ...spec, keyspaces: [] })), options()).state,
    parent: ['VitessCluster', 'vitess'],
  },
  {
    hook: 'sync-cluster',
    name: 'cell-removed-confirmed',
    state: () =>
      editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => ({ ...spec, cells: (spec.cells as Spec[]).slice(0, 1), keyspaces: [], confirmRemoval: ['vitess-zone1'] })),
    parent: ['VitessCluster', 'vitess'],
  },
  {
    hook: 'sync-cluster',
    name: 'minimal-external-topology-new',
    state: () =>
      simulate([example('minimal.yaml', (spec) => ({ ...spec, topology: { external: { address: 'etcd.infra:2379' } }, cells: [{ ...(spec.cells as Spec[])[0], etcd: undefined }] }))], {
        ...options(),
        maxRounds: 0,
      }).state,
    parent: ['VitessCluster', 'mini'],
  },
  // sync-cell
  { hook: 'sync-cell', name: 'seed-global-created', state: () => stepUntil(simulate([example('seed-my-vitess.yaml')], { ...options(), maxRounds: 0 }).state, (s) => has(s, 'VitessCell', 'vitess-global'), false), parent: ['VitessCell', 'vitess-global'] },
  { hook: 'sync-cell', name: 'seed-zone1-created', state: () => stepUntil(simulate([example('seed-my-vitess.yaml')], { ...options(), maxRounds: 0 }).state, (s) => has(s, 'VitessCell', 'vitess-zone1'), false), parent: ['VitessCell', 'vitess-zone1'] },
  { hook: 'sync-cell', name: 'seed-zone1-first-sync', state: () => converged('seed-my-vitess.yaml'), parent: ['VitessCell', 'vitess-zone1'], empty: true },
  { hook: 'sync-cell', name: 'seed-zone1-all-ready', state: () => converged('seed-my-vitess.yaml'), parent: ['VitessCell', 'vitess-zone1'] },
  { hook: 'sync-cell', name: 'seed-zone1-all-ready-v2-keys', state: () => converged('seed-my-vitess.yaml'), parent: ['VitessCell', 'vitess-zone1'], version: 'v2' },
  {
    hook: 'sync-cell',
    name: 'seed-global-etcd-operator',
    state: () => converged('seed-my-vitess.yaml', (spec) => ({ ...spec, cells: [{ ...(spec.cells as Spec[])[0], etcd: { provider: 'etcd-operator', version: '3.5.17', size: 3 } }, (spec.cells as Spec[])[1]] }), true, ['etcd-operator']),
    parent: ['VitessCell', 'vitess-global'],
    components: ['etcd-operator'],
  },
  { hook: 'sync-cell', name: 'multi-cell-own-etcd-all-ready', state: () => converged('multi-cell.yaml'), parent: ['VitessCell', 'shop-eu-west-1a', 'vitess'] },
  {
    hook: 'sync-cell',
    name: 'seed-zone1-keyspace-removed-pending',
    state: () => {
      const edited = editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => ({ ...spec, keyspaces: [] }));
      return stepUntil(edited, (s) => (getObject(s, key('VitessCell', 'vitess-zone1'))?.spec as { keyspaces: unknown[] }).keyspaces.length === 0, false);
    },
    parent: ['VitessCell', 'vitess-zone1'],
  },
  {
    hook: 'sync-cell',
    name: 'seed-zone1-components-roll-one-at-a-time',
    state: () => {
      const edited = editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => {
        const cells = spec.cells as { vtgate?: Spec }[];
        cells[1] = { ...cells[1], vtgate: { ...cells[1]?.vtgate, image: 'vitess/lite:v24.0.4' }, vtorc: { image: 'vitess/lite:v24.0.4' } } as Spec;
        return spec;
      });
      return stepUntil(edited, (s) => (getObject(s, key('VitessCell', 'vitess-zone1'))?.spec as { vtgate: { image: string } }).vtgate.image === 'vitess/lite:v24.0.4', false);
    },
    parent: ['VitessCell', 'vitess-zone1'],
  },
  {
    hook: 'sync-cell',
    name: 'seed-global-etcd-storage-edit-not-applied',
    state: () => {
      const edited = editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => {
        const cells = spec.cells as { etcd?: Spec }[];
        cells[0] = { ...cells[0], etcd: { ...cells[0]?.etcd, volumeClaim: { resources: { requests: { storage: '20Gi' } } } } };
        return spec;
      });
      return stepUntil(edited, (s) => JSON.stringify(getObject(s, key('VitessCell', 'vitess-global'))?.spec).includes('20Gi'), false);
    },
    parent: ['VitessCell', 'vitess-global'],
  },
  // sync-keyspace
  { hook: 'sync-keyspace', name: 'seed-main-first-sync', state: () => converged('seed-my-vitess.yaml'), parent: ['VitessKeyspace', 'vitess-zone1-main'], empty: true },
  { hook: 'sync-keyspace', name: 'seed-main-all-ready', state: () => converged('seed-my-vitess.yaml'), parent: ['VitessKeyspace', 'vitess-zone1-main'] },
  {
    hook: 'sync-keyspace',
    name: 'seed-main-tablet-image-moves-one-shard',
    state: () => stepUntil(editCluster(converged('seed-my-vitess.yaml'), 'vitess', withTabletImage('vitess/lite:v24.0.4')), (s) => JSON.stringify(getObject(s, key('VitessKeyspace', 'vitess-zone1-main'))?.spec).includes('v24.0.4'), false),
    parent: ['VitessKeyspace', 'vitess-zone1-main'],
  },
  {
    hook: 'sync-keyspace',
    name: 'seed-main-two-shards-at-once',
    state: () =>
      stepUntil(
        editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => ({ ...withTabletImage('vitess/lite:v24.0.4')(spec), rollout: { shards: 2 } })),
        (s) => JSON.stringify(getObject(s, key('VitessKeyspace', 'vitess-zone1-main'))?.spec).includes('v24.0.4'),
        false,
      ),
    parent: ['VitessKeyspace', 'vitess-zone1-main'],
  },
  // sync-shard
  { hook: 'sync-shard', name: 'seed-x-80-created', state: () => stepUntil(simulate([example('seed-my-vitess.yaml')], { ...options(), maxRounds: 0 }).state, (s) => has(s, 'VitessShard', X80), false), parent: ['VitessShard', X80] },
  { hook: 'sync-shard', name: 'seed-x-80-first-sync', state: () => converged('seed-my-vitess.yaml'), parent: ['VitessShard', X80], empty: true },
  { hook: 'sync-shard', name: 'seed-x-80-all-ready', state: () => converged('seed-my-vitess.yaml'), parent: ['VitessShard', X80] },
  {
    hook: 'sync-shard',
    name: 'seed-x-80-image-edit-rdonly-first',
    state: () => stepUntil(editCluster(converged('seed-my-vitess.yaml'), 'vitess', withTabletImage('vitess/lite:v24.0.4')), (s) => JSON.stringify(getObject(s, key('VitessShard', X80))?.spec).includes('v24.0.4'), false),
    parent: ['VitessShard', X80],
  },
  { hook: 'sync-shard', name: 'seed-x-80-replica-waits-for-reparent', state: reparentPending, parent: ['VitessShard', X80] },
  {
    hook: 'sync-shard',
    name: 'seed-x-80-reparent-complete-restarts-tablet',
    state: () =>
      updateStatus(reparentPending(), key('Job', `${REPLICA_0}-reparent`), {
        succeeded: 1,
        conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-01-01T00:10:00Z' }],
      }).state,
    parent: ['VitessShard', X80],
  },
  {
    hook: 'sync-shard',
    name: 'seed-x-80-reparent-failed-pauses',
    state: () =>
      updateStatus(reparentPending(), key('Job', `${REPLICA_0}-reparent`), {
        failed: 4,
        conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', lastTransitionTime: '2026-01-01T00:10:00Z' }],
      }).state,
    parent: ['VitessShard', X80],
  },
  {
    hook: 'sync-shard',
    name: 'seed-x-80-scale-down-replica-needs-reparent',
    state: () =>
      stepUntil(
        editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => {
          const tablets = ((spec.keyspaces as Spec[])[0] as { tablets: { masterEligible: Spec } }).tablets;
          tablets.masterEligible = { ...tablets.masterEligible, replicas: 1 };
          return spec;
        }),
        (s) => (getObject(s, key('VitessShard', X80))?.spec as { tablets: { replica: { replicas: number } } }).tablets.replica.replicas === 1,
        false,
      ),
    parent: ['VitessShard', X80],
  },
  {
    hook: 'sync-shard',
    name: 'seed-x-80-scaled-down-volume-retained',
    state: () => {
      const edited = editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => {
        const tablets = ((spec.keyspaces as Spec[])[0] as { tablets: { batch: Spec } }).tablets;
        tablets.batch = { ...tablets.batch, replicas: 0 };
        return spec;
      });
      return converge(edited, options()).state;
    },
    parent: ['VitessShard', X80],
  },
  {
    hook: 'sync-shard',
    name: 'seed-x-80-scaled-down-volume-deleted',
    state: () => {
      const edited = editCluster(converged('seed-my-vitess.yaml'), 'vitess', (spec) => {
        const tablets = ((spec.keyspaces as Spec[])[0] as { tablets: Spec & { batch: Spec } }).tablets;
        tablets.batch = { ...tablets.batch, replicas: 0 };
        tablets.volumeRetention = 'Delete';
        return spec;
      });
      return stepUntil(edited, (s) => !has(s, 'Pod', RDONLY_0), false);
    },
    parent: ['VitessShard', X80],
  },
  {
    hook: 'sync-shard',
    name: 'minimal-single-replica-skips-reparent',
    state: () =>
      stepUntil(
        editCluster(
          converged('minimal.yaml', (spec) => {
            const keyspace = (spec.keyspaces as { tablets: { replica: Spec } }[])[0] as { tablets: { replica: Spec } };
            keyspace.tablets.replica = { ...keyspace.tablets.replica, replicas: 1 };
            return spec;
          }),
          'mini',
          withReplicaImage('vitess/lite:v24.0.4'),
        ),
        (s) => JSON.stringify(getObject(s, key('VitessShard', 'mini-zone1-commerce-0'))?.spec).includes('v24.0.4'),
        false,
      ),
    parent: ['VitessShard', 'mini-zone1-commerce-0'],
  },
];

function withReplicaImage(image: string): Edit {
  return (spec) => {
    const keyspace = (spec.keyspaces as { tablets: { replica: Spec } }[])[0] as { tablets: { replica: Spec } };
    keyspace.tablets.replica = { ...keyspace.tablets.replica, image };
    return spec;
  };
}

/** Re-keys a request's child maps as the other hook version would (v1: `name`, v2: `namespace/name`). */
function rekey(request: Record<string, unknown>, version: 'v1' | 'v2'): Record<string, unknown> {
  const children = request.children as Record<string, Record<string, KubeObject>>;
  const rekeyed = Object.fromEntries(
    Object.entries(children).map(([type, byKey]) => [
      type,
      Object.fromEntries(
        Object.values(byKey)
          .map((child): [string, KubeObject] => [version === 'v1' ? child.metadata.name : `${child.metadata.namespace}/${child.metadata.name}`, child])
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ),
    ]),
  );
  return { ...request, children: rekeyed };
}

const only = process.argv[2];
for (const c of cases) {
  if (only !== undefined && !`${c.hook}/${c.name}`.includes(only)) continue;
  const [kind, name, namespace = 'default'] = c.parent;
  const request = observedRequest(c.state(), controllerFor(c.hook, c.components), key(kind, name, namespace));
  const keyed = c.version === undefined ? request : rekey(request, c.version);
  const body = c.empty === true ? { ...keyed, children: Object.fromEntries(Object.keys(keyed.children as object).map((type) => [type, {}])), parent: { ...(keyed.parent as object), status: {} } } : keyed;
  const dir = join(FIXTURES, c.hook, c.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'request.json'), `${JSON.stringify(body, null, 2)}\n`);
  console.log(`wrote ${c.hook}/${c.name}/request.json`);
}
