import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadControllers } from '../../lib/simulator/manifests.ts';
import { parseClusterYaml } from '../../lib/simulator/render.ts';
import { runRound, seed } from '../../lib/simulator/simulate.ts';
import { allObjects } from '../../lib/simulator/store.ts';
import { layers } from '../../lib/sync/index.ts';
import type { KubeObject } from '../../lib/kube/object.ts';
import { reshardProgress } from '../../lib/sync/reshard-progress.ts';
import { STATE_MAX_AGE_SECONDS, VITESS_STATE_ANNOTATION, type ObservedStream, vitessStateText } from '../../lib/vitess/state.ts';

const NOW = new Date('2026-12-07T13:00:00Z');
const START = new Date('2024-01-01T00:00:00Z');
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString();
const stream = (over: Partial<ObservedStream> = {}): ObservedStream => ({ id: 1, source: 'commerce/0', workflow: 'reshard', state: 'Running', lagSeconds: 1, rowsCopied: 10, tablesCopied: 1, ...over });

/** A target VitessShard carrying a state annotation with these streams (undefined: no record). */
function target(shard: string, streams: ObservedStream[] | undefined, observedAt = ago(5), keyspace = 'commerce'): KubeObject {
  const state = { observedAt, gates: 1, primary: 'zone1-0000000101', tablets: [], ...(streams === undefined ? {} : { vreplication: { tablet: 'zone1-0000000101', streams } }) };
  return {
    apiVersion: 'vitess.io/v1alpha1',
    kind: 'VitessShard',
    metadata: { name: `mini-zone1-${keyspace}-${shard}`, annotations: { [VITESS_STATE_ANNOTATION]: vitessStateText(state) } },
    spec: { keyspace, name: shard, reshardTarget: true },
  };
}
const observed = (...children: KubeObject[]): Map<string, KubeObject> => new Map(children.map((c) => [`VitessShard/${c.metadata.name}`, c]));
const progress = (children: Map<string, KubeObject>) => reshardProgress(children, 'commerce', ['-80', '80-'], 'reshard', NOW);

describe('reshardProgress', () => {
  test('sums the rows copied, counts the streams still copying, takes the largest lag, lists each stream by target and source shard', () => {
    const result = progress(observed(target('-80', [stream({ state: 'Copying', lagSeconds: 7, rowsCopied: 40 })], ago(8)), target('80-', [stream({ rowsCopied: 35, lagSeconds: 2 })], ago(3))));
    expect(result).toEqual({
      observedAt: ago(8),
      copy: { rowsCopied: 75, streamsCopying: 1 },
      lagSeconds: 7,
      streams: [
        { target: '-80', source: '0', state: 'Copying', lagSeconds: 7, rowsCopied: 40, tablesCopied: 1 },
        { target: '80-', source: '0', state: 'Running', lagSeconds: 2, rowsCopied: 35, tablesCopied: 1 },
      ],
    });
  });

  test('a stream whose lag is unknown: no lagSeconds at all (not the others\' maximum, never 0)', () => {
    const result = progress(observed(target('-80', [stream({ lagSeconds: undefined })]), target('80-', [stream({ lagSeconds: 4 })])));
    expect(result?.lagSeconds).toBeUndefined();
    expect(result && 'lagSeconds' in result).toBe(false);
    expect(result?.copy.rowsCopied).toBe(20);
  });

  test('a target without a fresh record says nothing: no record, stale, missing target, or no stream of the workflow yet', () => {
    const fresh = target('80-', [stream()]);
    expect(progress(observed(target('-80', undefined), fresh))).toBeUndefined();
    expect(progress(observed(target('-80', [stream()], ago(STATE_MAX_AGE_SECONDS + 1)), fresh))).toBeUndefined();
    expect(progress(observed(fresh))).toBeUndefined();
    expect(progress(observed(target('-80', []), target('80-', [])))).toBeUndefined();
  });

  test("only the workflow's streams count; another keyspace's shards of the same name are not read", () => {
    const result = progress(observed(target('-80', [stream(), stream({ id: 2, workflow: 'other', rowsCopied: 999 })]), target('80-', [stream()]), target('-80', [stream({ rowsCopied: 5000 })], ago(1), 'customer')));
    expect(result?.copy.rowsCopied).toBe(20);
    expect(result?.streams).toHaveLength(2);
  });
});

describe('through the simulator (fake Vitess: a target primary copies while the wait-for-copy Job runs)', () => {
  test('examples/resharding.yaml: the keyspace, its cell and the cluster show the streams copying, then their lag, then nothing once complete', () => {
    const root = parseClusterYaml(readFileSync(join(import.meta.dir, '../../examples/resharding.yaml'), 'utf8'));
    const controllers = loadControllers();
    let state = seed([root], START).state;
    const shown: { keyspace?: Record<string, unknown>; cluster?: unknown }[] = [];
    for (let round = 1; round <= 60; round++) {
      const result = runRound(state, controllers, layers, round, new Date(START.getTime() + round * 10_000), {});
      state = result.state;
      const objects = allObjects(state);
      const keyspace = (objects.find((o) => o.kind === 'VitessKeyspace')?.status as { resharding?: Record<string, unknown> } | undefined)?.resharding;
      const cluster = (objects.find((o) => o.kind === 'VitessCluster')?.status as { resharding?: unknown } | undefined)?.resharding;
      shown.push({ keyspace, cluster });
      if (keyspace?.state === 'Complete' && result.pending.length === 0 && !result.actions.some((a) => a.verb === 'create' || a.verb === 'update')) break;
    }
    const copying = shown.find((s) => s.keyspace?.step === 'wait-for-copy' && s.keyspace.copy !== undefined);
    expect(copying?.keyspace).toMatchObject({ copy: { rowsCopied: 0, streamsCopying: 2 }, streams: [{ target: '-80', source: '0', state: 'Copying' }, { target: '80-', source: '0', state: 'Copying' }] });
    expect(copying?.keyspace && 'lagSeconds' in copying.keyspace).toBe(false);
    const caughtUp = shown.find((s) => s.keyspace?.lagSeconds !== undefined);
    expect(caughtUp?.keyspace).toMatchObject({ lagSeconds: 0, copy: { streamsCopying: 0 } });
    // Carried up: the cell, then the cluster, a round or two later each.
    expect(shown.some((s) => Bun.deepEquals(s.cluster, [{ keyspace: 'commerce', cell: 'zone1', state: 'Running', step: 'wait-for-copy', copy: { rowsCopied: 0, streamsCopying: 2 } }]))).toBe(true);
    expect(shown.some((s) => Bun.deepEquals(s.cluster, [{ keyspace: 'commerce', cell: 'zone1', state: 'Running', step: 'switch-reads', copy: { rowsCopied: 0, streamsCopying: 0 }, lagSeconds: 0 }]))).toBe(true);
    const last = shown[shown.length - 1];
    expect(last?.keyspace).toMatchObject({ state: 'Complete' });
    expect(last?.keyspace && 'copy' in last.keyspace).toBe(false);
  });
});
