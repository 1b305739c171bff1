/**
 * Key-range arithmetic of a reshard (docs/decisions/0024-declarative-reshard.md).
 *
 * Vitess' Reshard moves a set of source shards to a set of target shards that cover exactly the same
 * key range (go/vt/vtctl/workflow: "source and target shards must cover the same key range"); the
 * shards outside it are untouched. Here the sources are read off the target set: every serving shard
 * that overlaps a target. A serving shard must then lie wholly inside the targets' union, and the union
 * of the targets must be the union of those sources, so that swapping one for the other leaves the
 * keyspace's coverage as it was, with no overlap.
 */
import type { KeyRangeSpec } from '../api/common.ts';
import { keyRangeProblems } from './shards.ts';

/** A key range with both bounds lower-cased; `end: ''` is the end of the key space. */
type Range = Readonly<KeyRangeSpec>;

const WHOLE: Range = { start: '', end: '' };

function lower(range: Range): Range {
  return { start: range.start.toLowerCase(), end: range.end.toLowerCase() };
}

/** Two ranges share a key: each starts before the other ends (an empty end is the end of the key space). */
function overlaps(a: Range, b: Range): boolean {
  return (b.end === '' || a.start < b.end) && (a.end === '' || b.start < a.end);
}

/** The union of ranges as sorted, merged intervals. */
export function coverage(ranges: readonly Range[]): Range[] {
  const sorted = ranges.map(lower).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const merged: Range[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && (last.end === '' || range.start <= last.end)) {
      merged[merged.length - 1] = { start: last.start, end: last.end === '' || range.end === '' ? '' : range.end > last.end ? range.end : last.end };
    } else {
      merged.push(range);
    }
  }
  return merged;
}

function sameCoverage(a: readonly Range[], b: readonly Range[]): boolean {
  return JSON.stringify(coverage(a)) === JSON.stringify(coverage(b));
}

/** The whole key space, with no gap and no overlap. */
export function coversKeySpace(ranges: readonly Range[]): boolean {
  return keyRangeProblems(ranges.map((r) => ({ ...r }))).length === 0 && sameCoverage(ranges, [WHOLE]);
}

export interface ShardRange {
  name: string;
  /** Absent for the unsharded `0`: the whole key space. */
  keyRange?: KeyRangeSpec;
}

function rangeOf(shard: ShardRange): Range {
  return shard.keyRange ?? WHOLE;
}

/** The serving shards a reshard to `targets` moves: every one that overlaps a target. */
export function reshardSources(serving: readonly ShardRange[], targets: readonly ShardRange[]): ShardRange[] {
  return serving.filter((shard) => targets.some((target) => overlaps(lower(rangeOf(shard)), lower(rangeOf(target)))));
}

/** The serving set once the reshard switched primary traffic: the sources replaced by the targets. */
export function servingAfter(serving: readonly ShardRange[], targets: readonly ShardRange[]): ShardRange[] {
  const sources = new Set(reshardSources(serving, targets).map((shard) => shard.name));
  return [...serving.filter((shard) => !sources.has(shard.name)), ...targets];
}

/** Why a target set cannot replace part of `serving`, each with the index of the target it concerns. */
export function reshardProblems(serving: readonly ShardRange[], targets: readonly ShardRange[]): { index: number; message: string }[] {
  const problems = keyRangeProblems(targets.map((target) => ({ ...rangeOf(target) })));
  const servingNames = new Set(serving.map((shard) => shard.name));
  targets.forEach((target, index) => {
    if (servingNames.has(target.name)) problems.push({ index, message: `shard '${target.name}' is already serving: a target must be a new shard` });
  });
  if (problems.length > 0) return problems;
  const sources = reshardSources(serving, targets);
  if (sources.length === 0) return [{ index: 0, message: 'overlaps no serving shard: nothing to reshard' }];
  const sourceRanges = sources.map(rangeOf);
  const targetRanges = targets.map(rangeOf);
  if (!sameCoverage(sourceRanges, targetRanges)) {
    const names = (shards: readonly ShardRange[]) => shards.map((shard) => `'${shard.name}'`).join(', ');
    return [{ index: 0, message: `the targets (${names(targets)}) must cover exactly the key range of the serving shards they overlap (${names(sources)})` }];
  }
  return [];
}

export interface ShardSetRef extends ShardRange {
  reshardTarget?: true;
}

/**
 * Problems of a keyspace's shard list as a layer below the cluster receives it (serving shards, then
 * reshard targets, marked): the serving shards must not overlap, the targets must be a valid reshard
 * of them. Checked again at each layer, since a VitessKeyspace can be written by hand.
 */
export function shardSetProblems(refs: readonly ShardSetRef[]): string[] {
  const serving = refs.filter((ref) => ref.reshardTarget !== true);
  const targets = refs.filter((ref) => ref.reshardTarget === true);
  const problems = keyRangeProblems(serving.map((ref) => ({ ...rangeOf(ref) }))).map(({ index, message }) => `spec.shards[${refs.indexOf(serving[index] as ShardSetRef)}].keyRange: ${message}`);
  if (targets.length > 0) problems.push(...reshardProblems(serving, targets).map(({ index, message }) => `spec.shards[${refs.indexOf(targets[index] as ShardSetRef)}].keyRange: ${message}`));
  return problems;
}
