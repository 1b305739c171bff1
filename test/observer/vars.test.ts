import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseVars } from '../../lib/observer/vars.ts';
import { VARS } from '../../lib/vitess/vreplication.ts';

/**
 * A target primary's /debug/vars during a Reshard of commerce/0 into -80, 80-, in v24.0.3's shape
 * (go/vt/vttablet/tabletmanager/vreplication/stats.go): written from the source, key by key; a
 * real capture follows below. Stream 1 has copied and runs; stream 2 (a second workflow)
 * copies and has applied no event yet (lag math.MaxInt64, as JSON prints it).
 */
const SOURCE_VARS = `{
  "VReplicationStreamCount": 2,
  "VReplicationLagSecondsMax": 9223372036854775807,
  "VReplicationSource": {"1": "commerce/0", "2": "customer/-80"},
  "VReplicationSourceTablet": {"1": "cell:\\"zone1\\" uid:101", "2": "cell:\\"zone1\\" uid:201"},
  "VReplicationStreamState": {"reshard.Reshard.1": "Running", "move.to.x.MoveTables.2": "Copying"},
  "VReplicationLagSeconds": {"commerce.0.reshard.Reshard.1": 2, "customer.-80.move.to.x.MoveTables.2": 9223372036854775807},
  "VReplicationCopyRowCount": {"commerce.0.reshard.Reshard.1": 41, "customer.-80.move.to.x.MoveTables.2": 1000},
  "VReplicationTableCopyRowCounts": {"commerce.0.reshard.Reshard.1.t": 40, "commerce.0.reshard.Reshard.1.u": 1, "commerce.0.reshard.Reshard.1.empty": 0, "customer.-80.move.to.x.MoveTables.2.orders": 1000},
  "VReplicationMessages": {"1": "2026-12-07T16:00:00Z:Picked source tablet"},
  "cmdline": ["vttablet"]
}`;

describe('parseVars', () => {
  test('reads each stream by id: source, workflow (dots and all), state, lag, rows copied, tables copied', () => {
    const parsed = parseVars(JSON.parse(SOURCE_VARS));
    expect(parsed).toEqual({
      ok: true,
      streams: [
        { id: 1, source: 'commerce/0', workflow: 'reshard', state: 'Running', lagSeconds: 2, rowsCopied: 41, tablesCopied: 2 },
        // math.MaxInt64: no event applied yet, the lag is unknown (no field), not 9.2e18 s.
        { id: 2, source: 'customer/-80', workflow: 'move.to.x', state: 'Copying', rowsCopied: 1000, tablesCopied: 1 },
      ],
    });
  });

  test('stream 1 does not take stream 10\'s tables (the key is matched with its trailing dot)', () => {
    const json = {
      [VARS.source]: { '1': 'k/0', '10': 'k/0' },
      [VARS.state]: { 'w.Reshard.1': 'Copying', 'w.Reshard.10': 'Copying' },
      [VARS.lag]: { 'k.0.w.Reshard.1': 0, 'k.0.w.Reshard.10': 0 },
      [VARS.rowsCopied]: { 'k.0.w.Reshard.1': 5, 'k.0.w.Reshard.10': 7 },
      [VARS.tableRowsCopied]: { 'k.0.w.Reshard.10.a': 3, 'k.0.w.Reshard.10.b': 4, 'k.0.w.Reshard.1.a': 5 },
    };
    const parsed = parseVars(json);
    expect(parsed.ok && parsed.streams.map((s) => [s.id, s.tablesCopied])).toEqual([[1, 1], [10, 2]]);
  });

  test('a vttablet with no VReplication variables, or with no stream, has no stream', () => {
    expect(parseVars({ cmdline: ['vttablet'] })).toEqual({ ok: true, streams: [] });
    expect(parseVars({ [VARS.source]: {}, [VARS.state]: {} })).toEqual({ ok: true, streams: [] });
  });

  test('a stream whose other figures are missing: state Unknown, no lag, zero rows', () => {
    expect(parseVars({ [VARS.source]: { '3': 'k/0' } })).toEqual({ ok: true, streams: [{ id: 3, source: 'k/0', workflow: '', state: 'Unknown', rowsCopied: 0, tablesCopied: 0 }] });
  });

  test('not an object, or a variable of the wrong shape: refused with a reason', () => {
    for (const bad of [null, [], 'x', { [VARS.source]: ['commerce/0'] }, { [VARS.lag]: { a: 'x' } }]) {
      const parsed = parseVars(bad);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toContain("not vttablet's /debug/vars");
    }
  });

  test('odd figures are not taken as figures: a negative or fractional lag is unknown, a state that is no name is Unknown', () => {
    const json = { [VARS.source]: { '1': 'k/0' }, [VARS.state]: { 'w.Reshard.1': 'Ru nning"' }, [VARS.lag]: { 'k.0.w.Reshard.1': -1 }, [VARS.rowsCopied]: { 'k.0.w.Reshard.1': 1.5 } };
    expect(parseVars(json)).toEqual({ ok: true, streams: [{ id: 1, source: 'k/0', workflow: 'w', state: 'Unknown', rowsCopied: 0, tablesCopied: 0 }] });
  });
});

describe('parseVars on a real capture', () => {
  // vttablet v24.0.3 (the harness' build), primary of target shard -80 of `reshard.vitess.ts`, read by the
  // harness observer during the reshard of commerce/0 (2026-12-07 16:52), after the write switch: the
  // stream is Stopped and its lag back at math.MaxInt64. Its VReplication* variables kept verbatim
  // (the other 430-odd variables of the answer dropped).
  const capture = JSON.parse(readFileSync(join(import.meta.dir, 'fixtures/vttablet-v24-reshard-target-debug-vars.json'), 'utf8'));

  test('the names and shapes of v24: one Reshard stream from commerce/0, its 44 rows copied into one table, its lag unknown', () => {
    expect(parseVars(capture)).toEqual({ ok: true, streams: [{ id: 1, source: 'commerce/0', workflow: 'reshard', state: 'Stopped', rowsCopied: 44, tablesCopied: 1 }] });
  });

  test('the same capture once the lag is known (as vplayer sets it while it runs) reads it', () => {
    const running = { ...capture, VReplicationStreamState: { 'reshard.Reshard.1': 'Running' }, VReplicationLagSeconds: { 'commerce.0.reshard.Reshard.1': 0 } };
    expect(parseVars(running)).toMatchObject({ ok: true, streams: [{ state: 'Running', lagSeconds: 0 }] });
  });
});
