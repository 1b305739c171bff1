/**
 * Vitess labels: identity labels say where an object sits in the Vitess tree (the user's template
 * labels travel down beside them). Selectors of Deployments, StatefulSets and PDBs use identity labels
 * only, because those never change for an existing object, and selectors are immutable.
 */
import type { Labels } from '../kube/labels.ts';
import { labelValue } from '../kube/names.ts';
import { shardNamePart } from './shards.ts';

export const LABEL = {
  cluster: 'vitess.io/cluster',
  cell: 'vitess.io/cell',
  keyspace: 'vitess.io/keyspace',
  shard: 'vitess.io/shard',
  component: 'vitess.io/component',
  tabletUid: 'vitess.io/tablet-uid',
  tabletType: 'vitess.io/tablet-type',
} as const;

/** Where an object sits: the cluster, and the cell, keyspace and shard below it when they apply. */
export interface Identity {
  cluster: string;
  cell?: string;
  keyspace?: string;
  /** The Vitess shard name (`-80`); labels carry its object-name form (`x-80`), as `-80` is no valid label value. */
  shard?: string;
}

export function identityLabels(identity: Identity): Labels {
  const labels: Record<string, string> = { [LABEL.cluster]: labelValue(identity.cluster) };
  if (identity.cell !== undefined) labels[LABEL.cell] = labelValue(identity.cell);
  if (identity.keyspace !== undefined) labels[LABEL.keyspace] = labelValue(identity.keyspace);
  if (identity.shard !== undefined) labels[LABEL.shard] = labelValue(shardNamePart(identity.shard));
  return labels;
}

/** Identity labels plus a component: what a workload's selector matches. */
export function componentSelector(identity: Identity, component: string): Labels {
  return { ...identityLabels(identity), [LABEL.component]: component };
}
