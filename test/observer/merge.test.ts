import { describe, expect, test } from 'bun:test';
import type { GateTablet, GateView } from '../../lib/observer/gateway.ts';
import { mergeViews } from '../../lib/observer/merge.ts';

const AT = '2026-12-07T12:00:00.000Z';
const tablet = (uid: number, over: Partial<GateTablet> = {}): GateTablet => ({
  alias: `zone1-${String(uid).padStart(10, '0')}`, cell: 'zone1', keyspace: 'commerce', shard: '0', type: 'replica', serving: true, hostname: `10.0.0.${uid}`, primaryTermStartTime: 0, webPort: 0, ...over,
});
const view = (...tablets: GateTablet[]): GateView => new Map(tablets.map((t) => [t.alias, t]));

describe('mergeViews', () => {
  test('one vtgate: its primary, each tablet\'s type, serving and address, sorted by alias', () => {
    const state = mergeViews([view(tablet(2), tablet(1, { type: 'primary', primaryTermStartTime: 100 }))], AT).get('commerce/0');
    expect(state).toEqual({
      observedAt: AT, gates: 1, primary: 'zone1-0000000001',
      tablets: [
        { alias: 'zone1-0000000001', cell: 'zone1', type: 'primary', serving: true, hostname: '10.0.0.1' },
        { alias: 'zone1-0000000002', cell: 'zone1', type: 'replica', serving: true, hostname: '10.0.0.2' },
      ],
    });
  });

  test('a tablet serves only when every answering vtgate serves from it', () => {
    const state = mergeViews([view(tablet(1), tablet(2)), view(tablet(1), tablet(2, { serving: false }))], AT).get('commerce/0');
    expect(state?.tablets.map((t) => [t.alias, t.serving])).toEqual([['zone1-0000000001', true], ['zone1-0000000002', false]]);
  });

  test('a tablet one vtgate does not list, or lists at another address, does not serve', () => {
    const state = mergeViews([view(tablet(1), tablet(2)), view(tablet(1)), view(tablet(1), tablet(2, { hostname: '10.0.0.99' }))], AT).get('commerce/0');
    expect(state?.tablets.find((t) => t.alias === 'zone1-0000000002')).toMatchObject({ serving: false, hostname: '10.0.0.2' });
  });

  test('after a reparent, the newest primary term wins; the old primary, still primary to a slow vtgate, is a replica not serving', () => {
    const slow = view(tablet(1, { type: 'primary', primaryTermStartTime: 100 }), tablet(2));
    const fresh = view(tablet(1), tablet(2, { type: 'primary', primaryTermStartTime: 200 }));
    for (const views of [[slow, fresh], [fresh, slow]]) {
      const state = mergeViews(views, AT).get('commerce/0');
      expect(state?.primary).toBe('zone1-0000000002');
      expect(state?.tablets.map((t) => [t.type, t.serving])).toEqual([['replica', false], ['primary', true]]);
    }
  });

  test('shards are kept apart, and no primary is null', () => {
    const states = mergeViews([view(tablet(1, { shard: '-80' }), tablet(2, { shard: '80-' }))], AT);
    expect([...states.keys()].sort()).toEqual(['commerce/-80', 'commerce/80-']);
    expect(states.get('commerce/-80')?.primary).toBeNull();
  });
});
