/** vtgate: the MySQL-protocol query router of a cell (web 15000, gRPC 15999, MySQL 3306). */
import type { V1Deployment, V1PodDisruptionBudget, V1Service } from '@kubernetes/client-node';
import type { ResolvedComponentSpec } from '../api/passdown.ts';
import { flagArgs, serverFlags } from '../vitess/flags.ts';
import { cellComponentName } from '../vitess/names.ts';
import { PORTS } from '../vitess/ports.ts';
import type { CellScope } from './cell-scope.ts';
import { httpProbe, lenientLiveness } from './meta.ts';
import { componentDeployment, componentDisruptionBudget, componentService, containerPort, servicePort } from './workload.ts';

const COMPONENT = 'vtgate';

export function vtgateObjects(scope: CellScope, spec: ResolvedComponentSpec): (V1Service | V1Deployment | V1PodDisruptionBudget)[] {
  const name = cellComponentName(scope.cellObject, COMPONENT);
  const flags = {
    cell: scope.cell,
    'cells-to-watch': scope.cell,
    'tablet-types-to-wait': 'PRIMARY,REPLICA',
    'service-map': 'grpc-vtgateservice',
    'mysql-server-port': String(PORTS.mysql),
    // Buffer queries during a planned reparent, so a rollout's PlannedReparentShard is invisible to apps.
    'enable-buffer': 'true',
  };
  const deployment = componentDeployment({
    scope,
    name,
    component: COMPONENT,
    spec,
    command: ['/vt/bin/vtgate', ...flagArgs(serverFlags(scope.topology), flags, spec.extraFlags)],
    ports: [containerPort('web', PORTS.web), containerPort('grpc', PORTS.grpc), containerPort('mysql', PORTS.mysql)],
    readinessProbe: httpProbe('/debug/health', 'web'),
    livenessProbe: lenientLiveness(httpProbe('/debug/status', 'web')),
  });
  const service = componentService(scope, name, COMPONENT, spec, [
    servicePort('web', PORTS.web),
    servicePort('grpc', PORTS.grpc),
    servicePort('mysql', PORTS.mysql),
  ]);
  const budget = componentDisruptionBudget(scope, name, COMPONENT, spec.replicas);
  return budget === undefined ? [service, deployment] : [service, deployment, budget];
}
