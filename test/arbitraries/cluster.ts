/**
 * Arbitraries of the user's VitessCluster: random VALID specs by construction (no fc.pre, no filter),
 * random valid EDITS of a spec, and random INVALID edits (each of a kind the hooks must refuse to
 * honour). Specs are built from a "blueprint" of plain random values by pure functions, so fast-check
 * shrinks blueprints and edits independently and a failing case prints as readable data.
 *
 * Shapes covered: 1-3 cells, either a `global` cell holding etcd + vtctld (+ orchestrator/vtorc) with
 * one or two tablet cells, or a single cell with etcd + vtctld + vtgate, or a first cell holding the
 * topology with a second cell; keyspaces in non-global cells; shards cut at random sorted distinct
 * byte points, or unsharded; tablet pools of 0-3 with both spellings (replica/masterEligible,
 * rdonly/batch, never both of a pair); optional rollout concurrency, backupFlags, typed backups, volumeRetention.
 */
import fc from 'fast-check';
import { GLOBAL_CELL } from '../../lib/api/resolve.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import { cellObjectName, keyspaceObjectName } from '../../lib/vitess/names.ts';
import { dnsLabel } from './index.ts';

/** A VitessCluster spec as a user writes it (JSON), loosely typed on purpose: edits reshape it freely. */
export type Spec = {
  selector: { matchLabels: Record<string, string> };
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };
  images?: { vitess?: string; mysql?: string };
  cells: CellSpec[];
  keyspaces?: KeyspaceSpec[];
  backupFlags?: Record<string, string>;
  backup?: Record<string, unknown>;
  rollout?: Rollout;
  confirmRemoval?: string[];
};
export type Rollout = { cells?: number; components?: number; shards?: number; tablets?: number };
export type Component = { image?: string; replicas?: number; resources?: Resources; extraFlags?: Record<string, string> };
export type Resources = { limits?: Record<string, string>; requests?: Record<string, string> };
export type CellSpec = {
  name: string;
  etcd?: { version?: string; size?: number };
  vtctld?: Component;
  vtgate?: Component;
  vtorc?: Component;
  orchestrator?: Component;
};
export type Pool = {
  replicas?: number;
  image?: string;
  vttablet?: { resources?: Resources; extraFlags?: Record<string, string> };
  mysql?: { resources?: Resources; config?: Record<string, string | number> };
  tolerations?: { key: string; operator: 'Exists'; effect: 'NoSchedule' }[];
  nodeSelector?: Record<string, string>;
};
export type Tablets = {
  defaults?: { image?: string; volumeClaim?: Record<string, unknown> };
  replica?: Pool;
  masterEligible?: Pool;
  rdonly?: Pool;
  batch?: Pool;
  volumeRetention?: 'Retain' | 'Delete';
};
export type KeyspaceSpec = {
  name: string;
  cells: string[];
  shards?: { keyRange: { start: string; end: string } }[];
  tablets?: Tablets;
  rollout?: { shards?: number; tablets?: number };
};

export const VITESS_IMAGES = ['vitess/lite:v2.1.1', 'vitess/lite:v21.0.0', 'vitess/lite:v22.0.1'] as const;
/** MySQL 8.4 only: with engine xtrabackup, the v24 image's xtrabackup 8.4 refuses any other line (lib/vitess/mysql.ts). */
export const MYSQL_IMAGES = ['mysql:8.4.6', 'mysql:8.4.3'] as const;

/** How big a generated cluster may get: the simulation-based properties need small ones. */
export interface SpecLimits {
  /** Non-global cells (1..). */
  maxCells: number;
  maxKeyspaces: number;
  /** Cut points per keyspace: shards = cuts + 1 (0 cuts: sometimes unsharded). */
  maxCuts: number;
  /** Per pool. */
  maxReplicas: number;
  maxRdonly: number;
  /** Cells a keyspace is deployed in. */
  maxKeyspaceCells: number;
}

