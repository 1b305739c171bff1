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
        const request = parseSyncRequest(loadJson(join(dir, 'request.json')), layer.parentKind);
        const actual = formatJson(layer.sync(request, { now: FIXED_NOW }));
        expect(actual).toBe(golden(join(dir, 'response.json'), actual));
      });
    }
  });
}
