/**
 * The Jobs of a declarative reshard (docs/decisions/0024-declarative-reshard.md), one per step of
 * Vitess' Reshard workflow, each complete only when Vitess reports the step's condition, and each safe
 * to run again: it first reads the workflow and exits 0 when the step is already done.
 *
 * vtctldclient v24: `Reshard --workflow W --target-keyspace K <create|status|show|switchtraffic|complete|cancel>`
 * (go/cmd/vtctldclient/command/vreplication/reshard). `status --format=json` prints each stream's `status` (Copying,
 * Running, Error, ...) and the workflow's `traffic_state` ("Reads Not Switched. Writes Not Switched",
 * "All Reads Switched. Writes Not Switched", "All Reads Switched. Writes Switched");
 * `show` prints the workflow with `max_v_replication_lag` (seconds). protojson's spacing varies by
 * build, so outputs are matched with their whitespace removed.
 *
 * `reversetraffic` takes the same flags as `switchtraffic` (common/switchtraffic.go). Vitess
 * (workflow.Server.WorkflowSwitchTraffic) reverses writes through the `<W>_reverse` workflow that the
 * write switch started, which also restarts W from the targets' position; reads alone it reverses on W
 * itself. It refuses to reverse a tablet type that was not switched, and `cancel` (WorkflowDelete)
 * refuses while writes are switched: each reverse step runs only when its traffic is switched.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { TlsSpec } from '../api/access.ts';
import { objectName } from '../kube/names.ts';
import type { Scope } from './meta.ts';
import { vtctldclientJob } from './vtctldclient-job.ts';

export const RESHARD_COMPONENT = 'reshard';
/** The target set a reshard Job was made for: a Job made for another set is obsolete. */
export const RESHARD_TARGETS_ANNOTATION = 'vitess.io/reshard-targets';
/** The step a reshard Job runs. */
export const RESHARD_STEP_LABEL = 'vitess.io/reshard-step';

export type ReshardStep = 'create' | 'wait-for-copy' | 'switch-reads' | 'switch-writes' | 'complete' | 'cancel' | 'reverse-writes' | 'reverse-reads';

/** The forward steps, in order. */
export const RESHARD_STEPS: readonly ReshardStep[] = ['create', 'wait-for-copy', 'switch-reads', 'switch-writes', 'complete'];
/** The steps that take traffic back to the sources, in order: the forward switches undone last first. */
export const REVERSE_STEPS: readonly ReshardStep[] = ['reverse-writes', 'reverse-reads'];
/** The steps that move traffic, either way. */
export const SWITCH_STEPS: readonly ReshardStep[] = ['switch-reads', 'switch-writes', ...REVERSE_STEPS];

export function reshardJobName(keyspaceObject: string, step: ReshardStep): string {
  return objectName([keyspaceObject, RESHARD_COMPONENT, step]);
}

export interface ReshardJob {
  scope: Scope & { cell: string; keyspace: string };
  keyspaceObject: string;
  step: ReshardStep;
  workflow: string;
  sources: readonly string[];
  targets: readonly string[];
  maxLagSeconds: number;
  image: string;
  vtctldAddress: string;
  tls?: TlsSpec;
}

const RESHARD = 'vtctldclient Reshard --workflow "$WORKFLOW" --target-keyspace "$KEYSPACE"';
/** The workflow's status, whitespace removed, in $state; a failed read fails the script (and the Job retries). */
const READ_STATE = `state=$(${RESHARD} status --format=json | tr -d ' \\t\\n')`;
/** Whether the workflow exists: `show` lists it by name. */
const EXISTS = `${RESHARD} show 2>/dev/null | tr -d ' \\t\\n' | grep -qF "\\"name\\":\\"$WORKFLOW\\""`;