/** For one sync of one layer: every shape, still small enough for 1,000 cases per property. */
export const LAYER_LIMITS: SpecLimits = { maxCells: 2, maxKeyspaces: 2, maxCuts: 2, maxReplicas: 3, maxRdonly: 3, maxKeyspaceCells: 2 };
/** For whole-system simulations: at most 2 keyspaces in at most 2 cells of at most 3 shards, so a rollout stays under ~100 rounds. */
export const SIMULATION_LIMITS: SpecLimits = { maxCells: 2, maxKeyspaces: 2, maxCuts: 2, maxReplicas: 3, maxRdonly: 2, maxKeyspaceCells: 2 };

// ---------- blueprints: plain random values ----------

const component: fc.Arbitrary<Component> = fc.record(
  {
    image: fc.constantFrom(...VITESS_IMAGES),
    replicas: fc.integer({ min: 0, max: 3 }),
    resources: fc.constantFrom<Resources>({ limits: { cpu: '100m', memory: '128Mi' } }, { requests: { cpu: '50m' } }),
    extraFlags: fc.constantFrom<Record<string, string>>({ 'grpc-keepalive-time': '10s' }, { v: '2' }),
  },
  { requiredKeys: [] },
);

const etcd = fc.record({ version: fc.constantFrom('3.5.17', '3.2.11'), size: fc.integer({ min: 1, max: 3 }) }, { requiredKeys: [] });

const rolloutArb: fc.Arbitrary<Rollout> = fc.record(
  { cells: fc.integer({ min: 1, max: 3 }), components: fc.integer({ min: 1, max: 3 }), shards: fc.integer({ min: 1, max: 3 }), tablets: fc.integer({ min: 1, max: 3 }) },
  { requiredKeys: [] },
);

const KEYSPACE_WORDS = ['main', 'commerce', 'customer_data', 'lookup', 'a', 'k-2'];

/** A keyspace name: lower-case letters, digits, - and _ (the API's rule), sometimes long. */
const keyspaceName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...KEYSPACE_WORDS),
  fc.tuple(dnsLabel(30), fc.constantFrom('', '_x', '_data')).map(([a, b]) => `${a}${b}`),
);

/** A non-global cell name: a DNS-1123 label other than `global`. */
const cellName: fc.Arbitrary<string> = fc
  .oneof(fc.constantFrom('zone1', 'zone2', 'us-east-1a', 'z'), dnsLabel(24))
  .map((name) => (name === GLOBAL_CELL ? 'globalx' : name));

/** Service names are DNS-1035 labels and start with the cluster's name, so a valid cluster name starts with a letter. */
const startsWithLetter = (name: string): string => (/^[a-z]/.test(name) ? name : `v${name}`);

/** A cluster (object) name: short, long, with digits, or with a dot (a DNS subdomain is a valid object name). */
export const clusterName: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('vitess', 'my-vitess', 'prod') },
  { weight: 2, arbitrary: dnsLabel(40).map(startsWithLetter) },
  { weight: 1, arbitrary: fc.tuple(dnsLabel(10), dnsLabel(10)).map(([a, b]) => `${startsWithLetter(a)}.${b}`) },
);

export interface PoolBlueprint {
  spelling: 'new' | 'old' | 'absent';
  replicas?: number;
  image?: string;
  resources?: Resources;
  /** my.cnf overrides of the pool. */
  myCnf?: Record<string, string | number>;
  /** Placement on dedicated nodes: a toleration and a node selector of this name. */
  dedicated?: string;
}

export interface KeyspaceBlueprint {
  name: string;
  /** Bit mask over the non-global cells (empty selection: the cell at mask % n). */
  cellMask: number;
  /** Distinct byte values 1..255; none with `unsharded` true gives one shard `0`, else `-` (one range covering everything). */
  cuts: number[];
  unsharded: boolean;
  replica: PoolBlueprint;
  rdonly: PoolBlueprint;
  defaultsImage?: string;
  /** The tablets' volume size: edits between these grow, keep or (refused) shrink the volumes. */
  storage?: string;
  volumeRetention?: 'Retain' | 'Delete';
  rollout?: { shards?: number; tablets?: number };
}

export interface SpecBlueprint {
  layout: 'global' | 'single' | 'first-holds';
  cells: string[];
  holderExtras: { vtorc?: Component; orchestrator?: Component; vtctld: Component };
  vtgates: (Component | undefined)[];
  localEtcd: boolean[];
  etcd: { version?: string; size?: number };
  keyspaces: KeyspaceBlueprint[];
  images?: { vitess?: string; mysql?: string };
  extraLabels: Record<string, string>;
  backupFlags?: Record<string, string>;
  backup?: Record<string, unknown>;
  rollout?: Rollout;
}

