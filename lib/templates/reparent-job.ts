/**
 * The Job that moves the primary away from a tablet before the tablet restarts or goes away:
 * `PlannedReparentShard --avoid-primary=<alias>` is a no-op when the tablet is not the primary, so the
 * primary is moved last, on purpose, and never by surprise.
 */
import type { V1Job } from '@kubernetes/client-node';
import { reparentJobName } from '../vitess/names.ts';
import { type TabletIdentity, tabletLabels, type TabletScope } from './tablet.ts';
import { vtctldclientJob } from './vtctldclient-job.ts';

/** The tablet revision the Job was made for; a Job for another revision is stale. */
export const REPARENT_FOR_ANNOTATION = 'vitess.io/reparent-for';

export function reparentJob(scope: TabletScope, tablet: TabletIdentity, alias: string, image: string, vtctldAddress: string, forRevision: string): V1Job {
  return vtctldclientJob({
    scope,
    name: reparentJobName(tablet.name),
    component: 'reparent',
    image,
    vtctldAddress,
    tls: scope.tls,
    run: { args: ['PlannedReparentShard', `--avoid-primary=${alias}`, `${scope.keyspace}/${scope.shard}`] },
    labels: tabletLabels(tablet),
    annotations: { [REPARENT_FOR_ANNOTATION]: forRevision },
    // A failed reparent must stop the rollout rather than be retried forever: a few tries, then Failed.
    backoffLimit: 3,
  });
}
