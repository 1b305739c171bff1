import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { MAX_TABLETS_PER_TYPE, paddedUid, tabletAlias, tabletObjectParts, TABLET_TYPES, type TabletType, tabletUid } from '../../lib/vitess/tablets.ts';
import { dnsLabel, runs } from '../arbitraries/index.ts';

/** The original example's rule (docs/vitess.md), computed here on its own: md5("cell/keyspace/shard/type"), first 6 hex digits, * 100, + index. */
function seedUid(cell: string, keyspace: string, shard: string, type: TabletType, index: number): number {
  const hex = createHash('md5').update(`${cell}/${keyspace}/${shard}/${type}`, 'utf8').digest('hex');
  return parseInt(hex.substring(0, 6), 16) * 100 + index;
}

const tabletType = fc.constantFrom<TabletType>('replica', 'rdonly');
const shard = fc.constantFrom('0', '-80', '80-', '40-80', '-', 'c0-');
const index = fc.integer({ min: 0, max: MAX_TABLETS_PER_TYPE - 1 });

/** The seed's tablets: cell zone1, keyspace main, shards -80 and 80-, 2 replica + 1 rdonly each. */
const SEED_TABLETS = ['-80', '80-'].flatMap((s) => [
  { shard: s, type: 'replica' as const, index: 0 },
  { shard: s, type: 'replica' as const, index: 1 },
  { shard: s, type: 'rdonly' as const, index: 0 },
]);

describe('tabletUid', () => {
  test("tabletUid: equals the original example's rule computed independently with md5", () => {
    fc.assert(
      fc.property(dnsLabel(10), dnsLabel(10), shard, tabletType, index, (c, k, s, t, i) => tabletUid(c, k, s, t, i) === seedUid(c, k, s, t, i)),
      runs(),
    );
  });

  test('seed: literal UIDs checked by hand (md5 of zone1/main/-80/replica starts 20c497 = 2147479)', () => {
    // 0x20c497 = 2147479 -> 214747900; 0xca9902 = 13277442 -> 1327744200.
    expect(tabletUid('zone1', 'main', '-80', 'replica', 0)).toBe(214747900);
    expect(tabletUid('zone1', 'main', '-80', 'replica', 1)).toBe(214747901);
    expect(tabletUid('zone1', 'main', '-80', 'rdonly', 0)).toBe(1327744200);
    expect(tabletAlias('zone1', tabletUid('zone1', 'main', '-80', 'replica', 0))).toBe('zone1-0214747900');
  });

  test('seed: the 6 tablets (12 objects: Pod + PVC each) have distinct UIDs, each the independent md5 value', () => {
    const uids = SEED_TABLETS.map((t) => tabletUid('zone1', 'main', t.shard, t.type, t.index));
    expect(uids).toEqual(SEED_TABLETS.map((t) => seedUid('zone1', 'main', t.shard, t.type, t.index)));
    expect(new Set(uids).size).toBe(6);
    const names = uids.map((uid) => tabletObjectParts('vitess', 'zone1', uid).join('-'));
    expect(new Set(names).size).toBe(6);
  });

  test('tabletUid: indexes of one pool give consecutive UIDs that stay inside the pool\'s block of 100', () => {
    fc.assert(
      fc.property(dnsLabel(10), dnsLabel(10), shard, tabletType, index, (c, k, s, t, i) => {
        const base = tabletUid(c, k, s, t, 0);
        return base % 100 === 0 && tabletUid(c, k, s, t, i) === base + i;
      }),
      runs(),
    );
  });

  test('tabletUid: always fits Vitess\' uint32 and 10 digits', () => {
    fc.assert(fc.property(dnsLabel(10), dnsLabel(10), shard, tabletType, index, (c, k, s, t, i) => {
      const uid = tabletUid(c, k, s, t, i);
      return Number.isInteger(uid) && uid >= 0 && uid <= 0xffffffff && String(uid).length <= 10;
    }), runs());
  });
});

describe('paddedUid / tabletAlias / tabletObjectParts', () => {
  test('paddedUid: 10 digits that read back as the uid', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffff * 100 + 99 }), (uid) => {
      const padded = paddedUid(uid);
      return /^\d{10}$/.test(padded) && Number(padded) === uid;
    }), runs());
  });
  test('units', () => {
    expect(paddedUid(0)).toBe('0000000000');
    expect(paddedUid(214747900)).toBe('0214747900');
    expect(paddedUid(1677721599)).toBe('1677721599');
    expect(tabletAlias('zone1', 42)).toBe('zone1-0000000042');
    expect(tabletObjectParts('vitess', 'zone1', 42)).toEqual(['vitess', 'vttablet', 'zone1', '0000000042']);
  });
  test('TABLET_TYPES: rdonly before replica (rollout order)', () => {
    expect(TABLET_TYPES).toEqual(['rdonly', 'replica']);
  });
});
