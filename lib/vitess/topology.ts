/**
 * What vtctldclient (v24) says about the topology records the operator deletes, for the scripts of
 * its clean-up Jobs (lib/templates/topology-jobs.ts).
 */

/**
 * The topology server's NoNode error text (go/vt/topo/errors.go: "node doesn't exist: <path>"), which
 * vtctldclient prints when a record is absent. Get* commands fail with it; a clean-up that finds it
 * has nothing to do.
 */
export const TOPO_NO_NODE = "node doesn't exist";

/**
 * DeleteShards without --recursive refuses a shard that still has tablet records in a cell
 * (go/vt/vtctl/grpcvtctldserver/topo.go deleteShardCell: "Shard k/s still hase N tablets in cell c;
 * use Recursive = true ..."). The part of the message every version shares.
 */
export const SHARD_HAS_TABLETS = 'tablets in cell';

/**
 * RemoveShardCell refuses a shard that is not in the cell's SrvKeyspace (topo.go removeShardCell:
 * "shard k/s does not have serving cell c"): nothing to take out of the serving graph there.
 */
export const SHARD_NOT_SERVING_IN_CELL = 'does not have serving cell';

/**
 * DeleteKeyspace without --recursive refuses a keyspace that still has shards (grpcvtctldserver
 * DeleteKeyspace: "keyspace k still has N shards; use Recursive=true ..."); without shards it deletes
 * the keyspace's SrvKeyspace in every cell, then its record.
 */
export const KEYSPACE_HAS_SHARDS = 'still has';

/**
 * DeleteCellInfo without --force refuses a cell whose topology still lists a keyspace (go/vt/topo/cell_info.go:
 * "cell c has serving keyspaces. Before deleting, ..."). It lists the cell's keyspaces directory, so a
 * keyspace's leftover ShardReplication there (a shard that never served in the cell) counts too.
 */
export const CELL_HAS_KEYSPACES = 'has serving keyspaces';
