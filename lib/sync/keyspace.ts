/** sync-keyspace: expands a VitessKeyspace into its children. (Placeholder until the layer lands: it refuses to answer.) */
import type { Layer } from './layer.ts';

export const keyspaceLayer: Layer = {
  name: 'sync-keyspace',
  parentKind: 'VitessKeyspace',
  sync() {
    throw new Error('sync-keyspace is not implemented yet');
  },
};
