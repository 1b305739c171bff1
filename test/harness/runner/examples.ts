/**
 * Examples scaled to the harness machine, shared by the test files that run them. Every change to an
 * example is here, one by one, and in docs/vitess-harness.md.
 */
import type { KubeObject } from '../../../lib/kube/object.ts';

/**
 * examples/multi-cell.yaml with fewer processes: the example asks for 32 tablets (4 shards x 2 cells x 4)
 * and 9 etcd members, which do not fit 2 cores and a few GB beside the rest.
 */
export function scaledMultiCell(example: KubeObject & { spec: any }): KubeObject {
  const spec = structuredClone(example.spec);
  // No S3 here: without backup storage a new tablet starts empty instead of restoring.
  delete spec.backupFlags;
  for (const cell of spec.cells) {
    if (cell.etcd) cell.etcd.size = 1; // 3 members per cell -> 1
    if (cell.vtctld) cell.vtctld.replicas = 1; // 2 -> 1
    if (cell.vtgate) cell.vtgate.replicas = 1; // 3 per data cell -> 1
  }
  const keyspace = spec.keyspaces[0];
  keyspace.shards = [{ keyRange: { start: '', end: '80' } }, { keyRange: { start: '80', end: '' } }]; // 4 shards -> 2
  keyspace.tablets.replica.replicas = 1; // 3 per cell -> 1: 2 primary-eligible tablets per shard, one in each data cell
  delete keyspace.tablets.rdonly; // 1 per cell -> none
  return { ...example, spec };
}

