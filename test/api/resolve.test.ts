import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { parse } from 'yaml';
import { ClusterSpec, type Cluster } from '../../lib/api/cluster.ts';
import { globalTopology, resolveCells, type ResolvedCell, vtctldAddress } from '../../lib/api/resolve.ts';
import { DEFAULT_IMAGES } from '../../lib/vitess/images.ts';

const SEED_PATH = new URL('../../examples/seed-my-vitess.yaml', import.meta.url);
const seedDocument = parse(readFileSync(SEED_PATH, 'utf8')) as { metadata: { name: string }; spec: unknown };
const seed: Cluster = v.parse(ClusterSpec, seedDocument.spec);

function cell(cells: ResolvedCell[], name: string): ResolvedCell {
  const found = cells.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no cell ${name}`);
  return found;
}

describe('resolveCells on the seed', () => {
  const cells = resolveCells(seed, seedDocument.metadata.name);
  const zone1 = cell(cells, 'zone1');
  const global = cell(cells, 'global');

  test('the seed parses unchanged and resolves both cells in order', () => {
    expect(seedDocument.metadata.name).toBe('vitess');
    expect(cells.map((c) => c.name)).toEqual(['global', 'zone1']);
    expect(cells.every((c) => c.cluster === 'vitess')).toBe(true);
  });

  test('masterEligible -> replica (2), batch -> rdonly (1)', () => {
    const main = zone1.keyspaces[0]!;
    expect(main.name).toBe('main');
    expect(main.tablets.replica.replicas).toBe(2);
    expect(main.tablets.rdonly.replicas).toBe(1);
    expect(main.tablets.replica.vttablet.resources?.limits).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(main.tablets.rdonly.mysql.resources?.limits).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(main.tablets.volumeRetention).toBe('Retain');
  });

  test('tablet defaults are merged into both pools (image, volumeClaim)', () => {
    for (const pool of [zone1.keyspaces[0]!.tablets.replica, zone1.keyspaces[0]!.tablets.rdonly]) {
      expect(pool.image).toBe('vitess/lite:v2.1.1');
      expect(pool.volumeClaim).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '4Gi' } } });
      expect(pool.mysqlImage).toBe(DEFAULT_IMAGES.mysql);
    }
  });

  test('shards -80 and 80- with their key ranges', () => {
    expect(zone1.keyspaces[0]!.shards).toEqual([
      { name: '-80', keyRange: { start: '', end: '80' } },
      { name: '80-', keyRange: { start: '80', end: '' } },
    ]);
    expect(global.keyspaces).toEqual([]);
  });

  test('orchestrator on the global cell -> vtorc in zone1 only', () => {
    expect(global.vtorc).toBeUndefined();
    expect(zone1.vtorc).toBeDefined();
    expect(zone1.vtorc?.replicas).toBe(1);
    expect(zone1.vtorc?.resources?.limits).toEqual({ cpu: '100m', memory: '128Mi' });
  });

  // BUG (reported): the seed's orchestrator image `vitess/orchestrator:latest` is carried over to vtorc,
  // which runs `/vt/bin/vtorc` — a binary of the Vitess image, not of the (unpinned, long gone)
  // orchestrator image. vtorc should run the cluster's Vitess image.
  test('vtorc mapped from orchestrator runs the Vitess image, not the orchestrator image', () => {
    expect(zone1.vtorc?.image).toBe(DEFAULT_IMAGES.vitess);
    expect(zone1.vtorc?.image).not.toContain('orchestrator');
    expect(zone1.vtorc?.image).not.toEndWith(':latest');
  });

  test('topology: global etcd client address and roots', () => {
    for (const c of cells) {
      expect(c.topology.implementation).toBe('etcd2');
      expect(c.topology.global).toEqual({ address: 'vitess-global-etcd-client:2379', root: '/vitess/global' });
    }
    expect(global.topology.cell).toEqual({ address: 'vitess-global-etcd-client:2379', root: '/vitess/global' });
    // zone1 runs no etcd of its own: its cell topology lives in the global etcd under its own root.
    expect(zone1.topology.cell).toEqual({ address: 'vitess-global-etcd-client:2379', root: '/vitess/zone1' });
  });

  test('vtctld address is the global cell\'s vtctld gRPC port', () => {
    expect(cells.every((c) => c.vtctldAddress === 'vitess-global-vtctld:15999')).toBe(true);
    expect(vtctldAddress(seed, 'vitess')).toBe('vitess-global-vtctld:15999');
  });

  test('etcd of the global cell: the seed\'s version and size, builtin provider', () => {
    expect(global.etcd).toMatchObject({ provider: 'builtin', version: '3.2.11', size: 3, image: 'quay.io/coreos/etcd:v3.2.11' });
    expect(zone1.etcd).toBeUndefined();
  });

  test('components: vtctld in global only, vtgate in zone1 with the seed\'s 3 replicas', () => {
    expect(global.vtctld).toMatchObject({ image: 'vitess/lite:v2.1.1', replicas: 1 });
    expect(zone1.vtctld).toBeUndefined();
    expect(zone1.vtgate).toMatchObject({ image: 'vitess/lite:v2.1.1', replicas: 3 });
    expect(global.vtgate).toBeUndefined();
  });
});

describe('resolveCells options', () => {
  const minimal = (extra: Record<string, unknown> = {}): Cluster =>
    v.parse(ClusterSpec, {
      selector: { matchLabels: { app: 'v' } },
      template: { metadata: { labels: { app: 'v' } } },
      cells: [{ name: 'global', etcd: {}, vtctld: {} }, { name: 'zone1', vtgate: {} }],
      keyspaces: [{ name: 'ks', cells: ['zone1'] }],
      ...extra,
    });

  test('external topology: used for global and cell topology, no etcd needed', () => {
    const cluster = v.parse(ClusterSpec, {
      selector: {},
      topology: { external: { address: 'etcd.example:2379' } },
      cells: [{ name: 'zone1', vtctld: {} }],
    });
    expect(globalTopology(cluster, 'c')).toEqual({ address: 'etcd.example:2379', root: '/vitess/global' });
    const [zone1] = resolveCells(cluster, 'c');
    expect(zone1!.topology.global).toEqual({ address: 'etcd.example:2379', root: '/vitess/global' });
    expect(zone1!.topology.cell).toEqual({ address: 'etcd.example:2379', root: '/vitess/zone1' });
    const custom = v.parse(ClusterSpec, { selector: {}, topology: { external: { address: 'e:2379', globalRoot: '/g' } }, cells: [{ name: 'zone1', vtctld: {} }] });
    expect(resolveCells(custom, 'c')[0]!.topology.global.root).toBe('/g');
  });

  test('no etcd and no external topology: no global topology', () => {
    expect(globalTopology(v.parse(ClusterSpec, { selector: {}, cells: [{ name: 'zone1' }] }), 'c')).toBeUndefined();
  });

  test('default images are pinned (no latest, every one with a tag)', () => {
    const [global, zone1] = resolveCells(minimal(), 'c');
    const images = [
      global!.vtctld!.image,
      global!.etcd!.image,
      zone1!.vtgate!.image,
      zone1!.images.vitess,
      zone1!.keyspaces[0]!.tablets.replica.image,
      zone1!.keyspaces[0]!.tablets.replica.mysqlImage,
      ...Object.values(DEFAULT_IMAGES).filter((x) => x.includes('/') || x.includes(':')),
    ];
    for (const image of images) {
      expect(image).toMatch(/:[^:/]+$/);
      expect(image).not.toMatch(/:latest$/);
    }
    expect(global!.etcd!.image).toBe(`quay.io/coreos/etcd:v${DEFAULT_IMAGES.etcdVersion}`);
  });

  test('default pools: 2 replica, 0 rdonly; cluster images override defaults, component images override both', () => {
    const [, zone1] = resolveCells(minimal({ images: { vitess: 'my/vitess:1', mysql: 'my/mysql:8' } }), 'c');
    const tablets = zone1!.keyspaces[0]!.tablets;
    expect(tablets.replica.replicas).toBe(2);
    expect(tablets.rdonly.replicas).toBe(0);
    expect(tablets.replica.image).toBe('my/vitess:1');
    expect(tablets.replica.mysqlImage).toBe('my/mysql:8');
    expect(zone1!.vtgate!.image).toBe('my/vitess:1');
    expect(zone1!.keyspaces[0]!.shards).toEqual([{ name: '0' }]);
  });

  test('new spellings: replica/rdonly and vtorc in a tablet cell', () => {
    const cluster = minimal({
      cells: [{ name: 'global', etcd: {}, vtctld: {} }, { name: 'zone1', vtorc: { replicas: 2 } }],
      keyspaces: [{ name: 'ks', cells: ['zone1'], tablets: { replica: { replicas: 3 }, rdonly: { replicas: 2 } } }],
    });
    const [global, zone1] = resolveCells(cluster, 'c');
    expect(zone1!.vtorc?.replicas).toBe(2);
    expect(global!.vtorc).toBeUndefined();
    expect(zone1!.keyspaces[0]!.tablets.replica.replicas).toBe(3);
    expect(zone1!.keyspaces[0]!.tablets.rdonly.replicas).toBe(2);
  });

  test('a cell with its own etcd keeps its cell topology there', () => {
    const cluster = minimal({ cells: [{ name: 'global', etcd: {}, vtctld: {} }, { name: 'zone1', etcd: {} }] });
    const zone1 = resolveCells(cluster, 'c')[1]!;
    expect(zone1.topology.cell).toEqual({ address: 'c-zone1-etcd-client:2379', root: '/vitess/zone1' });
    expect(zone1.topology.global.address).toBe('c-global-etcd-client:2379');
  });
});
