/**
 * The headless Service of a cell's tablets: each tablet Pod sets `subdomain` to it, which gives the
 * tablet a stable DNS name. Not-ready tablets are published, since replication needs them before they serve.
 */
import type { V1Service } from '@kubernetes/client-node';
import { componentSelector } from '../vitess/labels.ts';
import { tabletServiceName } from '../vitess/names.ts';
import { PORTS } from '../vitess/ports.ts';
import type { CellScope } from './cell-scope.ts';
import { objectMeta } from './meta.ts';
import { servicePort } from './workload.ts';

export const TABLET_COMPONENT = 'vttablet';

export function tabletService(scope: CellScope): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(scope, tabletServiceName(scope.cluster, scope.cell), TABLET_COMPONENT),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: componentSelector({ cluster: scope.cluster, cell: scope.cell }, TABLET_COMPONENT),
      ports: [servicePort('web', PORTS.web), servicePort('grpc', PORTS.grpc)],
    },
  };
}
