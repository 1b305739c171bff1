/**
 * Determinism, for each layer: the same request gives a byte-identical answer. Random clusters and
 * edits, one parent per layer, random observed states of its children (test/arbitraries/system.ts).
 * FC_RUNS cases per layer (default 1000); FC_SEED replays a failure.
 */
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { LAW_TIMEOUT_MS, runs } from '../arbitraries/index.ts';
import { caseAt, DEPTH_KINDS, LAYER_SCENARIOS, SHARED_SEED, syncBody } from '../arbitraries/system.ts';

/** Three quarters of the scenarios reach the shard layer; the rest stop higher (no keyspaces). */
const TIMEOUT_MS = LAW_TIMEOUT_MS;

describe('determinism', () => {
  DEPTH_KINDS.forEach((kind, depth) => {
    test(`determinism: ${kind}: the same request gives a byte-identical answer`, () => {
      fc.assert(
        fc.property(LAYER_SCENARIOS, (scenario) => {
          const c = caseAt(scenario, depth);
          if (c === undefined) return;
          const first = JSON.stringify(c.answer);
          const again = JSON.stringify(syncBody(structuredClone(c.body), c.kind));
          expect(again).toBe(first);
        }),
        runs({ seed: SHARED_SEED }),
      );
    }, TIMEOUT_MS);
  });
});
