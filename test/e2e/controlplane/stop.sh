#!/usr/bin/env bash
# Stops the control plane started by start.sh and removes its run directory.
#   test/e2e/controlplane/stop.sh            # stop + rm -rf the run dir
#   test/e2e/controlplane/stop.sh --keep     # stop, keep the run dir (logs, certs)
#   test/e2e/controlplane/stop.sh <run-dir>  # stop a specific run dir
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
STATE="$ROOT/.cache/controlplane"
log() { printf '[controlplane] %s\n' "$*" >&2; }
# alive PID: running and not a zombie waiting to be reaped.
alive() { local st; st="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ -n "$st" && "$st" != Z* ]]; }

keep=0
RUN=""
for a in "$@"; do
  case "$a" in
    --keep) keep=1 ;;
    *) RUN="$a" ;;
  esac
done
if [[ -z "$RUN" ]]; then
  [[ -f "$STATE/current-dir" ]] || { log "nothing to stop (no $STATE/current-dir)"; exit 0; }
  RUN="$(cat "$STATE/current-dir")"
fi

# Only kill what start.sh recorded; each was started with setsid, so its pid is
# also its process-group id. Reverse order: controller-manager, apiserver, etcd.
if [[ -f "$RUN/pids" ]]; then
  mapfile -t entries < <(tac "$RUN/pids")
  for e in "${entries[@]}"; do
    name="${e%% *}"; pid="${e##* }"
    if alive "$pid"; then
      log "stopping $name (pid $pid)"
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
      if alive "$pid"; then
        log "$name did not exit after 5s; SIGKILL"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  done
fi

if [[ "$(cat "$STATE/current-dir" 2>/dev/null)" == "$RUN" ]]; then
  rm -f "$STATE/current-dir" "$STATE/current-kubeconfig"
fi
if [[ $keep == 1 ]]; then
  log "stopped; kept $RUN"
else
  # Safety: only remove directories that look like ours.
  if [[ -f "$RUN/pids" && -d "$RUN/pki" ]]; then rm -rf "$RUN"; fi
  log "stopped; removed $RUN"
fi
