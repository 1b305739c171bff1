/**
 * vtctld: the Vitess control daemon (web 15000, gRPC 15999), as a Service, a ConfigMap and a Deployment.
 * The ConfigMap carries the topology connection, for vtctld and for people and tools that need it
 * (`kubectl get cm <cell>-vtctld`); a hash of it in the Pod template rolls vtctld when it changes.
 */
import type { V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import type { ResolvedComponentSpec } from '../api/passdown.ts';
import { shortHash } from '../kube/hash.ts';
import { flagArgs, serverFlags, topoFlags } from '../vitess/flags.ts';
import { cellComponentName } from '../vitess/names.ts';
import { PORTS } from '../vitess/ports.ts';
import { grpcTls, mounted, rotationAnnotations, topoTls } from './access.ts';
import { backupStorage, vtctldBackupFlags } from './backup.ts';
import type { CellScope } from './cell-scope.ts';
import { httpProbe, lenientLiveness, objectMeta } from './meta.ts';
import { componentDeployment, componentService, containerPort, servicePort } from './workload.ts';

const COMPONENT = 'vtctld';

export function vtctldObjects(scope: CellScope, spec: ResolvedComponentSpec): [V1Service, V1ConfigMap, V1Deployment] {
  const name = cellComponentName(scope.cellObject, COMPONENT);
  const config = vtctldConfigMap(scope, name);
  const tls = mounted(grpcTls(scope.tls, COMPONENT, true), topoTls(scope.tls));
  // The readiness probe's vtctldclient is a gRPC client of this vtctld like any other.
  const probeTls = grpcTls(scope.tls, 'vtctldclient', false);
  // vtctld lists and removes backups (GetBackups, RemoveBackup): it reads the storage too.
  const storage = backupStorage(scope.backup);
  const deployment = componentDeployment({
    scope,
    name,
    component: COMPONENT,
    spec,
    command: [
      '/vt/bin/vtctld',
      // No `--cell`: a no-op for vtctld in v24, removed in v26.
      ...flagArgs(serverFlags(scope.topology), { 'service-map': 'grpc-vtctl,grpc-vtctld' }, tls.flags, vtctldBackupFlags(scope.backup, scope.backupFlags), spec.extraFlags),
    ],
    env: storage.env.length > 0 ? storage.env : undefined,
    volumes: [...tls.volumes, ...storage.volumes],
    volumeMounts: [...tls.volumeMounts, ...storage.mounts],
    ports: [containerPort('web', PORTS.web), containerPort('grpc', PORTS.grpc)],
    envFrom: [{ configMapRef: { name } }],
    // vtctld's /debug/health answers 200 with the body "not ok" when the topology is unreachable, and
    // a probe reads only the status code. vtctldclient GetKeyspaces makes the same check (a topology
    // read through vtctld's gRPC) and exits non-zero when it fails.
    readinessProbe: {
      exec: { command: ['/vt/bin/vtctldclient', ...flagArgs({ server: `localhost:${PORTS.grpc}` }, probeTls.flags), 'GetKeyspaces'] },
      periodSeconds: 10,
      timeoutSeconds: 5,
    },
    livenessProbe: lenientLiveness(httpProbe('/debug/status', 'web')),
    podAnnotations: { 'vitess.io/config-hash': shortHash(config.data), ...rotationAnnotations(scope.tls, scope.tls?.grpc !== undefined) },
  });
  return [componentService(scope, name, COMPONENT, spec, [servicePort('web', PORTS.web), servicePort('grpc', PORTS.grpc)]), config, deployment];
}

function vtctldConfigMap(scope: CellScope, name: string): V1ConfigMap {
  const topo = topoFlags(scope.topology);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(scope, name, COMPONENT),
    data: {
      TOPO_IMPLEMENTATION: topo['topo-implementation'] ?? '',
      TOPO_GLOBAL_SERVER_ADDRESS: topo['topo-global-server-address'] ?? '',
      TOPO_GLOBAL_ROOT: topo['topo-global-root'] ?? '',
      VTCTLD_ADDRESS: scope.vtctldAddress,
    },
  };
}
