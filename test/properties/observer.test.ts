/**
 * Laws of the observer's merge (lib/observer/merge.ts), over random views of a few vtgates on a few
 * tablets of one shard (each vtgate lists a random subset, each tablet at one of two addresses, of a
 * random type, serving or not, primaries with random terms):
 *
 * - the merged state does not depend on the order in which the vtgates answered;
 * - a tablet serves in the merged state only if every vtgate that answered lists it serving, at one address;
 * - the primary is a tablet some vtgate lists as primary with the newest term, and is the only tablet
 *   of type primary;
 * - the merged state is valid annotation content that reads back fresh.
 * FC_RUNS cases (default 1000); FC_SEED replays.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import type { GateTablet, GateView } from '../../lib/observer/gateway.ts';
import { mergeViews } from '../../lib/observer/merge.ts';
import { freshVitessState, VITESS_STATE_ANNOTATION, type VitessShardState, vitessStateText } from '../../lib/vitess/state.ts';
import { runs } from '../arbitraries/index.ts';

const AT = new Date('2026-12-07T12:00:00Z');
const TYPES = ['primary', 'replica', 'rdonly', 'spare'];

const entry = (uid: number): fc.Arbitrary<GateTablet> =>
  fc.record({ type: fc.constantFrom(...TYPES), serving: fc.boolean(), host: fc.constantFrom('a', 'b'), term: fc.integer({ min: 1, max: 5 }) }).map(({ type, serving, host, term }) => ({
    alias: `zone1-${String(uid).padStart(10, '0')}`, cell: 'zone1', keyspace: 'ks', shard: '0', type, serving, hostname: `10.0.${uid}.${host === 'a' ? 1 : 2}`, primaryTermStartTime: type === 'primary' ? term : 0, webPort: 15000,
  }));
const gateView: fc.Arbitrary<GateView> = fc
  .subarray([1, 2, 3, 4])
  .chain((uids) => fc.tuple(...uids.map(entry)))
  .map((tablets) => new Map(tablets.map((t) => [t.alias, t])));
const views = fc.array(gateView, { minLength: 1, maxLength: 4 });

describe('observer merge laws', () => {
  test('order independence: the merged state is the same whatever order the vtgates answered in', () => {
    fc.assert(fc.property(views, fc.func(fc.integer()), (vs, key) => {
      const shuffled = [...vs].sort((a, b) => key(a) - key(b));
      const text = (state: VitessShardState | undefined): string => (state === undefined ? '' : vitessStateText(state));
      expect(text(mergeViews(shuffled, AT.toISOString()).get('ks/0'))).toBe(text(mergeViews(vs, AT.toISOString()).get('ks/0')));
    }), runs());
  });

  test('serving means every answering vtgate serves from it at one address', () => {
    fc.assert(fc.property(views, (vs) => {
      const state = mergeViews(vs, AT.toISOString()).get('ks/0');
      for (const t of state?.tablets ?? []) {
        if (!t.serving) continue;
        const seen = vs.map((v) => v.get(t.alias));
        expect(seen.every((s) => s !== undefined && s.serving && s.hostname === t.hostname)).toBe(true);
      }
    }), runs());
  });

  test('the primary has the newest primary term of any vtgate, and is the only tablet typed primary', () => {
    fc.assert(fc.property(views, (vs) => {
      const state = mergeViews(vs, AT.toISOString()).get('ks/0');
      const claims = vs.flatMap((v) => [...v.values()]).filter((t) => t.type === 'primary');
      if (claims.length === 0) {
        expect(state === undefined || state.primary === null).toBe(true);
        return;
      }
      const newest = Math.max(...claims.map((c) => c.primaryTermStartTime));
      expect(claims.some((c) => c.alias === state?.primary && c.primaryTermStartTime === newest)).toBe(true);
      expect(state?.tablets.filter((t) => t.type === 'primary').map((t) => t.alias)).toEqual([state?.primary as string]);
    }), runs());
  });

  test('the merged state is annotation content the hooks read back as fresh', () => {
    fc.assert(fc.property(views, (vs) => {
      const state = mergeViews(vs, AT.toISOString()).get('ks/0');
      if (state === undefined) return;
      expect(freshVitessState({ [VITESS_STATE_ANNOTATION]: vitessStateText(state) }, AT)).toEqual(state);
    }), runs());
  });
});
