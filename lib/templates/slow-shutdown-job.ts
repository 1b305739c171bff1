/**
 * The Job that makes a tablet's next mysqld shutdown a slow one before the tablet restarts on another
 * MySQL line (8.0 -> 8.4, 8.4 -> 9.7): `SET GLOBAL innodb_fast_shutdown=0`, through vtctld
 * (`ExecuteFetchAsDBA`, as vt_dba on the tablet's own mysqld). With it, mysqld purges and merges its
 * change buffer before it stops, so the new server's in-place upgrade starts from clean files (MySQL's
 * upgrade guide asks for this before a change of line). The variable is dynamic; it holds until the
 * server stops, which the rollout makes happen next.
 *
 * Why a Job and not a preStop step: a Pod's spec cannot change once it exists, and whether its next
 * stop needs to be slow is known only when the image edit arrives, long after the Pod was made.
 */
import type { V1Job } from '@kubernetes/client-node';
import { slowShutdownJobName } from '../vitess/names.ts';
import { type TabletIdentity, tabletLabels, type TabletScope } from './tablet.ts';
import { vtctldclientJob } from './vtctldclient-job.ts';

/** The tablet revision the Job was made for; a Job for another revision is stale. */
export const SLOW_SHUTDOWN_FOR_ANNOTATION = 'vitess.io/slow-shutdown-for';

/** The statement, fixed text: `innodb_fast_shutdown=0` is a full purge and change buffer merge at shutdown. */
export const SLOW_SHUTDOWN_SQL = 'SET GLOBAL innodb_fast_shutdown=0';

export function slowShutdownJob(scope: TabletScope, tablet: TabletIdentity, alias: string, image: string, vtctldAddress: string, forRevision: string): V1Job {
  return vtctldclientJob({
    scope,
    name: slowShutdownJobName(tablet.name),
    component: 'slow-shutdown',
    image,
    vtctldAddress,
    tls: scope.tls,
    run: { script: 'vtctldclient ExecuteFetchAsDBA "$TABLET_ALIAS" "$SQL"', values: { TABLET_ALIAS: alias, SQL: SLOW_SHUTDOWN_SQL } },
    labels: tabletLabels(tablet),
    annotations: { [SLOW_SHUTDOWN_FOR_ANNOTATION]: forRevision },
    // A tablet that cannot take the statement must stop the rollout, not restart into an upgrade unclean.
    backoffLimit: 3,
  });
}
