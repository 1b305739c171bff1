/** vtgate: the MySQL-protocol query router of a cell (web 15000, gRPC 15999, MySQL 3306). */
import type { V2HorizontalPodAutoscaler, V2HorizontalPodAutoscalerBehavior, V2MetricSpec, V1Deployment, V1PodDisruptionBudget, V1Service } from '@kubernetes/client-node';
import type { ResolvedComponentSpec, ResolvedVtgateSpec } from '../api/passdown.ts';
import { flagArgs, serverFlags, VTGATE_MIN_TIME_BETWEEN_FAILOVERS_SECONDS } from '../vitess/flags.ts';
import { cellComponentName } from '../vitess/names.ts';
import { mysqlServerVersionFlag } from '../vitess/mysql.ts';
import { PORTS } from '../vitess/ports.ts';
import { grpcTls, mounted, mysqlTls, mysqlUsers, rotationAnnotations, topoTls } from './access.ts';
import type { CellScope } from './cell-scope.ts';
import { httpProbe, lenientLiveness, objectMeta } from './meta.ts';
import { componentDeployment, componentDisruptionBudget, componentService, containerPort, servicePort } from './workload.ts';

const COMPONENT = 'vtgate';

/**
 * `tabletCells`: every cell of the cluster that runs tablets. vtgate routes to tablets only in the
 * cells it watches, so watching its own cell alone would leave it no way to a primary elsewhere.
 */
export function vtgateObjects(scope: CellScope, spec: ResolvedVtgateSpec, tabletCells: readonly string[], mysqlServerVersion?: string): (V1Service | V1Deployment | V1PodDisruptionBudget | V2HorizontalPodAutoscaler)[] {
  const name = cellComponentName(scope.cellObject, COMPONENT);
  // Users, then TLS on the MySQL port, on gRPC (server, and client of the tablets) and to the topology.
  const access = mounted(mysqlUsers(scope.mysqlUsers), mysqlTls(scope.tls), grpcTls(scope.tls, COMPONENT, true), topoTls(scope.tls));
  const flags = {
    cell: scope.cell,
    'cells-to-watch': (tabletCells.length > 0 ? tabletCells : [scope.cell]).join(','),
    'tablet-types-to-wait': 'PRIMARY,REPLICA',
    'service-map': 'grpc-vtgateservice',
    'mysql-server-port': String(PORTS.mysql),
    // Without users (spec.mysqlUsers): without an explicit implementation vtgate looks for `static` and exits
    // ("no AuthServer name static registered"). `none` lets any user in: only in-cluster clients reach
    // the port then, since exposing it (a LoadBalancer or NodePort) without users is refused (lib/sync/exposure.ts).
    // With users, access.flags sets `static` and the file.
    'mysql-auth-server-impl': 'none',
    // Buffer queries during a planned reparent, so a rollout's PlannedReparentShard is invisible to apps.
    'enable-buffer': 'true',
    // Vitess' default, stated because the shard layer spaces its reparents by it.
    'buffer-min-time-between-failovers': `${VTGATE_MIN_TIME_BETWEEN_FAILOVERS_SECONDS}s`,
    // How often vtgate re-reads the tablet records (Vitess' default 1m). A recreated tablet registers
    // its new Pod IP, and a reshard's new shards start serving at the switch: vtgate routes to them only
    // after its next read, so the rollout waits and the switch's buffer (20 s) runs out. Cost: one read
    // of each watched cell's tablets per vtgate every 10 s.
    'tablet-refresh-interval': '10s',
    // The MySQL version behind it (lib/vitess/mysql.ts), not v24's fixed 8.4.6.
    ...mysqlServerVersionFlag(mysqlServerVersion),
  };
  const deployment = componentDeployment({
    scope,
    name,
    component: COMPONENT,
    spec,
    command: ['/vt/bin/vtgate', ...flagArgs(serverFlags(scope.topology), flags, access.flags, spec.extraFlags)],
    ports: [containerPort('web', PORTS.web), containerPort('grpc', PORTS.grpc), containerPort('mysql', PORTS.mysql)],
    // vtgate's /debug/health answers 200 even when unhealthy (its IsHealthy returns nil). vtgate
    // opens its MySQL listener only once it has started serving, after waiting for tablets: the port
    // answering is the readiness that matters to clients, and it fails when vtgate is not up.
    readinessProbe: { tcpSocket: { port: 'mysql' }, periodSeconds: 10 },
    livenessProbe: lenientLiveness(httpProbe('/debug/status', 'web')),
    volumes: access.volumes,
    volumeMounts: access.volumeMounts,
    podAnnotations: rotationAnnotations(scope.tls, scope.tls?.mysql !== undefined || scope.tls?.grpc !== undefined),
    autoscaled: spec.autoscaling !== undefined,
  });
  // Inside the cluster: every port, under the name in-cluster clients and vtadmin use. Always ClusterIP;
  // `service.annotations` go on the Service that `service.type` shapes (this one unless exposed).
  const external = vtgateExternalService(scope, spec);
  const internal = componentService(scope, name, COMPONENT, external === undefined ? { service: { annotations: spec.service?.annotations } } : {}, [
    servicePort('web', PORTS.web),
    servicePort('grpc', PORTS.grpc),
    servicePort('mysql', PORTS.mysql),
  ]);
  // Autoscaled, the fewest replicas there can be is the HPA's minimum.
  const budget = componentDisruptionBudget(scope, name, COMPONENT, spec.autoscaling === undefined ? spec.replicas : minReplicas(spec.autoscaling));
  const autoscaler = spec.autoscaling === undefined ? [] : [vtgateAutoscaler(scope, name, spec.autoscaling)];
  return [internal, ...(external === undefined ? [] : [external]), deployment, ...(budget === undefined ? [] : [budget]), ...autoscaler];
}

