/**
 * A layer's spec, validated (valibot) and key-sorted, remembered by its JSON text.
 *
 * Metacontroller syncs a parent again on every resync and every change of a child, nearly always
 * with the spec it sent before. Validating a spec and sorting its keys was the largest part of a
 * small sync that is not JSON work (a fifth of seed/sync-cluster's time), and its result depends on
 * the spec's value alone. So each layer keeps the specs it validated last:
 *
 * - keyed safely: the key is the spec's whole JSON text, so a hit is a spec equal in every value and
 *   every key order to one validated before, which valibot and sortedKeys turn into the same output;
 * - bounded: at most MAX_SPECS specs and MAX_TEXT characters of keys per layer, the least recently
 *   used dropped first (the 256 VitessShard specs of a 256-shard keyspace, ~1.3 KiB each, all fit);
 * - shared read-only: every object of a remembered spec is frozen, so code that would change one
 *   throws rather than change the answer of a later sync. Its arrays are not: JavaScriptCore
 *   serializes a frozen array on a slow path (the seed's answers took 13 % longer than without the
 *   memo). No code changes a spec's array in place (the whole unit suite passes with them frozen too).
 *
 * Specs that fail validation are not remembered: they are rare, and their answer names every issue.
 */
import * as v from 'valibot';
import { sortedKeys } from '../kube/object.ts';
import { formatIssues } from '../metacontroller/request.ts';

/** Specs remembered per layer: more than the parents of one layer in a large cluster. */
export const MAX_SPECS = 1024;
/**
 * Characters of spec text remembered per layer. Measured: a remembered spec takes ~3 bytes of heap
 * per character of its text (key and objects), so at most ~3 MiB per layer, ~12 MiB for the four,
 * beside the hook server's 32 MiB buffer budget under its 256 MiB limit (docs/decisions/0008).
 */
export const MAX_TEXT = 1024 * 1024;

export interface SpecMemo<Spec> {
  /** Insertion order is use order: the first entry is the least recently used. */
  readonly specs: Map<string, Spec>;
  /** Characters of the keys in `specs`. */
  text: number;
}

export function specMemo<Spec>(): SpecMemo<Spec> {
  return { specs: new Map(), text: 0 };
}

export type ReadSpec<Spec> = { success: true; spec: Spec } | { success: false; issues: string[] };

/**
 * The spec validated by `schema`, keys sorted (so every child built from it has one key order
 * whatever the order in the user's YAML; revisions hash children as they are), or its issues
 * as `spec.path: message`.
 */
export function readSpec<Spec>(memo: SpecMemo<Spec>, schema: v.GenericSchema<unknown, Spec>, raw: unknown): ReadSpec<Spec> {
  const text = JSON.stringify(raw);
  const known = memo.specs.get(text);
  if (known !== undefined) {
    memo.specs.delete(text);
    memo.specs.set(text, known);
    return { success: true, spec: known };
  }
  const parsed = v.safeParse(schema, raw);
  if (!parsed.success) return { success: false, issues: formatIssues(parsed.issues, 'spec') };
  const spec = deepFrozen(sortedKeys(parsed.output)) as Spec;
  remember(memo, text, spec);
  return { success: true, spec };
}

function remember<Spec>(memo: SpecMemo<Spec>, text: string, spec: Spec): void {
  if (text.length > MAX_TEXT) return;
  memo.specs.set(text, spec);
  memo.text += text.length;
  for (const [oldest] of memo.specs) {
    if (memo.specs.size <= MAX_SPECS && memo.text <= MAX_TEXT) break;
    memo.specs.delete(oldest);
    memo.text -= oldest.length;
  }
}

/** `value` with every object in it frozen, arrays left as they are (above); sortedKeys made them all, none is shared. */
function deepFrozen<T>(value: T): T {
  if (Array.isArray(value)) value.forEach(deepFrozen);
  else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) deepFrozen(item);
    Object.freeze(value);
  }
  return value;
}
