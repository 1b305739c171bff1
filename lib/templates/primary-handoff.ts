/**
 * A tablet Pod that is deleted or evicted (a drain, `kubectl delete pod`, our own rollout) hands the
 * primary off before it stops: the kubelet runs a container's preStop hook before it sends that
 * container SIGTERM, within terminationGracePeriodSeconds. The vttablet container's hook asks vtctld
 * whether this tablet is the primary (`GetTablet`: the tablet record's type) and only then runs
 * `PlannedReparentShard --avoid-primary=<this tablet>`, which promotes a caught-up replica while this
 * primary is still up. A drain then causes a planned reparent, never vtorc's emergency one.
 *
 * mysqld must outlive the hand-off (the demotion runs on it), but a container without a preStop hook
 * gets SIGTERM at once: the mysqld container's hook waits until the vttablet container's hook has
 * finished (a file in the Pod's own emptyDir, gone with the Pod), bounded by the same deadline.
 *
 * Values reach the scripts as environment variables, never as script text.
 */
import type { V1EnvVar, V1Lifecycle, V1VolumeMount } from '@kubernetes/client-node';
import type { TlsSpec } from '../api/access.ts';
import { scriptValues, vtctldclientFunction } from './vtctldclient-job.ts';

/** How long the hand-off may take: the type check, then the reparent's two tries (their --action-timeout), and mysqld's wait. */
export const HANDOFF_SECONDS = 60;
const CHECK_SECONDS = 10;
/** Each of the two tries (same cell, then any cell). */
const REPARENT_SECONDS = (HANDOFF_SECONDS - CHECK_SECONDS) / 2;
/** mysqld's clean shutdown after the hand-off (vttablet drains its queries meanwhile). */
export const SHUTDOWN_SECONDS = 120;
/** The Pod's grace period: the hand-off, then the shutdown (the kubelet counts both in it). */
export const TABLET_GRACE_SECONDS = HANDOFF_SECONDS + SHUTDOWN_SECONDS;

/** Written by the vttablet container's hook when it is done, read by the mysqld container's. */
const DONE_FILE = 'primary-handoff-done';

/**
 * The vttablet container's hook. Exits 0 whatever happens (a failed hand-off is logged to the
 * container's stdout and the Pod stops anyway, as it would have without it); the done file is written
 * on every exit path.
 */
const VTTABLET_SCRIPT = [
  'trap \'touch "$HANDOFF_DONE_FILE"\' EXIT',
  'if vtctldclient --action-timeout="${CHECK_SECONDS}s" GetTablet "$TABLET_ALIAS" | grep -q \'"type": "PRIMARY"\'; then',
  '  echo "preStop: $TABLET_ALIAS is the primary of $KEYSPACE_SHARD: PlannedReparentShard away from it"',
  // Vitess promotes within the primary's cell unless told otherwise (reparentutil.ElectNewPrimary):
  // a cell with no other replica needs --allow-cross-cell-promotion, which is tried second.
  '  vtctldclient --action-timeout="${REPARENT_SECONDS}s" PlannedReparentShard --avoid-primary="$TABLET_ALIAS" "$KEYSPACE_SHARD" ||',
  '    vtctldclient --action-timeout="${REPARENT_SECONDS}s" PlannedReparentShard --avoid-primary="$TABLET_ALIAS" --allow-cross-cell-promotion "$KEYSPACE_SHARD" ||',
  '    echo "preStop: PlannedReparentShard failed"',
  'fi',
].join('\n');

/** The mysqld container's hook: wait for the vttablet container's, at most HANDOFF_SECONDS (+ a little). */
const MYSQLD_SCRIPT = 'i=0; while [ ! -e "$HANDOFF_DONE_FILE" ] && [ "$i" -lt "$HANDOFF_WAIT_SECONDS" ]; do sleep 1; i=$((i+1)); done';

export interface PrimaryHandoff {
  vttablet: { lifecycle: V1Lifecycle; env: V1EnvVar[]; volumeMounts: V1VolumeMount[] };
  mysqld: { lifecycle: V1Lifecycle; env: V1EnvVar[] };
}

/**
 * The hooks of a tablet Pod and what they need. `sharedVolume` is the Pod's emptyDir that both
 * containers mount (at `vttabletPath` in vttablet, `mysqldPath` in mysqld).
 */
export function primaryHandoff(options: {
  alias: string;
  keyspace: string;
  shard: string;
  vtctldAddress: string;
  tls: TlsSpec | undefined;
  sharedVolume: string;
  vttabletPath: string;
  mysqldPath: string;
}): PrimaryHandoff {
  // The shell function `vtctldclient` (its connection flags read from the environment), then the fixed script.
  const vtctldclient = vtctldclientFunction(options.vtctldAddress, options.tls);
  const exec = (script: string): V1Lifecycle => ({ preStop: { exec: { command: ['/bin/sh', '-c', script] } } });
  return {
    vttablet: {
      lifecycle: exec(`${vtctldclient.text}\n${VTTABLET_SCRIPT}`),
      env: [
        ...vtctldclient.env,
        ...scriptValues({
          TABLET_ALIAS: options.alias,
          KEYSPACE_SHARD: `${options.keyspace}/${options.shard}`,
          CHECK_SECONDS: String(CHECK_SECONDS),
          REPARENT_SECONDS: String(REPARENT_SECONDS),
          HANDOFF_DONE_FILE: `${options.vttabletPath}/${DONE_FILE}`,
        }),
      ],
      volumeMounts: [{ name: options.sharedVolume, mountPath: options.vttabletPath }],
    },
    mysqld: {
      lifecycle: exec(MYSQLD_SCRIPT),
      env: [
        { name: 'HANDOFF_DONE_FILE', value: `${options.mysqldPath}/${DONE_FILE}` },
        // GetTablet and PlannedReparentShard get HANDOFF_SECONDS together; a few more for the hook to start.
        { name: 'HANDOFF_WAIT_SECONDS', value: String(HANDOFF_SECONDS + 5) },
      ],
    },
  };
}
