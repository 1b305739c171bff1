/** sync-shard: expands a VitessShard into its children. (Placeholder until the layer lands: it refuses to answer.) */
import type { Layer } from './layer.ts';

export const shardLayer: Layer = {
  name: 'sync-shard',
  parentKind: 'VitessShard',
  sync() {
    throw new Error('sync-shard is not implemented yet');
  },
};
