/**
 * What a spec may expose outside the cluster (docs/security.md, docs/decisions/0020-exposure-and-credentials.md).
 * A Service of type LoadBalancer or NodePort answers whoever reaches a node or the load balancer:
 * - vtgate's MySQL port only with MySQL users (`mysqlUsers`): without them vtgate runs
 *   `--mysql-auth-server-impl=none`, where anyone logs in as anyone;
 * - vtctld never: its gRPC and web ports run any administrative action (a reparent, a keyspace
 *   deletion) for anyone who reaches them, and its web port has no authentication even with `tls.grpc`.
 * And the topology's TLS (`tls.etcd`) only where the operator runs etcd itself: etcd-operator's
 * EtcdCluster takes its certificates in Secrets of its own layout (static TLS), which we do not map.
 * Checked at the VitessCluster and again at the VitessCell, which can be written directly.
 */
import type { MysqlUsersSpec, TlsSpec } from '../api/access.ts';
import type { ComponentSpec } from '../api/common.ts';
import { isExposed } from '../templates/vtgate.ts';

/** The components of one cell that have a Service, and where they sit in the spec (`spec.cells[0]`, `spec`). */
export interface CellServices {
  path: string;
  vtgate?: Pick<ComponentSpec, 'service'>;
  vtctld?: Pick<ComponentSpec, 'service'>;
  etcd?: { provider?: string };
}

/** Each Service the spec would expose without the protection it needs, as `path: message` with the fix. */
export function exposureProblems(cell: CellServices, mysqlUsers: MysqlUsersSpec | undefined, tls: TlsSpec | undefined): string[] {
  const problems: string[] = [];
  if (tls?.etcd !== undefined && cell.etcd?.provider === 'etcd-operator') {
    problems.push(`${cell.path}.etcd.provider: (etcd-operator) not supported with spec.tls.etcd: an EtcdCluster takes its certificates in Secrets of its own layout; use provider builtin`);
  }
  const vtgateType = cell.vtgate?.service?.type;
  if (isExposed(vtgateType) && mysqlUsers === undefined) {
    problems.push(
      `${cell.path}.vtgate.service.type: (${vtgateType}) would open vtgate's MySQL port outside the cluster to anyone, as any user: ` +
        `set spec.mysqlUsers (a Secret with vtgate's users, docs/access.md) or use type ClusterIP`,
    );
  }
  const vtctldType = cell.vtctld?.service?.type;
  if (isExposed(vtctldType)) {
    problems.push(
      `${cell.path}.vtctld.service.type: (${vtctldType}) would let anyone outside the cluster run any vtctld action (its ports have no authentication of their own): ` +
        `use type ClusterIP and reach vtctld with kubectl port-forward, or vtadmin behind your own authentication`,
    );
  }
  return problems;
}
