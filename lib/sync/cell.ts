/** sync-cell: expands a VitessCell into its children. (Placeholder until the layer lands: it refuses to answer.) */
import type { Layer } from './layer.ts';

export const cellLayer: Layer = {
  name: 'sync-cell',
  parentKind: 'VitessCell',
  sync() {
    throw new Error('sync-cell is not implemented yet');
  },
};
