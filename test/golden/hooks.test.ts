/**
 * Golden answers of each hook: test/fixtures/<hook>/<case>/request.json in, response.json out.
 * The hook is called as Metacontroller calls it, through the same edge validation (parseSyncRequest).
 */
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { parseSyncRequest } from '../../lib/metacontroller/request.ts';
import { layers } from '../../lib/sync/index.ts';
import { FIXED_NOW, FIXTURES, fixtureCases, formatJson, golden, loadJson } from '../fixtures/loader.ts';

for (const layer of layers) {
  describe(layer.name, () => {
    const cases = fixtureCases(layer.name);
    test('has golden cases', () => {
      expect(cases.length).toBeGreaterThan(0);
    });
    for (const name of cases) {
      test(name, () => {
        const dir = join(FIXTURES, layer.name, name);
        const answer = (): string => formatJson(layer.sync(parseSyncRequest(loadJson(join(dir, 'request.json')), layer.parentKind), { now: FIXED_NOW }));
        const actual = answer();
        expect(actual).toBe(golden(join(dir, 'response.json'), actual));
        // Again, now with the spec remembered by the layer (lib/sync/specs.ts): the same answer.
        expect(answer()).toBe(actual);
      });
    }
  });
}

describe('hook versions', () => {
  // A case named `<case>-v1-keys` or `<case>-v2-keys` is `<case>` with its children keyed the other way.
  for (const layer of layers) {
    for (const name of fixtureCases(layer.name).filter((c) => /-v[12]-keys$/.test(c))) {
      test(`${layer.name}/${name} answers exactly as ${name.replace(/-v[12]-keys$/, '')}`, () => {
        const dir = join(FIXTURES, layer.name);
        const answer = (c: string): string => formatJson(layer.sync(parseSyncRequest(loadJson(join(dir, c, 'request.json')), layer.parentKind), { now: FIXED_NOW }));
        const keyed = loadJson(join(dir, name, 'request.json')) as { children: Record<string, Record<string, unknown>> };
        const plain = loadJson(join(dir, name.replace(/-v[12]-keys$/, ''), 'request.json')) as { children: Record<string, Record<string, unknown>> };
        // The two requests really differ in their keys...
        const keys = (request: typeof keyed): string[] => Object.values(request.children).flatMap((byKey) => Object.keys(byKey));
        expect(keys(keyed).length).toBeGreaterThan(0);
        expect(keys(keyed)).not.toEqual(keys(plain));
        // ...and get the same answer.
        expect(answer(name)).toBe(answer(name.replace(/-v[12]-keys$/, '')));
      });
    }
  }
});
