/**
 * Shard names and key ranges. Vitess names a shard by its key range (`-80`, `80-`), or `0` when a
 * keyspace is unsharded; object names write an empty bound as `x` (`x-80`), as the original example did.
 */
import type { KeyRangeSpec } from '../api/common.ts';

export const UNSHARDED = '0';

export function shardName(range: KeyRangeSpec): string {
  return `${range.start.toLowerCase()}-${range.end.toLowerCase()}`;
}

/** The shard's part of object names and label values: `x-80`, `80-x`, or `0`. */
export function shardNamePart(shard: string): string {
  if (shard === UNSHARDED) return shard;
  const [start = '', end = ''] = shard.split('-');
  return `${start === '' ? 'x' : start}-${end === '' ? 'x' : end}`;
}

/** Problems with a keyspace's key ranges: empty ranges, overlaps, duplicates. Gaps are allowed (a resharding may be in progress). */
export function keyRangeProblems(ranges: readonly KeyRangeSpec[]): { index: number; message: string }[] {
  const problems: { index: number; message: string }[] = [];
  ranges.forEach((range, index) => {
    if (range.end !== '' && compareBound(range.start, range.end) >= 0) {
      problems.push({ index, message: `key range '${shardName(range)}' is empty: start must be below end` });
    }
  });
  for (let i = 0; i < ranges.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = ranges[i] as KeyRangeSpec;
      const b = ranges[j] as KeyRangeSpec;
      if (overlaps(a, b)) {
        problems.push({ index: i, message: `key range '${shardName(a)}' overlaps '${shardName(b)}' of shards[${j}]` });
      }
    }
  }
  return problems;
}

/** Key range bounds compare as byte strings; an empty end means "to the end". */
function compareBound(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function overlaps(a: KeyRangeSpec, b: KeyRangeSpec): boolean {
  const aStartsBeforeBEnds = b.end === '' || compareBound(a.start, b.end) < 0;
  const bStartsBeforeAEnds = a.end === '' || compareBound(b.start, a.end) < 0;
  return aStartsBeforeBEnds && bStartsBeforeAEnds;
}
