/** sync-cluster: expands a VitessCluster into its children. (Placeholder until the layer lands: it refuses to answer.) */
import type { Layer } from './layer.ts';

export const clusterLayer: Layer = {
  name: 'sync-cluster',
  parentKind: 'VitessCluster',
  sync() {
    throw new Error('sync-cluster is not implemented yet');
  },
};
