import { describe, expect, test } from 'bun:test';
import { freshVitessState, STATE_MAX_AGE_SECONDS, VITESS_STATE_ANNOTATION, type VitessShardState, vitessStateText } from '../../lib/vitess/state.ts';

const NOW = new Date('2026-12-07T13:00:00Z');

function state(overrides: Partial<VitessShardState> = {}): VitessShardState {
  return {
    observedAt: '2026-12-07T12:59:50Z',
    gates: 1,
    primary: 'zone1-0000000101',
    tablets: [
      { alias: 'zone1-0000000102', cell: 'zone1', type: 'replica', serving: true, hostname: '10.0.0.2' },
      { alias: 'zone1-0000000101', cell: 'zone1', type: 'primary', serving: true, hostname: '10.0.0.1' },
    ],
    ...overrides,
  };
}

const annotated = (text: string): Record<string, string> => ({ [VITESS_STATE_ANNOTATION]: text });

describe('freshVitessState', () => {
  test('reads a fresh state', () => {
    expect(freshVitessState(annotated(vitessStateText(state())), NOW)?.primary).toBe('zone1-0000000101');
  });

  test('no annotation, bad JSON, a wrong shape or no vtgate answering: unknown', () => {
    expect(freshVitessState(undefined, NOW)).toBeUndefined();
    expect(freshVitessState({}, NOW)).toBeUndefined();
    expect(freshVitessState(annotated('{'), NOW)).toBeUndefined();
    expect(freshVitessState(annotated('{"gates":1}'), NOW)).toBeUndefined();
    expect(freshVitessState(annotated(vitessStateText(state({ primary: 'zone1-1; rm -rf /' }))), NOW)).toBeUndefined();
    expect(freshVitessState(annotated(vitessStateText(state({ gates: 0 }))), NOW)).toBeUndefined();
  });

  test('older than the bound, or that far in the future: unknown', () => {
    const at = (ms: number): string => new Date(NOW.getTime() + ms).toISOString();
    const bound = STATE_MAX_AGE_SECONDS * 1000;
    expect(freshVitessState(annotated(vitessStateText(state({ observedAt: at(-bound) }))), NOW)).toBeDefined();
    expect(freshVitessState(annotated(vitessStateText(state({ observedAt: at(-bound - 1000) }))), NOW)).toBeUndefined();
    expect(freshVitessState(annotated(vitessStateText(state({ observedAt: at(bound + 1000) }))), NOW)).toBeUndefined();
  });
});

describe('vitessStateText', () => {
  test('the same state in any tablet order writes the same bytes', () => {
    const reversed = state({ tablets: [...state().tablets].reverse() });
    expect(vitessStateText(reversed)).toBe(vitessStateText(state()));
    expect(JSON.parse(vitessStateText(state())).tablets[0].alias).toBe('zone1-0000000101');
  });
});

describe('the vreplication record', () => {
  const streams = [
    { id: 2, source: 'commerce/0', workflow: 'reshard', state: 'Copying', rowsCopied: 10, tablesCopied: 1 },
    { id: 1, source: 'commerce/0', workflow: 'reshard', state: 'Running', lagSeconds: 3, rowsCopied: 40, tablesCopied: 1 },
  ];

  test('round-trips through the annotation, streams by id, a lag left out when unknown', () => {
    const text = vitessStateText(state({ vreplication: { tablet: 'zone1-0000000101', streams } }));
    const read = freshVitessState(annotated(text), NOW);
    expect(read?.vreplication?.streams.map((s) => [s.id, s.lagSeconds])).toEqual([[1, 3], [2, undefined]]);
    expect(text).not.toContain('"lagSeconds":null');
    expect(vitessStateText(state({ vreplication: { tablet: 'zone1-0000000101', streams: [...streams].reverse() } }))).toBe(text);
  });

  test('a state without it writes no field (older readers and writers agree)', () => {
    expect(vitessStateText(state())).not.toContain('vreplication');
  });

  test('a malformed record makes the whole state unknown, as any malformed state', () => {
    const bad = JSON.parse(vitessStateText(state({ vreplication: { tablet: 'zone1-0000000101', streams } })));
    bad.vreplication.streams[0].rowsCopied = -1;
    expect(freshVitessState(annotated(JSON.stringify(bad)), NOW)).toBeUndefined();
  });
});
