/**
 * vtorc: the Vitess orchestrator that repairs replication and elects primaries (the seed's
 * `orchestrator`). One per tablet cell, watching the keyspaces deployed there.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { ResolvedComponentSpec } from '../api/passdown.ts';
import { flagArgs, topoFlags } from '../vitess/flags.ts';
import { cellComponentName } from '../vitess/names.ts';
import { PORTS } from '../vitess/ports.ts';
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
  return componentDeployment({
    scope,
    name: cellComponentName(scope.cellObject, COMPONENT),
    component: COMPONENT,
    spec,
    command: ['/vt/bin/vtorc', ...flagArgs(flags, spec.extraFlags)],
    ports: [containerPort('web', PORTS.web)],
    // vtorc's /debug/health answers 500 when its health test fails (go/vt/vtorc/server/api.go).
    readinessProbe: httpProbe('/debug/health', 'web'),
    livenessProbe: lenientLiveness(httpProbe('/debug/liveness', 'web')),
  });
}
