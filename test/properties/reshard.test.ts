/**
 * Laws of overlapping shard sets (lib/vitess/reshard.ts, docs/decisions/0024-declarative-reshard.md),
 * over random reshard specs valid by construction: a random partition of the key space serves; a
 * contiguous run of its shards is replaced by a random partition of their key range (split finer,
 * merged, or both), whose bounds are never a serving shard's own, so every target is a new shard.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { join } from 'node:path';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { keyspaceLayer } from '../../lib/sync/keyspace.ts';
import { coversKeySpace, reshardProblems, reshardSources, servingAfter, type ShardRange } from '../../lib/vitess/reshard.ts';
import { shardName, UNSHARDED } from '../../lib/vitess/shards.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';
import { LAW_TIMEOUT_MS, runs } from '../arbitraries/index.ts';

const RUNS = runs();
const hex = (n: number, bytes: number): string => n.toString(16).padStart(bytes * 2, '0');

function partition(bounds: readonly string[], from = '', to = ''): ShardRange[] {
  const edges = [from, ...bounds, to];
  return edges.slice(0, -1).map((start, i) => {
    const keyRange = { start, end: edges[i + 1] as string };
    return { name: shardName(keyRange), keyRange };
  });
}

interface ReshardCase {
  serving: ShardRange[];
  targets: ShardRange[];
  first: number;
  last: number;
}

/**
 * Serving: 0..5 one-byte split points (none: the unsharded `0`). Targets: 0..3 two-byte split points
 * inside the run's key range (low byte never 00, which Vitess would read as the one-byte bound), at
 * least one when the run is a single shard, so the targets are never the sources again.
 */
const reshardCase: fc.Arbitrary<ReshardCase> = fc
  .uniqueArray(fc.integer({ min: 1, max: 255 }), { maxLength: 5 })
  .map((points) => points.sort((a, b) => a - b))
  .chain((points) => {
    const count = points.length + 1;
    return fc.tuple(fc.constant(points), fc.integer({ min: 0, max: count - 1 }), fc.integer({ min: 0, max: count - 1 }));
  })
  .chain(([points, i, j]) => {
    const [first, last] = i <= j ? [i, j] : [j, i];
    const low = first === 0 ? 0 : (points[first - 1] as number);
    const high = last === points.length ? 256 : (points[last] as number);
    const inner = fc.tuple(fc.integer({ min: low, max: high - 1 }), fc.integer({ min: 1, max: 255 })).map(([a, b]) => a * 256 + b);
    return fc.tuple(fc.constant(points), fc.constant(first), fc.constant(last), fc.uniqueArray(inner, { minLength: first === last ? 1 : 0, maxLength: 3 }));
  })
  .map(([points, first, last, inner]) => {
    const serving = points.length === 0 ? [{ name: UNSHARDED }] : partition(points.map((p) => hex(p, 1)));
    const from = first === 0 ? '' : hex(points[first - 1] as number, 1);
    const to = last === points.length ? '' : hex(points[last] as number, 1);
    const targets = partition(inner.sort((a, b) => a - b).map((p) => hex(p, 2)), from, to);
    return { serving, targets, first, last };
  });

const rangeOf = (shard: ShardRange) => shard.keyRange ?? { start: '', end: '' };

describe('reshard laws', () => {
  test('reshard: a valid target set replaces exactly the serving shards it overlaps, and the serving set covers the whole key space before and after the switch', () => {
    fc.assert(
      fc.property(reshardCase, ({ serving, targets, first, last }) => {
        expect(reshardProblems(serving, targets)).toEqual([]);
        expect(reshardSources(serving, targets).map((s) => s.name)).toEqual(serving.slice(first, last + 1).map((s) => s.name));
        expect(coversKeySpace(serving.map(rangeOf))).toBe(true);
        const after = servingAfter(serving, targets);
        expect(coversKeySpace(after.map(rangeOf))).toBe(true);
        // Nothing outside the sources changes.
        expect(after.filter((s) => !targets.includes(s)).map((s) => s.name)).toEqual(serving.filter((_, k) => k < first || k > last).map((s) => s.name));
      }),
      RUNS,
    );
  }, LAW_TIMEOUT_MS);

  test('reshard: a target set with a target left out (a gap) or a source cut in two is refused', () => {
    fc.assert(
      fc.property(reshardCase, fc.nat(), ({ serving, targets }, pick) => {
        if (targets.length > 1) {
          const gap = targets.filter((_, k) => k !== pick % targets.length);
          expect(reshardProblems(serving, gap)).not.toEqual([]);
        }
        // A target reaching past its sources' range into a neighbour it only partly covers.
        const last = targets[targets.length - 1] as ShardRange;
        const cut = rangeOf(last).end;
        if (cut !== '' && serving.length > 1) {
          const wider = { start: rangeOf(last).start, end: `${cut}40` };
          const reaching = [...targets.slice(0, -1), { name: shardName(wider), keyRange: wider }];
          expect(reshardProblems(serving, reaching)).not.toEqual([]);
        }
      }),
      RUNS,
    );
  }, LAW_TIMEOUT_MS);

  test('reshard: the keyspace layer accepts both sets at once and renders one VitessShard per serving and per target shard', () => {
    const base = loadJson(join(FIXTURES, 'sync-keyspace', 'seed-main-all-ready', 'request.json')) as { parent: { spec: Record<string, unknown> }; children: Record<string, unknown> };
    fc.assert(
      fc.property(reshardCase, ({ serving, targets }) => {
        const request = structuredClone(base);
        request.parent.spec.shards = [...serving, ...targets.map((t) => ({ ...t, reshardTarget: true }))];
        request.children = {};
        const answer = keyspaceLayer.sync(parseSyncRequest(request, 'VitessKeyspace'), { now: FIXED_NOW });
        const ready = (answer.status.conditions as { type: string; reason: string }[]).find((c) => c.type === 'Ready');
        expect(ready?.reason).not.toBe('InvalidSpec');
        const shards = answer.children.filter((c) => c.kind === 'VitessShard').map((c) => (c.spec as { name: string }).name);
        expect(shards).toEqual([...serving, ...targets].map((s) => s.name));
      }),
      RUNS,
    );
  }, LAW_TIMEOUT_MS);
});
