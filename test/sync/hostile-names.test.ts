/**
 * Issue 18.1 (c): names and addresses are checked with the same patterns at every layer (lib/api/common.ts),
 * because a VitessCell, VitessKeyspace or VitessShard can be created or patched directly. A hostile
 * value at any of them makes the layer InvalidSpec, naming the field, and holds every child: no child
 * carrying the value is made.
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import type { Layer } from '../../lib/sync/layer.ts';
import { layers } from '../../lib/sync/index.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';

const HOSTILE = ['x$(touch /tmp/pwned)', 'a;id', "a'b", 'a b', '-rf', 'a\nb', '`id`', 'ks/../x', '$(VTCTLDCLIENT)'];

/** A request of `hook`'s golden case `name`, fresh. */
function request(hook: string, name: string): Record<string, unknown> {
  return loadJson(join(FIXTURES, hook, name, 'request.json')) as Record<string, unknown>;
}

/** Sets the value at a dotted path (`keyspaces.0.name`) of `spec`. */
function setAt(spec: Record<string, unknown>, path: string, value: string): void {
  const steps = path.split('.');
  let node = spec as Record<string, unknown>;
  for (const step of steps.slice(0, -1)) node = node[step] as Record<string, unknown>;
  node[steps.at(-1) as string] = value;
}

const LAYER_CASES: { hook: string; fixture: string; paths: string[]; extra?: (spec: Record<string, unknown>) => void }[] = [
  {
    hook: 'sync-cluster',
    fixture: 'seed-new',
    paths: ['cells.0.name', 'keyspaces.0.name', 'topology.external.address', 'topology.external.globalRoot', 'tls.grpc.serverName'],
    extra: (spec) => {
      spec.topology = { external: { address: 'etcd.infra:2379', globalRoot: '/vitess/global' } };
      spec.tls = { grpc: { secretName: 'grpc', serverName: 'vitess.example' } };
    },
  },
  {
    hook: 'sync-cell',
    fixture: 'production-zone1-all-ready',
    paths: ['name', 'cluster', 'vtctldAddress', 'topology.cell.address', 'topology.global.root', 'tabletCells.0', 'keyspaces.0.name', 'keyspaces.0.shards.0.name', 'tls.grpc.serverName'],
  },
  { hook: 'sync-keyspace', fixture: 'seed-main-first-sync', paths: ['name', 'cell', 'cluster', 'vtctldAddress', 'topology.global.address', 'topology.cell.root', 'shards.0.name'] },
  { hook: 'sync-shard', fixture: 'seed-x-80-first-sync', paths: ['name', 'keyspace', 'cell', 'cluster', 'vtctldAddress', 'topology.cell.address', 'topology.global.root'] },
];

function layerOf(hook: string): Layer {
  const layer = layers.find((l) => l.name === hook);
  if (layer === undefined) throw new Error(hook);
  return layer;
}

describe('hostile names and addresses are InvalidSpec at every layer, naming the field', () => {
  for (const { hook, fixture, paths, extra } of LAYER_CASES) {
    test(`${hook}: the untouched request is valid (so each refusal below is the value's)`, () => {
      const body = request(hook, fixture);
      extra?.((body.parent as { spec: Record<string, unknown> }).spec);
      const layer = layerOf(hook);
      const answer = layer.sync(parseSyncRequest(body, layer.parentKind), { now: FIXED_NOW });
      expect(JSON.stringify(answer.status)).not.toContain('InvalidSpec');
    });
    for (const path of paths) {
      test(`${hook}: spec.${path}`, () => {
        for (const value of HOSTILE) {
          const body = request(hook, fixture);
          const spec = (body.parent as { spec: Record<string, unknown> }).spec;
          extra?.(spec);
          setAt(spec, path, value);
          const layer = layerOf(hook);
          const answer = layer.sync(parseSyncRequest(body, layer.parentKind), { now: FIXED_NOW });
          const status = answer.status as { problems?: string[]; conditions: { type: string; reason: string }[] };
          expect(status.conditions.find((c) => c.type === 'Ready')?.reason).toBe('InvalidSpec');
          const field = `spec.${path.replace(/\.(\d+)(?=\.|$)/g, '[$1]')}`;
          expect(status.problems?.some((problem) => problem.startsWith(field))).toBe(true);
          expect(JSON.stringify(answer.children)).not.toContain(JSON.stringify(value).slice(1, -1));
        }
      });
    }
  }
});
