/**
 * vtorc: the Vitess orchestrator that repairs replication and elects primaries (the seed's
 * `orchestrator`). One per tablet cell, watching the keyspaces deployed there.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { ResolvedComponentSpec } from '../api/passdown.ts';
import { flagArgs, topoFlags } from '../vitess/flags.ts';
import { cellComponentName } from '../vitess/names.ts';
import { PORTS } from '../vitess/ports.ts';
import { grpcTls, mounted, rotationAnnotations, topoTls } from './access.ts';
import type { CellScope } from './cell-scope.ts';
import { httpProbe, lenientLiveness } from './meta.ts';
import { componentDeployment, containerPort } from './workload.ts';

const COMPONENT = 'vtorc';

export function vtorcDeployment(scope: CellScope, spec: ResolvedComponentSpec, keyspaces: readonly string[]): V1Deployment {
  const flags = {
    port: String(PORTS.web),
    ...topoFlags(scope.topology),
    // Mandatory since Vitess v25: the cell vtorc reads its tablets from.
    cell: scope.cell,
    'clusters-to-watch': keyspaces.join(','),
  };
  // vtorc serves no gRPC: it is only a client of the tablets' tablet manager.
  const tls = mounted(grpcTls(scope.tls, COMPONENT, false), topoTls(scope.tls));
  return componentDeployment({
    scope,
    name: cellComponentName(scope.cellObject, COMPONENT),
    component: COMPONENT,
    spec,
    command: ['/vt/bin/vtorc', ...flagArgs(flags, tls.flags, spec.extraFlags)],
    ports: [containerPort('web', PORTS.web)],
    // vtorc's /debug/health answers 500 when its health test fails (go/vt/vtorc/server/api.go).
    readinessProbe: httpProbe('/debug/health', 'web'),
    livenessProbe: lenientLiveness(httpProbe('/debug/liveness', 'web')),
    podAnnotations: rotationAnnotations(scope.tls, scope.tls?.grpc !== undefined),
    volumes: tls.volumes,
    volumeMounts: tls.volumeMounts,
  });
}
