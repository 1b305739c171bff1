/**
 * Object names of the Vitess tree, as the original example named them (docs/vitess.md, "The original example"), each
 * fitted to its kind's length limit by lib/kube/names.ts.
 */
import { objectName, STATEFULSET_NAME_MAX } from '../kube/names.ts';
import { PORTS } from './ports.ts';
import { shardNamePart } from './shards.ts';
import { tabletObjectParts } from './tablets.ts';

/** VitessCell `<cluster>-<cell>`. */
export function cellObjectName(cluster: string, cell: string): string {
  return objectName([cluster, cell]);
}

/** VitessKeyspace `<cell object>-<keyspace>`. */
export function keyspaceObjectName(cellObject: string, keyspace: string): string {
  return objectName([cellObject, keyspace]);
}

/** VitessShard `<keyspace object>-<start or x>-<end or x>`, or `<keyspace object>-0`. */
export function shardObjectName(keyspaceObject: string, shard: string): string {
  return objectName([keyspaceObject, shardNamePart(shard)]);
}

/** A cell component: `<cell object>-vtctld`, `-vtgate`, `-vtorc`, `-cell-info`, `-etcd-client`. */
export function cellComponentName(cellObject: string, component: string): string {
  return objectName([cellObject, component]);
}

/** The etcd StatefulSet and its headless peer Service, kept short enough for StatefulSet Pod labels. */
export function etcdName(cellObject: string): string {
  return objectName([cellObject, 'etcd'], STATEFULSET_NAME_MAX);
}

/** The etcd client Service, also the topology address host. etcd-operator names its client Service the same way. */
export function etcdClientServiceName(cellObject: string): string {
  return `${etcdName(cellObject)}-client`;
}

/** `host:2379` of a cell's topology etcd. */
export function etcdClientAddress(cellObject: string): string {
  return `${etcdClientServiceName(cellObject)}:${PORTS.etcdClient}`;
}

/** A cell's root in the topology, `/vitess/<cell>` (docs/vitess.md, "Today's Vitess"). */
export function topologyRoot(cell: string): string {
  return `/vitess/${cell}`;
}

/** The global topology's root by default: `/vitess/global`. */
export const GLOBAL_TOPOLOGY_ROOT = topologyRoot('global');

/** The headless Service that gives tablets of a cell their DNS names: `<cluster>-vttablet-<cell>`. */
export function tabletServiceName(cluster: string, cell: string): string {
  return objectName([cluster, 'vttablet', cell]);
}

/** A tablet's Pod and PVC: `<cluster>-vttablet-<cell>-<uid as 10 digits>`. */
export function tabletName(cluster: string, cell: string, uid: number): string {
  return objectName(tabletObjectParts(cluster, cell, uid));
}

/** The Job that moves the primary away from a tablet before it restarts. */
export function reparentJobName(tablet: string): string {
  return objectName([tablet, 'reparent']);
}

/** The Job that asks a tablet's mysqld for a slow shutdown before a MySQL line change. */
export function slowShutdownJobName(tablet: string): string {
  return objectName([tablet, 'slow-shutdown']);
}
