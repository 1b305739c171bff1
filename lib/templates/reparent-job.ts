/**
 * The PlannedReparentShard Jobs of a rollout. Two forms:
 * - `--new-primary=<alias>`: with the Vitess state (lib/vitess/state.ts) the hook knows the primary
 *   and moves it once per shard, onto a replica it already updated and vtgate serves from;
 * - `--avoid-primary=<alias>`: without it, before every primary-eligible tablet; a no-op when the
 *   tablet is not the primary, so the primary is moved last, on purpose, and never by surprise.
 * The aliases and the keyspace/shard reach the script as environment variables, never as its text.
 */
import type { V1Job } from '@kubernetes/client-node';
import { reparentJobName } from '../vitess/names.ts';
import { type TabletIdentity, tabletLabels, type TabletScope } from './tablet.ts';
import { vtctldclientJob } from './vtctldclient-job.ts';

/** The tablet revision the Job was made for; a Job for another revision is stale. */
export const REPARENT_FOR_ANNOTATION = 'vitess.io/reparent-for';

/** The environment variables the Jobs' script reads (the simulator's fake Vitess reads them too). */
export const REPARENT_ENV = { newPrimary: 'NEW_PRIMARY', avoidPrimary: 'AVOID_PRIMARY', shard: 'SHARD' } as const;

/** What a reparent Job does: move the primary onto a named tablet, or away from one. */
export type ReparentTarget = { newPrimary: string } | { avoidPrimary: string };

export function reparentJob(scope: TabletScope, tablet: TabletIdentity, target: ReparentTarget, image: string, vtctldAddress: string, forRevision: string): V1Job {
  const onto = 'newPrimary' in target;
  return vtctldclientJob({
    scope,
    name: reparentJobName(tablet.name),
    component: 'reparent',
    image,
    vtctldAddress,
    tls: scope.tls,
    // Away from a primary, Vitess promotes only within its cell unless told otherwise
    // (reparentutil.ElectNewPrimary: "not in the same cell as the previous primary"); a cell with no
    // other replica (examples/multi-cell.yaml scaled to one replica per cell) needs the second try.
    run: {
      script: onto
        ? 'vtctldclient PlannedReparentShard --new-primary="$NEW_PRIMARY" "$SHARD"'
        : 'vtctldclient PlannedReparentShard --avoid-primary="$AVOID_PRIMARY" "$SHARD" || vtctldclient PlannedReparentShard --avoid-primary="$AVOID_PRIMARY" --allow-cross-cell-promotion "$SHARD"',
      values: {
        ...(onto ? { [REPARENT_ENV.newPrimary]: target.newPrimary } : { [REPARENT_ENV.avoidPrimary]: target.avoidPrimary }),
        [REPARENT_ENV.shard]: `${scope.keyspace}/${scope.shard}`,
      },
    },
    labels: tabletLabels(tablet),
    annotations: { [REPARENT_FOR_ANNOTATION]: forRevision },
    // A failed reparent must stop the rollout rather than be retried forever: a few tries, then Failed.
    backoffLimit: 3,
  });
}
