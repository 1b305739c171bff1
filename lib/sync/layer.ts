/**
 * The contract between a layer's pure sync function and the transport around it.
 * A layer is a parent kind plus a pure function from the parsed request to the answer.
 */
import type { KIND as CLUSTER_KIND } from '../api/cluster.ts';
import type { KIND as CELL_KIND } from '../api/cell.ts';
import type { KIND as KEYSPACE_KIND } from '../api/keyspace.ts';
import type { KIND as SHARD_KIND } from '../api/shard.ts';
import type { SyncRequest, SyncResponse } from '../metacontroller/request.ts';

export interface SyncContext {
  /** The clock, passed in so that the same request gives the same answer. */
  now: Date;
  /**
   * The namespace the hook server runs in (configuration: HOOK_OPERATOR_NAMESPACE). A Vitess object
   * there is InvalidSpec: its Pods could carry the hook Pods' labels and join the hook Service.
   */
  operatorNamespace?: string;
}

export interface Layer {
  /** The hook's name and URL path segment: `sync-shard` is served at `POST /sync-shard`. */
  name: 'sync-cluster' | 'sync-cell' | 'sync-keyspace' | 'sync-shard';
  /** The parent kind this hook syncs; a request for another kind is malformed. */
  parentKind: typeof CLUSTER_KIND | typeof CELL_KIND | typeof KEYSPACE_KIND | typeof SHARD_KIND;
  sync(request: SyncRequest, context: SyncContext): SyncResponse;
}