function pool(maxReplicas: number): fc.Arbitrary<PoolBlueprint> {
  return fc.record(
    {
      spelling: fc.constantFrom<PoolBlueprint['spelling']>('new', 'old', 'absent'),
      replicas: fc.integer({ min: 0, max: maxReplicas }),
      image: fc.constantFrom(...VITESS_IMAGES),
      resources: fc.constantFrom<Resources>({ limits: { cpu: '500m', memory: '512Mi' } }, { requests: { cpu: '100m', memory: '256Mi' } }),
      myCnf: fc.constantFrom<Record<string, string | number>>({ max_connections: 500 }, { max_connections: 1000, innodb_buffer_pool_size: '256M' }),
      dedicated: fc.constantFrom('db', 'vitess'),
    },
    { requiredKeys: ['spelling', 'replicas'] },
  );
}

function keyspaceBlueprint(limits: SpecLimits): fc.Arbitrary<KeyspaceBlueprint> {
  return fc.record(
    {
      name: keyspaceName,
      cellMask: limits.maxKeyspaceCells === 1 ? fc.nat(limits.maxCells - 1).map((i) => 1 << i) : fc.nat(2 ** limits.maxCells - 1),
      cuts: fc.uniqueArray(fc.integer({ min: 1, max: 255 }), { maxLength: limits.maxCuts }),
      unsharded: fc.boolean(),
      // A pool absent from the spec defaults to 2 replica / 0 rdonly tablets.
      replica: pool(limits.maxReplicas).map((p) => (p.spelling === 'absent' && limits.maxReplicas < 2 ? { ...p, spelling: 'new' as const } : p)),
      rdonly: pool(limits.maxRdonly),
      defaultsImage: fc.constantFrom(...VITESS_IMAGES),
      storage: fc.constantFrom('2Gi', '4Gi', '4096Mi', '8Gi'),
      volumeRetention: fc.constantFrom<'Retain' | 'Delete'>('Retain', 'Delete'),
      rollout: fc.record({ shards: fc.integer({ min: 1, max: 3 }), tablets: fc.integer({ min: 1, max: 3 }) }, { requiredKeys: [] }),
    },
    { requiredKeys: ['name', 'cellMask', 'cuts', 'unsharded', 'replica', 'rdonly'] },
  );
}

export function specBlueprint(limits: SpecLimits = LAYER_LIMITS): fc.Arbitrary<SpecBlueprint> {
  return fc.record(
    {
      layout: fc.constantFrom<SpecBlueprint['layout']>('global', 'single', 'first-holds'),
      cells: fc.uniqueArray(cellName, { minLength: 1, maxLength: limits.maxCells }),
      holderExtras: fc.record(
        { vtorc: component, orchestrator: component.map(({ image: _image, ...rest }) => ({ ...rest, image: 'vitess/orchestrator:latest' })), vtctld: component },
        { requiredKeys: ['vtctld'] },
      ),
      vtgates: fc.array(fc.option(component, { nil: undefined }), { minLength: limits.maxCells, maxLength: limits.maxCells }),
      localEtcd: fc.array(fc.boolean(), { minLength: limits.maxCells, maxLength: limits.maxCells }),
      etcd,
      keyspaces: fc.uniqueArray(keyspaceBlueprint(limits), { maxLength: limits.maxKeyspaces, selector: (k) => k.name }),
      images: fc.record({ vitess: fc.constantFrom(...VITESS_IMAGES), mysql: fc.constantFrom(...MYSQL_IMAGES) }, { requiredKeys: [] }),
      extraLabels: fc.dictionary(fc.constantFrom('team', 'example.com/tier', 'env'), dnsLabel(12), { maxKeys: 2 }),
      backupFlags: fc.constantFrom<Record<string, string>>(
        { 'backup_storage_implementation': 'gcs', 'gcs_backup_storage_bucket': 'my-bucket' },
        { 'backup-storage-implementation': 'file', 'file-backup-storage-root': '/backups' },
      ),
      // Typed backups (lib/api/backup.ts): each location kind, both engines, with and without a schedule.
      backup: fc.constantFrom<Record<string, unknown>>(
        { location: { s3: { region: 'eu-west-1', bucket: 'b', root: 'r', credentialsSecret: { name: 'aws', key: 'credentials' } } }, schedule: { cron: '0 3 * * *' } },
        { location: { file: { claimName: 'backups' } }, engine: 'xtrabackup', schedule: { cron: '*/30 * * * *', allowPrimary: true } },
        { location: { gcs: { bucket: 'b' } }, initialBackup: false },
        { location: { azblob: { account: 'a', container: 'c', keySecret: { name: 'az', key: 'key' } } }, waitForBackupInterval: '0' },
        { location: { ceph: { configSecret: { name: 'ceph', key: 'ceph.json' } } }, schedule: { cron: '0 0 * * 0', concurrencyPolicy: 'Allow' } },
      ),
      rollout: rolloutArb,
    },
    { requiredKeys: ['layout', 'cells', 'holderExtras', 'vtgates', 'localEtcd', 'etcd', 'keyspaces', 'extraLabels'] },
  );
}