function script(step: ReshardStep): string[] {
  switch (step) {
    case 'create':
      return [`if ${EXISTS}; then echo "workflow $WORKFLOW exists"; exit 0; fi`, `${RESHARD} create --source-shards "$SOURCE_SHARDS" --target-shards "$TARGET_SHARDS"`];
    case 'wait-for-copy':
      // Complete only once every stream copied its tables and runs, with the lag under the bound.
      return [
        'while :; do',
        `  ${READ_STATE}`,
        `  case "$state" in *'"status":"Error"'*) echo "a stream failed: $state" >&2; exit 1;; esac`,
        // Streams are Init, Copying, Running, Lagging, Stopped or Error (binlogdata.VReplicationWorkflowState).
        `  case "$state" in *'"status":"Init"'*|*'"status":"Copying"'*|*'"status":"Lagging"'*|*'"status":"Stopped"'*) echo "not caught up: $state"; sleep 5; continue;; esac`,
        `  case "$state" in *'"status":"Running"'*) ;; *) echo "no stream runs yet: $state"; sleep 5; continue;; esac`,
        `  lag=$(${RESHARD} show | tr -d ' \\t\\n' | sed -n 's/.*"max_v_replication_lag":"\\{0,1\\}\\([0-9]*\\).*/\\1/p')`,
        '  if [ -n "$lag" ] && [ "$lag" -le "$MAX_LAG_SECONDS" ]; then echo "copy done, lag ${lag}s"; exit 0; fi',
        '  echo "copy done, lag ${lag:-unknown}s above ${MAX_LAG_SECONDS}s"; sleep 5',
        'done',
      ];
    case 'switch-reads':
      return [
        READ_STATE,
        `case "$state" in *'"traffic_state":"AllReadsSwitched.'*) echo "reads already switched"; exit 0;; esac`,
        `${RESHARD} switchtraffic --tablet-types=rdonly,replica --max-replication-lag-allowed="\${MAX_LAG_SECONDS}s"`,
      ];
    case 'switch-writes':
      return [
        READ_STATE,
        `case "$state" in *'WritesSwitched"'*) case "$state" in *'WritesNotSwitched"'*) ;; *) echo "writes already switched"; exit 0;; esac;; esac`,
        `${RESHARD} switchtraffic --tablet-types=primary --max-replication-lag-allowed="\${MAX_LAG_SECONDS}s"`,
      ];
    case 'reverse-writes':
      // Writes first, so that the states passed are the forward ones in reverse ("All Reads Switched.
      // Writes Not Switched", then none); Vitess would take either order.
      return [
        READ_STATE,
        `case "$state" in *'WritesNotSwitched"'*) echo "writes serve from the sources"; exit 0;; *'.WritesSwitched"'*) ;; *) echo "unknown traffic state: $state" >&2; exit 1;; esac`,
        `${RESHARD} reversetraffic --tablet-types=primary --max-replication-lag-allowed="\${MAX_LAG_SECONDS}s"`,
      ];
    case 'reverse-reads':
      return [
        READ_STATE,
        `case "$state" in *'"traffic_state":"ReadsNotSwitched.'*) echo "reads serve from the sources"; exit 0;; esac`,
        `${RESHARD} reversetraffic --tablet-types=rdonly,replica --max-replication-lag-allowed="\${MAX_LAG_SECONDS}s"`,
      ];
    case 'complete':
      // Run only after the writes were switched: a workflow gone by then was completed (a run before a crash).
      return [`if ! ${EXISTS}; then echo "workflow $WORKFLOW is gone: complete"; exit 0; fi`, `${RESHARD} complete`];
    case 'cancel':
      // Cancel deletes the targets' copy: never while any traffic serves from them (the reverse steps run first).
      return [
        `if ! ${EXISTS}; then echo "no workflow $WORKFLOW: nothing to cancel"; exit 0; fi`,
        READ_STATE,
        `case "$state" in *'"traffic_state":"ReadsNotSwitched.WritesNotSwitched"'*) ;; *) echo "traffic is not wholly on the sources: not cancelling ($state)" >&2; exit 1;; esac`,
        `${RESHARD} cancel`,
      ];
  }
}

export function reshardJob(job: ReshardJob): V1Job {
  return vtctldclientJob({
    scope: job.scope,
    name: reshardJobName(job.keyspaceObject, job.step),
    component: RESHARD_COMPONENT,
    image: job.image,
    vtctldAddress: job.vtctldAddress,
    tls: job.tls,
    run: {
      values: {
        WORKFLOW: job.workflow,
        KEYSPACE: job.scope.keyspace,
        SOURCE_SHARDS: job.sources.join(','),
        TARGET_SHARDS: job.targets.join(','),
        MAX_LAG_SECONDS: String(job.maxLagSeconds),
      },
      script: script(job.step).join('\n'),
    },
    labels: { [RESHARD_STEP_LABEL]: job.step },
    annotations: { [RESHARD_TARGETS_ANNOTATION]: job.targets.join(',') },
    // vtctld or a tablet may be briefly away: retry a few times, then stop the reshard and say why.
    backoffLimit: 6,
  });
}
