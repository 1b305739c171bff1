import { describe, expect, test } from 'bun:test';
import type { GateTablet, GateView } from '../../lib/observer/gateway.ts';
import { annotationPatch, groupViews, LAG_CHANGE_SECONDS, planPatches, type ShardRef, varsTargets, withVReplication } from '../../lib/observer/plan.ts';
import { LABEL } from '../../lib/vitess/labels.ts';
import { freshVitessState, STATE_HEARTBEAT_SECONDS, VITESS_STATE_ANNOTATION } from '../../lib/vitess/state.ts';

const T0 = new Date('2026-12-07T12:00:00Z');
const later = (s: number): Date => new Date(T0.getTime() + s * 1000);
const tablet = (uid: number, over: Partial<GateTablet> = {}): GateTablet => ({
  alias: `zone1-${String(uid).padStart(10, '0')}`, cell: 'zone1', keyspace: 'commerce', shard: '0', type: 'replica', serving: true, hostname: `10.0.0.${uid}`, primaryTermStartTime: 0, webPort: 0, ...over,
});
const view = (...tablets: GateTablet[]): GateView => new Map(tablets.map((t) => [t.alias, t]));
const shard = (name: string, cluster: string, annotations: Record<string, string> = {}, ns = 'default'): ShardRef => ({
  namespace: ns, name, labels: { [LABEL.cluster]: cluster }, annotations, keyspace: 'commerce', shard: '0',
});
const primaryView = view(tablet(1, { type: 'primary', primaryTermStartTime: 5 }), tablet(2));

describe('planPatches', () => {
  test('every VitessShard of the Vitess shard (one per cell) gets the state, which the hooks read as fresh', () => {
    const shards = [shard('mini-zone1-commerce-0', 'mini'), shard('mini-zone2-commerce-0', 'mini')];
    const patches = planPatches(shards, [{ namespace: 'default', cluster: 'mini', views: [primaryView] }], T0);
    expect(patches.map((p) => [p.name, p.reason])).toEqual([['mini-zone1-commerce-0', 'changed'], ['mini-zone2-commerce-0', 'changed']]);
    const state = freshVitessState({ [VITESS_STATE_ANNOTATION]: patches[0]?.text as string }, later(1));
    expect(state?.primary).toBe('zone1-0000000001');
    expect(state?.gates).toBe(1);
  });

  test('an unchanged state is not written again until the heartbeat; a change is written at once', () => {
    const clusters = [{ namespace: 'default', cluster: 'mini', views: [primaryView] }];
    const first = planPatches([shard('s', 'mini')], clusters, T0)[0]?.text as string;
    const held = [shard('s', 'mini', { [VITESS_STATE_ANNOTATION]: first })];
    expect(planPatches(held, clusters, later(STATE_HEARTBEAT_SECONDS - 1))).toEqual([]);
    expect(planPatches(held, clusters, later(STATE_HEARTBEAT_SECONDS)).map((p) => p.reason)).toEqual(['heartbeat']);
    const moved = [{ namespace: 'default', cluster: 'mini', views: [view(tablet(1), tablet(2, { type: 'primary', primaryTermStartTime: 9 }))] }];
    expect(planPatches(held, moved, later(1)).map((p) => p.reason)).toEqual(['changed']);
  });

  test('an unparsable annotation is rewritten', () => {
    expect(planPatches([shard('s', 'mini', { [VITESS_STATE_ANNOTATION]: '{' })], [{ namespace: 'default', cluster: 'mini', views: [primaryView] }], T0).length).toBe(1);
  });

  test('only the vtgates of the VitessShard\'s own cluster and namespace count', () => {
    const clusters = [{ namespace: 'default', cluster: 'other', views: [primaryView] }, { namespace: 'elsewhere', cluster: 'mini', views: [primaryView] }];
    expect(planPatches([shard('s', 'mini')], clusters, T0)).toEqual([]);
  });

  test('vtgates asked and none answered: gates 0, which the hooks read as unknown', () => {
    const patches = planPatches([shard('s', 'mini')], groupViews([{ namespace: 'default', cluster: 'mini' }], [undefined]), T0);
    expect(JSON.parse(patches[0]?.text as string).gates).toBe(0);
    expect(freshVitessState({ [VITESS_STATE_ANNOTATION]: patches[0]?.text as string }, T0)).toBeUndefined();
  });

  test('a shard no vtgate reports is known to have no tablets', () => {
    const patches = planPatches([{ ...shard('s', 'mini'), shard: '-80' }], [{ namespace: 'default', cluster: 'mini', views: [primaryView] }], T0);
    expect(JSON.parse(patches[0]?.text as string)).toMatchObject({ gates: 1, primary: null, tablets: [] });
  });

  test('the patch sets the one annotation and nothing else', () => {
    expect(annotationPatch('x')).toEqual({ metadata: { annotations: { [VITESS_STATE_ANNOTATION]: 'x' } } });
  });
});

