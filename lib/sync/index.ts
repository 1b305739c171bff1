/** The four layers, top down. */
import { cellLayer } from './cell.ts';
import { clusterLayer } from './cluster.ts';
import { keyspaceLayer } from './keyspace.ts';
import type { Layer } from './layer.ts';
import { shardLayer } from './shard.ts';

export const layers: readonly Layer[] = [clusterLayer, cellLayer, keyspaceLayer, shardLayer];
