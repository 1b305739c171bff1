/** Reshard key-range rules (lib/vitess/reshard.ts) on named cases, and as the cluster layer reports them. */
import { describe, expect, test } from 'bun:test';
import type { KubeObject } from '../../lib/kube/object.ts';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { clusterLayer } from '../../lib/sync/cluster.ts';
import { reshardProblems, reshardSources, servingAfter, type ShardRange } from '../../lib/vitess/reshard.ts';
import { NOW, seedCluster } from '../templates/seed-tree.ts';

const shard = (start: string, end: string): ShardRange => ({ name: `${start}-${end}`, keyRange: { start, end } });
const names = (shards: readonly ShardRange[]) => shards.map((s) => s.name);

describe('which serving shards a target set replaces', () => {
  test('unsharded 0 -> -80, 80-', () => {
    const serving = [{ name: '0' }];
    const targets = [shard('', '80'), shard('80', '')];
    expect(reshardProblems(serving, targets)).toEqual([]);
    expect(names(reshardSources(serving, targets))).toEqual(['0']);
    expect(names(servingAfter(serving, targets))).toEqual(['-80', '80-']);
  });

  test('a partial split: -80, 80- -> -40, 40-80 leaves 80- alone', () => {
    const serving = [shard('', '80'), shard('80', '')];
    const targets = [shard('', '40'), shard('40', '80')];
    expect(reshardProblems(serving, targets)).toEqual([]);
    expect(names(servingAfter(serving, targets))).toEqual(['80-', '-40', '40-80']);
  });

  test('a merge: -80, 80- -> one shard covering both', () => {
    expect(reshardProblems([shard('', '80'), shard('80', '')], [shard('', '')])).toEqual([]);
  });

  test('refused: a target that is a serving shard, targets that overlap, a gap, a source cut in two, no overlap at all', () => {
    const serving = [shard('', '80'), shard('80', '')];
    expect(reshardProblems(serving, [shard('', '80')])[0]?.message).toContain('already serving');
    expect(reshardProblems(serving, [shard('', '40'), shard('20', '80')])[0]?.message).toContain('overlaps');
    expect(reshardProblems(serving, [shard('', '40'), shard('60', '80')])[0]?.message).toContain('must cover exactly');
    expect(reshardProblems(serving, [shard('', '40'), shard('40', 'c0')])[0]?.message).toContain('must cover exactly');
    expect(reshardProblems([shard('', '80')], [shard('80', 'c0')])[0]?.message).toContain('nothing to reshard');
  });
});

describe('the cluster layer', () => {
  const sync = (keyspace: Record<string, unknown>) => {
    const seed = seedCluster() as KubeObject & { spec: { keyspaces: Record<string, unknown>[] } };
    const parent = { ...seed, spec: { ...seed.spec, keyspaces: [{ ...seed.spec.keyspaces[0], ...keyspace }] } };
    return clusterLayer.sync(parseSyncRequest({ controller: {}, parent, children: {} }, 'VitessCluster'), { now: NOW }).status;
  };

  test("the seed's -80, 80- with a reshard of -80 into -40, 40-80 is valid: both sets at once", () => {
    const status = sync({ reshard: { shards: [{ keyRange: { start: '', end: '40' } }, { keyRange: { start: '40', end: '80' } }] } });
    expect(status.problems).toBeUndefined();
  });

  test('a target set that leaves a gap is InvalidSpec, named by its path', () => {
    const status = sync({ reshard: { shards: [{ keyRange: { start: '', end: '40' } }] } });
    expect(status.problems).toEqual(["spec.keyspaces[0].reshard.shards[0].keyRange: the targets ('-40') must cover exactly the key range of the serving shards they overlap ('-80')"]);
  });

  test('overlapping serving shards without a reshard stay InvalidSpec', () => {
    const status = sync({ shards: [{ keyRange: { start: '', end: '80' } }, { keyRange: { start: '', end: '40' } }] });
    expect(JSON.stringify(status.problems)).toContain('overlaps');
  });
});