// ---------- blueprint -> spec ----------

function poolSpec(blueprint: PoolBlueprint): Pool {
  return {
    ...(blueprint.replicas === undefined ? {} : { replicas: blueprint.replicas }),
    ...(blueprint.image === undefined ? {} : { image: blueprint.image }),
    ...(blueprint.resources === undefined ? {} : { vttablet: { resources: blueprint.resources } }),
    ...(blueprint.resources === undefined && blueprint.myCnf === undefined
      ? {}
      : { mysql: { ...(blueprint.resources === undefined ? {} : { resources: blueprint.resources }), ...(blueprint.myCnf === undefined ? {} : { config: blueprint.myCnf }) } }),
    ...(blueprint.dedicated === undefined ? {} : { tolerations: [{ key: blueprint.dedicated, operator: 'Exists', effect: 'NoSchedule' }], nodeSelector: { 'example.com/pool': blueprint.dedicated } }),
  };
}

/** Shards from cut points: `['', c1], [c1, c2], ..., [cn, '']`; unsharded (no `shards`) or the one range `-`. */
export function shardsFromCuts(cuts: readonly number[], unsharded: boolean): KeyspaceSpec['shards'] {
  if (cuts.length === 0) return unsharded ? undefined : [{ keyRange: { start: '', end: '' } }];
  const points = [...cuts].sort((a, b) => a - b).map((byte) => byte.toString(16).padStart(2, '0'));
  const bounds = ['', ...points, ''];
  return bounds.slice(0, -1).map((start, i) => ({ keyRange: { start, end: bounds[i + 1] as string } }));
}

export function keyspaceSpec(blueprint: KeyspaceBlueprint, tabletCells: readonly string[]): KeyspaceSpec {
  const chosen = tabletCells.filter((_, i) => (blueprint.cellMask & (1 << i)) !== 0);
  const cells = chosen.length > 0 ? chosen : [tabletCells[blueprint.cellMask % tabletCells.length] as string];
  const tablets: Tablets = {
    ...(blueprint.defaultsImage === undefined ? {} : { defaults: { image: blueprint.defaultsImage, volumeClaim: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: blueprint.storage ?? '4Gi' } } } } }),
    ...(blueprint.replica.spelling === 'absent' ? {} : { [blueprint.replica.spelling === 'new' ? 'replica' : 'masterEligible']: poolSpec(blueprint.replica) }),
    ...(blueprint.rdonly.spelling === 'absent' ? {} : { [blueprint.rdonly.spelling === 'new' ? 'rdonly' : 'batch']: poolSpec(blueprint.rdonly) }),
    ...(blueprint.volumeRetention === undefined ? {} : { volumeRetention: blueprint.volumeRetention }),
  };
  const shards = shardsFromCuts(blueprint.cuts, blueprint.unsharded);
  return {
    name: blueprint.name,
    cells,
    ...(shards === undefined ? {} : { shards }),
    tablets,
    ...(blueprint.rollout === undefined ? {} : { rollout: blueprint.rollout }),
  };
}

