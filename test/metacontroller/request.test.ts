import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import * as v from 'valibot';
import { ClusterSpec } from '../../lib/api/cluster.ts';
import { formatIssues, MalformedRequestError, parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { childMap, observedChildren, runs } from '../arbitraries/index.ts';

const parent = { apiVersion: 'vitess.io/v1alpha1', kind: 'VitessCluster', metadata: { name: 'vitess', namespace: 'default', generation: 1 }, spec: {} };

function malformed(body: unknown, kind = 'VitessCluster'): MalformedRequestError {
  try {
    parseSyncRequest(body, kind);
  } catch (error) {
    if (error instanceof MalformedRequestError) return error;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(body)}`);
}

describe('parseSyncRequest', () => {
  test('parseSyncRequest: v1-keyed (name) and v2-keyed (namespace/name) child maps flatten identically', () => {
    fc.assert(
      fc.property(observedChildren, (cases) => {
        const children = cases.map((c) => c.observed);
        const v1 = parseSyncRequest({ parent, children: childMap(children, 'v1') }, 'VitessCluster');
        const v2 = parseSyncRequest({ parent, children: childMap(children, 'v2') }, 'VitessCluster');
        expect(v1.children).toEqual(v2.children);
        expect(v1.children).toHaveLength(children.length);
      }),
      runs(),
    );
  });

  test('parseSyncRequest: every child comes out once, whatever the order of the maps', () => {
    fc.assert(
      fc.property(observedChildren, (cases) => {
        const children = cases.map((c) => c.observed);
        const reversed = childMap([...children].reverse(), 'v2');
        const out = parseSyncRequest({ parent, children: reversed }, 'VitessCluster').children;
        const key = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;
        expect(out.map(key).sort()).toEqual(children.map(key).sort());
        expect(out).toEqual(parseSyncRequest({ parent, children: childMap(children, 'v2') }, 'VitessCluster').children);
      }),
      runs(),
    );
  });

  test('units: a minimal request, defaults for missing children/related/finalizing', () => {
    const request = parseSyncRequest({ controller: {}, parent }, 'VitessCluster');
    expect(request.children).toEqual([]);
    expect(request.finalizing).toBe(false);
    expect(request.parent.metadata.name).toBe('vitess');
    expect(parseSyncRequest({ parent: { ...parent, status: null }, finalizing: true }, 'VitessCluster').finalizing).toBe(true);
  });

  test('rejects non-objects', () => {
    for (const body of [null, undefined, 42, 'x', true, []]) expect(malformed(body)).toBeInstanceOf(MalformedRequestError);
  });

  test('rejects a missing or malformed parent', () => {
    expect(malformed({ children: {} }).issues.length).toBeGreaterThan(0);
    expect(malformed({ parent: { kind: 'VitessCluster', metadata: { name: 'x' } } }).issues.some((i) => i.startsWith('parent.apiVersion'))).toBe(true);
    expect(malformed({ parent: { ...parent, metadata: { name: '' } } }).issues.some((i) => i.startsWith('parent.metadata.name'))).toBe(true);
    expect(malformed({ parent: { ...parent, metadata: {} } })).toBeInstanceOf(MalformedRequestError);
  });

  test('rejects a parent of the wrong kind, naming both kinds', () => {
    const error = malformed({ parent: { ...parent, kind: 'VitessShard' } });
    expect(error.message).toContain('VitessShard');
    expect(error.message).toContain('VitessCluster');
  });

  test('rejects children that are not a map of maps of objects', () => {
    for (const children of ['x', 5, null, { 'Pod.v1': 'x' }, { 'Pod.v1': { p: { kind: 'Pod' } } }, { 'Pod.v1': { p: 3 } }]) {
      expect(malformed({ parent, children })).toBeInstanceOf(MalformedRequestError);
    }
  });

  // BUG (reported): valibot's v.record accepts arrays, so `children: []` (and `[[]]`) pass as an empty
  // child map. Metacontroller never sends an array; such a body is not a sync request and must be a 400.
  test('rejects children given as an array', () => {
    expect(malformed({ parent, children: [] })).toBeInstanceOf(MalformedRequestError);
    expect(malformed({ parent, children: [[]] })).toBeInstanceOf(MalformedRequestError);
    expect(malformed({ parent, children: { 'Pod.v1': [] } })).toBeInstanceOf(MalformedRequestError);
  });
});

describe('formatIssues', () => {
  test('paths read like spec.cells[0].name: message', () => {
    const result = v.safeParse(ClusterSpec, { selector: {}, cells: [{ name: 'Zone_1' }] });
    expect(result.success).toBe(false);
    const lines = formatIssues(result.issues ?? [], 'spec');
    expect(lines).toEqual(['spec.cells[0].name: must be a DNS-1123 label (lower-case letters, digits and -)']);
  });
  test('nested array indexes and no prefix', () => {
    const result = v.safeParse(ClusterSpec, { selector: {}, cells: [{ name: 'zone1' }], keyspaces: [{ name: 'main', cells: ['zone1'], shards: [{ keyRange: { start: 'zz' } }] }] });
    const lines = formatIssues(result.issues ?? []);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith('keyspaces[0].shards[0].keyRange.start: ');
  });
  test('an issue without a path is its message alone', () => {
    const result = v.safeParse(ClusterSpec, 5);
    expect(formatIssues(result.issues ?? [])[0]).not.toContain(':'.repeat(2));
    expect(formatIssues(result.issues ?? [])[0]).toBe(result.issues?.[0]?.message ?? '');
  });
});
