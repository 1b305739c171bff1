/**
 * Creates a keyspace's record in the global topology with its durability policy, or sets the policy
 * on the record a vttablet already created. vtorc ignores a keyspace without a durability policy
 * ("ignoring keyspace ... because no durability_policy is set"), and vtorc is what elects the first
 * primary of each shard in Vitess v24: without this Job no shard ever gets one.
 *
 * Idempotent, so every cell of the keyspace runs its own copy: CreateKeyspace fails when the record
 * exists (a tablet or another cell's Job made it first), which is fine; SetKeyspaceDurabilityPolicy
 * then fails only if there is still no record, and the Job retries.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { DurabilityPolicyValue } from '../api/cluster.ts';
import { keyspaceObjectName, cellComponentName } from '../vitess/names.ts';
import type { CellScope } from './cell-scope.ts';
import { vtctldclientJob } from './vtctldclient-job.ts';

export const KEYSPACE_JOB_COMPONENT = 'keyspace';

export function keyspaceJob(scope: CellScope, keyspace: string, durabilityPolicy: DurabilityPolicyValue): V1Job {
  return vtctldclientJob({
    scope: { ...scope, keyspace },
    name: cellComponentName(keyspaceObjectName(scope.cellObject, keyspace), KEYSPACE_JOB_COMPONENT),
    component: KEYSPACE_JOB_COMPONENT,
    image: scope.vitessImage,
    vtctldAddress: scope.vtctldAddress,
    tls: scope.tls,
    // vtctld may not be up yet when the Job starts: retry for a while rather than fail.
    backoffLimit: 20,
    run: {
      script: [
        'vtctldclient GetKeyspace "$KEYSPACE" >/dev/null 2>&1 || vtctldclient CreateKeyspace --durability-policy="$DURABILITY_POLICY" "$KEYSPACE" || true',
        'vtctldclient SetKeyspaceDurabilityPolicy --durability-policy="$DURABILITY_POLICY" "$KEYSPACE"',
      ].join('\n'),
      values: { KEYSPACE: keyspace, DURABILITY_POLICY: durabilityPolicy },
    },
  });
}