/** The spec a blueprint describes; valid by construction. */
export function buildSpec(blueprint: SpecBlueprint, name: string): Spec {
  const app = name.replace(/[^A-Za-z0-9]/g, '-').slice(0, 40).replace(/-+$/, '') || 'vitess';
  const holder: CellSpec = { name: GLOBAL_CELL, etcd: blueprint.etcd, vtctld: blueprint.holderExtras.vtctld };
  if (blueprint.holderExtras.vtorc !== undefined) holder.vtorc = blueprint.holderExtras.vtorc;
  else if (blueprint.holderExtras.orchestrator !== undefined) holder.orchestrator = blueprint.holderExtras.orchestrator;
  let cells: CellSpec[];
  let tabletCells: string[];
  switch (blueprint.layout) {
    case 'global':
      tabletCells = blueprint.cells;
      cells = [holder, ...tabletCells.map((cell, i) => tabletCell(cell, blueprint, i))];
      break;
    case 'single':
      tabletCells = blueprint.cells.slice(0, 1);
      cells = [{ ...holder, name: tabletCells[0] as string, vtgate: blueprint.vtgates[0] ?? {} }];
      break;
    case 'first-holds':
      tabletCells = blueprint.cells;
      cells = [{ ...holder, name: tabletCells[0] as string, ...(blueprint.vtgates[0] === undefined ? {} : { vtgate: blueprint.vtgates[0] }) }, ...tabletCells.slice(1).map((cell, i) => tabletCell(cell, blueprint, i + 1))];
      break;
  }
  return {
    selector: { matchLabels: { app } },
    template: { metadata: { labels: { app, ...blueprint.extraLabels } } },
    ...(blueprint.images === undefined ? {} : { images: blueprint.images }),
    cells,
    keyspaces: blueprint.keyspaces.map((k) => keyspaceSpec(k, tabletCells)),
    ...(blueprint.backupFlags === undefined ? {} : { backupFlags: blueprint.backupFlags }),
    ...(blueprint.backup === undefined ? {} : { backup: blueprint.backup }),
    ...(blueprint.rollout === undefined ? {} : { rollout: blueprint.rollout }),
  };
}

function tabletCell(name: string, blueprint: SpecBlueprint, index: number): CellSpec {
  const vtgate = blueprint.vtgates[index];
  return {
    name,
    ...(blueprint.localEtcd[index] === true ? { etcd: { size: 1 } } : {}),
    ...(vtgate === undefined ? {} : { vtgate }),
  };
}

/** A valid VitessCluster spec with its object name. */
export function clusterSpec(limits: SpecLimits = LAYER_LIMITS): fc.Arbitrary<{ name: string; spec: Spec }> {
  return fc.tuple(clusterName, specBlueprint(limits)).map(([name, blueprint]) => ({ name, spec: buildSpec(blueprint, name) }));
}

/** The VitessCluster object for a spec, as a user would `kubectl create` it. */
export function clusterObject(name: string, spec: Spec, namespace = 'default'): KubeObject {
  return { apiVersion: 'vitess.io/v1alpha1', kind: 'VitessCluster', metadata: { name, namespace }, spec: structuredClone(spec) };
}

// ---------- spec queries ----------

/** The cell whose etcd holds the global topology and the cell running vtctld (never removed by an edit). */
function holderCells(spec: Spec): Set<string> {
  const etcdHolder = spec.cells.find((c) => c.name === GLOBAL_CELL && c.etcd !== undefined) ?? spec.cells.find((c) => c.etcd !== undefined);
  const vtctldHolder = spec.cells.find((c) => c.name === GLOBAL_CELL && c.vtctld !== undefined) ?? spec.cells.find((c) => c.vtctld !== undefined);
  return new Set([etcdHolder?.name, vtctldHolder?.name].filter((n): n is string => n !== undefined));
}

export function tabletCellNames(spec: Spec): string[] {
  return spec.cells.map((c) => c.name).filter((n) => n !== GLOBAL_CELL);
}

function pick<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

