import { describe, expect, test } from 'bun:test';
import { parseGateway } from '../../lib/observer/gateway.ts';
import { gatewayJson } from './support.ts';


describe('parseGateway', () => {
  test('reads alias, cell, keyspace, shard, type by number, serving, hostname and the primary term', () => {
    const parsed = parseGateway(gatewayJson([
      { cell: 'zone1', uid: 729587900, type: 1, serving: true, hostname: '10.244.0.7', term: 1765000000 },
      { cell: 'zone1', uid: 729587901, type: 2, serving: false, hostname: '10.244.0.8' },
    ]));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect([...parsed.view.values()]).toEqual([
      { alias: 'zone1-0729587900', cell: 'zone1', keyspace: 'commerce', shard: '0', type: 'primary', serving: true, hostname: '10.244.0.7', primaryTermStartTime: 1765000000, webPort: 15000 },
      { alias: 'zone1-0729587901', cell: 'zone1', keyspace: 'commerce', shard: '0', type: 'replica', serving: false, hostname: '10.244.0.8', primaryTermStartTime: 0, webPort: 15000 },
    ]);
  });

  test('the serving type is the target\'s, not the tablet record\'s (which lags: seen on v24.0.3 after vtorc\'s election)', () => {
    const json = gatewayJson([{ cell: 'zone1', uid: 729587900, type: 1, serving: true, hostname: '10.244.0.7', term: 1 }]) as { TabletsStats: { Tablet: { type: number } }[] }[];
    ((json[0] as { TabletsStats: { Tablet: { type: number } }[] }).TabletsStats[0] as { Tablet: { type: number } }).Tablet.type = 2;
    const parsed = parseGateway(json);
    expect(parsed.ok && [...parsed.view.values()].map((t) => t.type)).toEqual(['primary']);
  });

  test('an empty cache (null or []) is a view with no tablets', () => {
    for (const empty of [null, []]) {
      const parsed = parseGateway(empty);
      expect(parsed.ok && parsed.view.size).toBe(0);
    }
  });

  test('enum names (MASTER, BATCH) read as today\'s types', () => {
    const json = gatewayJson([{ cell: 'a', uid: 1, type: 1, serving: true, hostname: 'h' }, { cell: 'a', uid: 2, type: 3, serving: true, hostname: 'h2' }]) as { Target: { tablet_type: unknown } }[];
    (json[0] as { Target: { tablet_type: unknown } }).Target.tablet_type = 'MASTER';
    (json[1] as { Target: { tablet_type: unknown } }).Target.tablet_type = 'BATCH';
    const parsed = parseGateway(json);
    expect(parsed.ok && [...parsed.view.values()].map((t) => t.type)).toEqual(['primary', 'rdonly']);
  });

  test('a tablet listed twice counts once, serving if either entry serves', () => {
    const json = [
      ...(gatewayJson([{ cell: 'a', uid: 1, type: 2, serving: false, hostname: 'h' }]) as unknown[]),
      ...(gatewayJson([{ cell: 'a', uid: 1, type: 2, serving: true, hostname: 'h' }]) as unknown[]),
    ];
    const parsed = parseGateway(json);
    expect(parsed.ok && [...parsed.view.values()].map((t) => t.serving)).toEqual([true]);
  });

  test('something else than the cache is refused, with a reason', () => {
    for (const bad of [{ tablets: [] }, 'ok', [{ TabletsStats: [{ Tablet: 'x' }] }]]) {
      const parsed = parseGateway(bad);
      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.error).toContain('not vtgate');
    }
  });
});