describe('varsTargets and the vreplication record', () => {
  const target = (name: string, shardName: string, annotations: Record<string, string> = {}): ShardRef => ({ ...shard(name, 'mini', annotations), shard: shardName, reshardTarget: true });
  const targetView = view(tablet(7, { shard: '-80', type: 'primary', primaryTermStartTime: 3 }), tablet(8, { shard: '-80' }), tablet(9, { shard: '80-', type: 'replica' }));
  const clusters = [{ namespace: 'default', cluster: 'mini', views: [targetView] }];
  const streams = [{ id: 1, source: 'commerce/0', workflow: 'reshard', state: 'Copying', lagSeconds: 4, rowsCopied: 12, tablesCopied: 1 }];

  test("one primary per reshard target Vitess shard (not per cell), at the address vtgate has, on vttablet's web port", () => {
    const shards = [target('mini-zone1-commerce-x-80', '-80'), target('mini-zone2-commerce-x-80', '-80'), shard('mini-zone1-commerce-0', 'mini')];
    expect(varsTargets(shards, clusters)).toEqual([{ namespace: 'default', cluster: 'mini', shard: 'commerce/-80', tablet: 'zone1-0000000007', url: 'http://10.0.0.7:15000/debug/vars' }]);
  });

  test('no target, no primary listed, or another cluster: nothing to ask', () => {
    expect(varsTargets([shard('s', 'mini')], clusters)).toEqual([]);
    expect(varsTargets([target('s', '80-')], clusters)).toEqual([]);
    expect(varsTargets([{ ...target('s', '-80'), labels: { [LABEL.cluster]: 'other' } }], clusters)).toEqual([]);
  });

  test('what the primary answered goes into every VitessShard of its shard; a primary that did not answer writes no record', () => {
    const shards = [target('a', '-80'), target('b', '-80')];
    const asked = varsTargets(shards, clusters);
    const patches = planPatches(shards, withVReplication(clusters, asked, [streams]), T0);
    expect(patches.map((p) => JSON.parse(p.text).vreplication)).toEqual([{ tablet: 'zone1-0000000007', streams }, { tablet: 'zone1-0000000007', streams }]);
    const silent = planPatches(shards, withVReplication(clusters, asked, [undefined]), T0);
    expect(silent.map((p) => JSON.parse(p.text).vreplication)).toEqual([undefined, undefined]);
  });

  test('a record read from a tablet the merged view no longer names primary is left out', () => {
    const moved = [{ ...clusters[0]!, vreplication: new Map([['commerce/-80', { tablet: 'zone1-0000000008', streams }]]) }];
    expect(JSON.parse(planPatches([target('a', '-80')], moved, T0)[0]?.text as string).vreplication).toBeUndefined();
  });

  test('a change of the figures is written at once; the same figures wait for the heartbeat', () => {
    const shards = [target('a', '-80')];
    const asked = varsTargets(shards, clusters);
    const first = planPatches(shards, withVReplication(clusters, asked, [streams]), T0)[0]?.text as string;
    const held = [target('a', '-80', { [VITESS_STATE_ANNOTATION]: first })];
    expect(planPatches(held, withVReplication(clusters, asked, [streams]), later(5))).toEqual([]);
    const more = [{ ...streams[0]!, rowsCopied: 20 }];
    expect(planPatches(held, withVReplication(clusters, asked, [more]), later(5)).map((p) => p.reason)).toEqual(['changed']);
  });

  test(`a lag that moved by less than ${LAG_CHANGE_SECONDS} s waits for the heartbeat, and then goes out as read; a larger move or an unknown lag is written at once`, () => {
    const shards = [target('a', '-80')];
    const asked = varsTargets(shards, clusters);
    const held = [target('a', '-80', { [VITESS_STATE_ANNOTATION]: planPatches(shards, withVReplication(clusters, asked, [streams]), T0)[0]?.text as string })];
    const lag = (seconds: number | undefined) => [{ ...streams[0]!, lagSeconds: seconds }];
    expect(planPatches(held, withVReplication(clusters, asked, [lag(5)]), later(5))).toEqual([]);
    const beat = planPatches(held, withVReplication(clusters, asked, [lag(5)]), later(STATE_HEARTBEAT_SECONDS));
    expect(beat.map((p) => [p.reason, JSON.parse(p.text).vreplication.streams[0].lagSeconds])).toEqual([['heartbeat', 5]]);
    expect(planPatches(held, withVReplication(clusters, asked, [lag(4 + LAG_CHANGE_SECONDS)]), later(5)).map((p) => p.reason)).toEqual(['changed']);
    expect(planPatches(held, withVReplication(clusters, asked, [lag(undefined)]), later(5)).map((p) => p.reason)).toEqual(['changed']);
  });
});

test("the web port is the one the primary's tablet record registered (port_map.vt), when a vtgate has it", () => {
  const withPort = [{ namespace: 'default', cluster: 'mini', views: [view(tablet(7, { shard: '-80', type: 'primary', primaryTermStartTime: 3, webPort: 15100 }))] }];
  const shards = [{ ...shard('a', 'mini'), shard: '-80', reshardTarget: true }];
  expect(varsTargets(shards, withPort).map((t) => t.url)).toEqual(['http://10.0.0.7:15100/debug/vars']);
});