/** The pool object of a keyspace under whichever spelling it uses (creating `replica`/`rdonly` if neither). */
function poolOf(tablets: Tablets, type: 'replica' | 'rdonly'): Pool {
  const [modern, old] = type === 'replica' ? (['replica', 'masterEligible'] as const) : (['rdonly', 'batch'] as const);
  if (tablets[modern] !== undefined) return tablets[modern];
  if (tablets[old] !== undefined) return tablets[old];
  tablets[modern] = {};
  return tablets[modern];
}

// ---------- valid edits ----------

export type Edit =
  | { kind: 'image'; target: 'cluster' | 'defaults' | 'pool' | 'component'; pick: number; image: string }
  | { kind: 'replicas'; pick: number; pool: 'replica' | 'rdonly'; replicas: number }
  | { kind: 'componentReplicas'; pick: number; component: 'vtgate' | 'vtctld'; replicas: number }
  | { kind: 'resources'; pick: number; target: 'pool' | 'component'; resources: Resources }
  | { kind: 'extraFlags'; pick: number; target: 'vttablet' | 'component'; flags: Record<string, string> }
  | { kind: 'addKeyspace'; keyspace: KeyspaceBlueprint }
  | { kind: 'removeKeyspace'; pick: number; confirm: boolean }
  | { kind: 'addCell'; name: string; vtgate: boolean; joinKeyspace: boolean }
  | { kind: 'removeCell'; pick: number; confirm: boolean }
  | { kind: 'rollout'; rollout: Rollout | undefined };

