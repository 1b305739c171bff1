/**
 * Issue 18.8: JSON nested very deep gives 400, never 500. The request is checked before anything walks
 * it recursively (the spec's sortedKeys and JSON.stringify overflowed the stack at about 19,000
 * levels), at every hook, wherever the nesting is: the parent's spec, an observed child. A child's
 * last-applied annotation nested too deep is read as absent (the child is held as observed).
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { createHookApp } from '../../lib/http/app.ts';
import { jsonDepthExceeds, type KubeObject, MAX_JSON_DEPTH } from '../../lib/kube/object.ts';
import { heldChild, LAST_APPLIED_ANNOTATION } from '../../lib/metacontroller/hold.ts';
import { layers } from '../../lib/sync/index.ts';
import { FIXED_NOW, FIXTURES, loadJson } from '../fixtures/loader.ts';

const FIXTURE_OF: Record<string, string> = {
  'sync-cluster': 'seed-all-ready',
  'sync-cell': 'production-zone1-all-ready',
  'sync-keyspace': 'seed-main-all-ready',
  'sync-shard': 'seed-x-80-all-ready',
};

/** `{"a":{"a":...1}}`, `depth` objects deep, as text (building it as an object would need the stack we test for). */
const nestedText = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

type Body = { parent: { spec: Record<string, unknown> }; children: Record<string, Record<string, KubeObject>> };

async function post(hook: string, body: string): Promise<{ status: number; error?: string }> {
  const app = createHookApp(layers, { clock: () => FIXED_NOW });
  const res = await app.request(`/${hook}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, error: res.status === 200 ? undefined : ((await res.json()) as { error: string }).error };
}

/** The fixture's request as text, with `{"a":...}` nested `depth` deep spliced in where `place` puts the marker. */
function withNesting(hook: string, depth: number, place: (body: Body) => void): string {
  const body = loadJson(join(FIXTURES, hook, FIXTURE_OF[hook] as string, 'request.json')) as Body;
  place(body);
  return JSON.stringify(body).replace('"NESTED-HERE"', nestedText(depth));
}

const inSpec = (body: Body) => (body.parent.spec.deep = 'NESTED-HERE');
const inChild = (body: Body) => {
  const group = Object.values(body.children)[0] as Record<string, KubeObject>;
  const child = Object.values(group)[0] as KubeObject & { spec?: Record<string, unknown> };
  child.spec = { ...child.spec, deep: 'NESTED-HERE' };
};

describe('deep nesting: 400 at every hook, never 500', () => {
  for (const hook of Object.keys(FIXTURE_OF)) {
    test(`${hook}: 19,000 and 200,000 levels in the spec or an observed child: 400 naming the limit`, async () => {
      for (const depth of [19_000, 200_000]) {
        for (const place of [inSpec, inChild]) {
          const answer = await post(hook, withNesting(hook, depth, place));
          expect(answer.status).toBe(400);
          expect(answer.error).toContain(`more than ${MAX_JSON_DEPTH} levels deep`);
        }
      }
    });
    test(`${hook}: nesting within the limit in an observed child is answered (200)`, async () => {
      expect((await post(hook, withNesting(hook, MAX_JSON_DEPTH - 10, inChild))).status).toBe(200);
    });
  }
});

describe('jsonDepthExceeds', () => {
  test('counts objects and arrays, scalars are depth 0, and runs on nesting a recursive walk cannot', () => {
    expect(jsonDepthExceeds(1, 0)).toBe(false);
    expect(jsonDepthExceeds({}, 0)).toBe(true);
    expect(jsonDepthExceeds({ a: [1] }, 2)).toBe(false);
    expect(jsonDepthExceeds({ a: [{}] }, 2)).toBe(true);
    expect(jsonDepthExceeds(JSON.parse(nestedText(500_000)))).toBe(true);
    expect(jsonDepthExceeds(JSON.parse(nestedText(MAX_JSON_DEPTH)))).toBe(false);
    expect(jsonDepthExceeds(JSON.parse(nestedText(MAX_JSON_DEPTH + 1)))).toBe(true);
  });

  test("a last-applied annotation nested too deep is no configuration: the child is held as observed", () => {
    const child: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { [LAST_APPLIED_ANNOTATION]: nestedText(50_000) } } };
    const held = heldChild(child);
    expect(held.metadata.name).toBe('c');
    expect(held.metadata.annotations?.[LAST_APPLIED_ANNOTATION]).toBeUndefined();
    expect(() => JSON.stringify(held)).not.toThrow();
  });
});
