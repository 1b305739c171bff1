/**
 * Tablet identity, kept exactly as the original example computed it (docs/vitess.md, "The original example"), so that
 * an installation keeps its names: UID = first 6 hex digits of md5("cell/keyspace/shard/type") * 100 + index.
 */

/** Vitess tablet types we create: `replica` (primary-eligible) and `rdonly`. */
export type TabletType = 'replica' | 'rdonly';

/** The rollout order: rdonly tablets first, replica (primary-eligible) last. */
export const TABLET_TYPES: readonly TabletType[] = ['rdonly', 'replica'];

/** Tablets per type per shard: the index is added to uid * 100. */
export const MAX_TABLETS_PER_TYPE = 100;

/** The UIDs of a pool of `count` tablets: one hash for the pool, then consecutive indexes. */
export function poolUids(cell: string, keyspace: string, shard: string, type: TabletType, count: number): number[] {
  const base = tabletUid(cell, keyspace, shard, type, 0);
  return Array.from({ length: count }, (_, index) => base + index);
}

export function tabletUid(cell: string, keyspace: string, shard: string, type: TabletType, index: number): number {
  // Bun's one-shot hasher: the same digest as node:crypto without a Hash object per call (one per tablet per sync).
  const digest = Bun.CryptoHasher.hash('md5', `${cell}/${keyspace}/${shard}/${type}`, 'hex');
  return Number.parseInt(digest.slice(0, 6), 16) * 100 + index;
}

/** The UID as Vitess prints it in aliases: 10 digits, zero padded. */
export function paddedUid(uid: number): string {
  return String(uid).padStart(10, '0');
}

/** The tablet alias `<cell>-<uid as 10 digits>`. */
export function tabletAlias(cell: string, uid: number): string {
  return `${cell}-${paddedUid(uid)}`;
}

/** A tablet's Pod and PVC name: `<cluster>-vttablet-<cell>-<uid as 10 digits>`. */
export function tabletObjectParts(cluster: string, cell: string, uid: number): string[] {
  return [cluster, 'vttablet', cell, paddedUid(uid)];
}

/**
 * The pool whose UID range holds `uid` in this shard (each pool's UIDs are its hash * 100 + index),
 * or undefined: a UID the operator did not compute for this cell, keyspace and shard.
 */
export function poolOfUid(cell: string, keyspace: string, shard: string, uid: number): TabletType | undefined {
  if (!Number.isInteger(uid)) return undefined;
  return TABLET_TYPES.find((type) => {
    const base = tabletUid(cell, keyspace, shard, type, 0);
    return uid >= base && uid < base + MAX_TABLETS_PER_TYPE;
  });
}