export function specEdit(limits: SpecLimits = LAYER_LIMITS): fc.Arbitrary<Edit> {
  const n = fc.nat(100);
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('image' as const), target: fc.constantFrom('cluster' as const, 'defaults' as const, 'pool' as const, 'component' as const), pick: n, image: fc.constantFrom(...VITESS_IMAGES, 'vitess/lite:v23.0.0') }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('replicas' as const), pick: n, pool: fc.constantFrom('replica' as const, 'rdonly' as const), replicas: fc.integer({ min: 0, max: limits.maxReplicas }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('componentReplicas' as const), pick: n, component: fc.constantFrom('vtgate' as const, 'vtctld' as const), replicas: fc.integer({ min: 0, max: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('resources' as const), pick: n, target: fc.constantFrom('pool' as const, 'component' as const), resources: fc.constantFrom<Resources>({ limits: { cpu: '2', memory: '1Gi' } }, { requests: { cpu: '250m' } }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('extraFlags' as const), pick: n, target: fc.constantFrom('vttablet' as const, 'component' as const), flags: fc.constantFrom<Record<string, string>>({ 'queryserver-config-pool-size': '32' }, { v: '3' }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('addKeyspace' as const), keyspace: keyspaceBlueprint(limits) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('removeKeyspace' as const), pick: n, confirm: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('addCell' as const), name: cellName, vtgate: fc.boolean(), joinKeyspace: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeCell' as const), pick: n, confirm: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('rollout' as const), rollout: fc.option(rolloutArb, { nil: undefined }) }) },
  );
}

/** One to `max` edits applied in order. */
export function specEdits(limits: SpecLimits = LAYER_LIMITS, max = 2): fc.Arbitrary<Edit[]> {
  return fc.array(specEdit(limits), { minLength: 1, maxLength: max });
}

function componentsOf(spec: Spec): Component[] {
  return spec.cells.flatMap((c) => [c.vtctld, c.vtgate, c.vtorc].filter((x): x is Component => x !== undefined));
}

/** Applies an edit, keeping the spec valid; an edit that does not apply (nothing to pick) leaves it unchanged. */
export function applyEdit(original: Spec, edit: Edit, name: string): Spec {
  const spec = structuredClone(original);
  const keyspaces = (spec.keyspaces ??= []);
  const keyspace = pick(keyspaces, 'pick' in edit ? edit.pick : 0);
  switch (edit.kind) {
    case 'image':
      if (edit.target === 'cluster') spec.images = { ...spec.images, vitess: edit.image };
      else if (edit.target === 'component') {
        const target = pick(componentsOf(spec), edit.pick);
        if (target !== undefined) target.image = edit.image;
      } else if (keyspace !== undefined) {
        const tablets = (keyspace.tablets ??= {});
        if (edit.target === 'defaults') tablets.defaults = { ...tablets.defaults, image: edit.image };
        else poolOf(tablets, edit.pick % 2 === 0 ? 'replica' : 'rdonly').image = edit.image;
      }
      break;
    case 'replicas':
      if (keyspace !== undefined) poolOf((keyspace.tablets ??= {}), edit.pool).replicas = edit.replicas;
      break;
    case 'componentReplicas': {
      const cell = pick(spec.cells.filter((c) => c[edit.component] !== undefined), edit.pick);
      if (cell !== undefined) (cell[edit.component] as Component).replicas = edit.replicas;
      break;
    }
    case 'resources':
      if (edit.target === 'component') {
        const target = pick(componentsOf(spec), edit.pick);
        if (target !== undefined) target.resources = edit.resources;
      } else if (keyspace !== undefined) {
        const p = poolOf((keyspace.tablets ??= {}), edit.pick % 2 === 0 ? 'replica' : 'rdonly');
        p.vttablet = { ...p.vttablet, resources: edit.resources };
      }
      break;
    case 'extraFlags':
      if (edit.target === 'component') {
        const target = pick(componentsOf(spec), edit.pick);
        if (target !== undefined) target.extraFlags = edit.flags;
      } else if (keyspace !== undefined) {
        const p = poolOf((keyspace.tablets ??= {}), edit.pick % 2 === 0 ? 'replica' : 'rdonly');
        p.vttablet = { ...p.vttablet, extraFlags: edit.flags };
      }
      break;
    case 'addKeyspace': {
      if (tabletCellNames(spec).length === 0) break;
      const taken = new Set(keyspaces.map((k) => k.name));
      let ksName = edit.keyspace.name;
      for (let i = 2; taken.has(ksName); i++) ksName = `${edit.keyspace.name}-${i}`;
      keyspaces.push(keyspaceSpec({ ...edit.keyspace, name: ksName }, tabletCellNames(spec)));
      break;
    }
    case 'removeKeyspace':
      if (keyspace !== undefined) {
        spec.keyspaces = keyspaces.filter((k) => k !== keyspace);
        if (edit.confirm) confirm(spec, keyspace.cells.map((cell) => keyspaceObjectName(cellObjectName(name, cell), keyspace.name)));
      }
      break;
    case 'addCell': {
      const taken = new Set(spec.cells.map((c) => c.name));
      let cell = edit.name;
      for (let i = 2; taken.has(cell); i++) cell = `${edit.name}-${i}`.slice(-63).replace(/^-+/, 'c');
      spec.cells.push({ name: cell, ...(edit.vtgate ? { vtgate: { replicas: 1 } } : {}) });
      const first = keyspaces[0];
      if (edit.joinKeyspace && first !== undefined) first.cells = [...first.cells, cell];
      break;
    }
    case 'removeCell': {
      const holders = holderCells(spec);
      const removable = spec.cells.filter((c) => c.name !== GLOBAL_CELL && !holders.has(c.name));
      const cell = pick(removable, edit.pick);
      if (cell === undefined) break;
      spec.cells = spec.cells.filter((c) => c !== cell);
      spec.keyspaces = keyspaces.map((k) => ({ ...k, cells: k.cells.filter((c) => c !== cell.name) })).filter((k) => k.cells.length > 0);
      if (edit.confirm) confirm(spec, [cellObjectName(name, cell.name)]);
      break;
    }
    case 'rollout':
      if (edit.rollout === undefined) delete spec.rollout;
      else spec.rollout = edit.rollout;
      break;
  }
  return spec;
}

function confirm(spec: Spec, names: readonly string[]): void {
  spec.confirmRemoval = [...new Set([...(spec.confirmRemoval ?? []), ...names])];
}

export function applyEdits(spec: Spec, edits: readonly Edit[], name: string): Spec {
  return edits.reduce((acc, edit) => applyEdit(acc, edit, name), spec);
}

// ---------- invalid edits ----------

export type InvalidEdit =
  | { kind: 'unknownCell'; pick: number }
  | { kind: 'overlappingRanges'; pick: number; cut: number }
  | { kind: 'duplicateCell'; pick: number }
  | { kind: 'duplicateKeyspace'; pick: number }
  | { kind: 'negativeReplicas'; pick: number; pool: 'replica' | 'rdonly'; replicas: number }
  | { kind: 'bothSpellings'; pick: number; pool: 'replica' | 'rdonly' }
  | { kind: 'globalKeyspace'; pick: number };

export const invalidEdit: fc.Arbitrary<InvalidEdit> = fc.oneof(
  fc.record({ kind: fc.constant('unknownCell' as const), pick: fc.nat(100) }),
  fc.record({ kind: fc.constant('overlappingRanges' as const), pick: fc.nat(100), cut: fc.integer({ min: 1, max: 254 }) }),
  fc.record({ kind: fc.constant('duplicateCell' as const), pick: fc.nat(100) }),
  fc.record({ kind: fc.constant('duplicateKeyspace' as const), pick: fc.nat(100) }),
  fc.record({ kind: fc.constant('negativeReplicas' as const), pick: fc.nat(100), pool: fc.constantFrom('replica' as const, 'rdonly' as const), replicas: fc.integer({ min: -5, max: -1 }) }),
  fc.record({ kind: fc.constant('bothSpellings' as const), pick: fc.nat(100), pool: fc.constantFrom('replica' as const, 'rdonly' as const) }),
  fc.record({ kind: fc.constant('globalKeyspace' as const), pick: fc.nat(100) }),
);

/** A keyspace to break: an existing one, or one added in the first tablet cell. */
function someKeyspace(spec: Spec, index: number): KeyspaceSpec {
  const keyspaces = (spec.keyspaces ??= []);
  const existing = pick(keyspaces, index);
  if (existing !== undefined) return existing;
  const added: KeyspaceSpec = { name: 'added', cells: [tabletCellNames(spec)[0] ?? (spec.cells[0] as CellSpec).name] };
  keyspaces.push(added);
  return added;
}

/** Applies an invalid edit: the result parses (or fails the schema, for negative replicas) but cannot be honoured. */
export function applyInvalidEdit(original: Spec, edit: InvalidEdit): Spec {
  const spec = structuredClone(original);
  switch (edit.kind) {
    case 'unknownCell': {
      const keyspace = someKeyspace(spec, edit.pick);
      const known = new Set(spec.cells.map((c) => c.name));
      let unknown = 'nowhere';
      for (let i = 2; known.has(unknown); i++) unknown = `nowhere-${i}`;
      keyspace.cells = [...keyspace.cells, unknown];
      break;
    }
    case 'overlappingRanges': {
      const keyspace = someKeyspace(spec, edit.pick);
      const point = edit.cut.toString(16).padStart(2, '0');
      const later = (edit.cut + 1).toString(16).padStart(2, '0');
      // [-later) and [point-) overlap on [point, later).
      keyspace.shards = [...(keyspace.shards ?? []), { keyRange: { start: '', end: later } }, { keyRange: { start: point, end: '' } }];
      break;
    }
    case 'duplicateCell': {
      const cell = pick(spec.cells, edit.pick) as CellSpec;
      spec.cells.push(structuredClone(cell));
      break;
    }
    case 'duplicateKeyspace': {
      const keyspace = someKeyspace(spec, edit.pick);
      (spec.keyspaces as KeyspaceSpec[]).push(structuredClone(keyspace));
      break;
    }
    case 'negativeReplicas':
      poolOf((someKeyspace(spec, edit.pick).tablets ??= {}), edit.pool).replicas = edit.replicas;
      break;
    case 'bothSpellings': {
      const tablets = (someKeyspace(spec, edit.pick).tablets ??= {});
      const p = structuredClone(poolOf(tablets, edit.pool));
      if (edit.pool === 'replica') {
        tablets.replica = p;
        tablets.masterEligible = p;
      } else {
        tablets.rdonly = p;
        tablets.batch = p;
      }
      break;
    }
    case 'globalKeyspace': {
      const keyspace = someKeyspace(spec, edit.pick);
      // A keyspace in the global cell; without a global cell, in a cell that does not exist at all.
      keyspace.cells = [...keyspace.cells.filter((c) => c !== GLOBAL_CELL), GLOBAL_CELL];
      break;
    }
  }
  return spec;
}
