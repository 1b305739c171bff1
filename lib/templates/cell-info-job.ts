/**
 * Registers a cell in the global topology (its root and topology address), so vtgates and tablets of
 * the cell can find each other. Idempotent: updates the CellInfo when it exists, adds it otherwise.
 */
import type { V1Job } from '@kubernetes/client-node';
import { cellComponentName } from '../vitess/names.ts';
import type { CellScope } from './cell-scope.ts';
import { vtctldclientJob } from './vtctldclient-job.ts';

export function cellInfoJob(scope: CellScope): V1Job {
  const { cell, topology } = scope;
  const register = '--root="$CELL_ROOT" --server-address="$CELL_ADDRESS" "$CELL"';
  return vtctldclientJob({
    scope,
    name: cellComponentName(scope.cellObject, 'cell-info'),
    component: 'cell-info',
    image: scope.vitessImage,
    vtctldAddress: scope.vtctldAddress,
    tls: scope.tls,
    // vtctld may not be up yet when the Job starts: retry for a while rather than fail.
    backoffLimit: 20,
    run: {
      script: [`if vtctldclient GetCellInfo "$CELL" >/dev/null 2>&1; then`, `  vtctldclient UpdateCellInfo ${register}`, 'else', `  vtctldclient AddCellInfo ${register}`, 'fi'].join('\n'),
      values: { CELL: cell, CELL_ROOT: topology.cell.root, CELL_ADDRESS: topology.cell.address },
    },
  });
}