/** Kubernetes' default minReplicas of an HPA. */
function minReplicas(autoscaling: NonNullable<ResolvedVtgateSpec['autoscaling']>): number {
  return autoscaling.minReplicas ?? 1;
}

/** Without metrics: scale on CPU, at 70 % of the request on average (vtgate's work is CPU-bound routing). */
const DEFAULT_CPU_UTILIZATION = 70;

/** The user's HorizontalPodAutoscaler over vtgate's Deployment (autoscaling/v2). */
function vtgateAutoscaler(scope: CellScope, name: string, autoscaling: NonNullable<ResolvedVtgateSpec['autoscaling']>): V2HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: objectMeta(scope, name, COMPONENT),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: minReplicas(autoscaling),
      maxReplicas: autoscaling.maxReplicas,
      // autoscaling/v2's own shapes, carried as written: the API server checks them.
      metrics: (autoscaling.metrics as V2MetricSpec[] | undefined) ?? [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } },
      ],
      ...(autoscaling.behavior === undefined ? {} : { behavior: autoscaling.behavior as V2HorizontalPodAutoscalerBehavior }),
    },
  };
}

/**
 * The Service that exposes vtgate outside the cluster, when `service.type` asks for it
 * (LoadBalancer or NodePort): the MySQL port only. gRPC (15999) and the web port (15000: debug pages,
 * /debug/querylogz, /debug/env) answer anyone who reaches them, whatever `mysqlUsers` says, so they stay
 * on the internal Service. The cell layer refuses such a type without `mysqlUsers` (lib/sync/exposure.ts).
 */
export function vtgateExternalService(scope: CellScope, spec: { service?: ResolvedComponentSpec['service'] }): V1Service | undefined {
  if (!isExposed(spec.service?.type)) return undefined;
  return componentService(scope, vtgateExternalServiceName(scope.cellObject), COMPONENT, spec, [servicePort('mysql', PORTS.mysql)]);
}

/** A Service type that reaches outside the cluster: a node port on every node, or a cloud load balancer. */
export function isExposed(type: string | undefined): boolean {
  return type === 'LoadBalancer' || type === 'NodePort';
}

/** `<cell object>-vtgate-external`: vtgate's MySQL port outside the cluster. */
export function vtgateExternalServiceName(cellObject: string): string {
  return cellComponentName(cellObject, `${COMPONENT}-external`);
}
