import { describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { formatIssues } from '../../lib/metacontroller/request.ts';
import { MAX_SPECS, MAX_TEXT, readSpec, specMemo } from '../../lib/sync/specs.ts';

const Schema = v.object({ name: v.string(), labels: v.optional(v.record(v.string(), v.string())), items: v.optional(v.array(v.object({ b: v.number(), a: v.number() }))) });
type Spec = v.InferOutput<typeof Schema>;

function read(memo: ReturnType<typeof specMemo<Spec>>, raw: unknown): Spec {
  const result = readSpec(memo, Schema, raw);
  if (!result.success) throw new Error(result.issues.join('; '));
  return result.spec;
}

describe('readSpec', () => {
  test('validates and sorts keys, like valibot then sortedKeys', () => {
    const spec = read(specMemo(), { name: 'x', labels: { z: '1', a: '2' }, items: [{ b: 1, a: 2 }], extra: true });
    expect(JSON.stringify(spec)).toBe('{"items":[{"a":2,"b":1}],"labels":{"a":"2","z":"1"},"name":"x"}');
  });

  test('a spec of the same text is the remembered one; another key order is validated anew to the same value', () => {
    const memo = specMemo<Spec>();
    const first = read(memo, { name: 'x', labels: { a: '1', b: '2' } });
    expect(read(memo, JSON.parse('{"name":"x","labels":{"a":"1","b":"2"}}'))).toBe(first);
    const reordered = read(memo, { labels: { b: '2', a: '1' }, name: 'x' });
    expect(reordered).not.toBe(first);
    expect(JSON.stringify(reordered)).toBe(JSON.stringify(first));
    expect(memo.specs.size).toBe(2);
  });

  test('a remembered spec cannot be changed: its objects are frozen', () => {
    const spec = read(specMemo(), { name: 'x', labels: { a: '1' }, items: [{ a: 1, b: 2 }] });
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.labels)).toBe(true);
    expect(Object.isFrozen(spec.items?.[0])).toBe(true);
    expect(() => {
      (spec.labels as Record<string, string>).a = 'changed';
    }).toThrow(TypeError);
  });

  test('an invalid spec is answered with its issues and not remembered', () => {
    const memo = specMemo<Spec>();
    const result = readSpec(memo, Schema, { name: 1 });
    expect(result).toEqual({ success: false, issues: formatIssues(v.safeParse(Schema, { name: 1 }).issues ?? [], 'spec') });
    expect(result.success ? [] : result.issues).toEqual(['spec.name: Invalid type: Expected string but received 1']);
    expect(memo.specs.size).toBe(0);
  });

  test(`bounded: at most ${MAX_SPECS} specs, the least recently used dropped first`, () => {
    const memo = specMemo<Spec>();
    const first = read(memo, { name: 'spec-0' });
    for (let i = 1; i < MAX_SPECS; i++) read(memo, { name: `spec-${i}` });
    expect(read(memo, { name: 'spec-0' })).toBe(first); // used again: now the most recent
    read(memo, { name: 'one-more' });
    expect(memo.specs.size).toBe(MAX_SPECS);
    expect(memo.specs.has(JSON.stringify({ name: 'spec-1' }))).toBe(false);
    expect(read(memo, { name: 'spec-0' })).toBe(first);
    expect(memo.text).toBe([...memo.specs.keys()].reduce((sum, key) => sum + key.length, 0));
  });

  test(`bounded: at most ${MAX_TEXT} characters of spec text`, () => {
    const memo = specMemo<Spec>();
    read(memo, { name: 'x'.repeat(MAX_TEXT) });
    expect(memo.specs.size).toBe(0);
    const half = 'y'.repeat(MAX_TEXT / 2);
    read(memo, { name: `a${half}` });
    read(memo, { name: `b${half}` });
    expect(memo.specs.size).toBe(1);
    expect(memo.text).toBeLessThanOrEqual(MAX_TEXT);
  });
});
