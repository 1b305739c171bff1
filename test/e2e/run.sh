#!/usr/bin/env bash
# Runs the e2e tests (test/e2e/*.e2e.ts) against a real Kubernetes API server and writes a JUnit
# report to .cache/test-results/e2e.xml.
#
#   test/e2e/run.sh                          # starts the local control plane, runs, stops it
#   KUBECONFIG=~/.kube/config test/e2e/run.sh  # uses that cluster (kind, ...); starts nothing
#   test/e2e/run.sh test/e2e/schema.e2e.ts     # only these files
#
# Without KUBECONFIG it starts test/e2e/controlplane/start.sh (etcd + kube-apiserver +
# kube-controller-manager built from source: ~10 min the first time, ~6 s when cached) and always
# stops what it started. Exits non-zero when a test fails or the control plane cannot start.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
log() { printf '[e2e] %s\n' "$*" >&2; }

BUN="${BUN:-$(command -v bun || echo "$ROOT/node_modules/.bin/bun")}"
REPORT=.cache/test-results/e2e.xml
mkdir -p .cache/test-results
rm -f "$REPORT"

STARTED=0
cleanup() {
  local rc=$?
  if [[ $STARTED == 1 ]]; then
    log "stopping the control plane we started"
    test/e2e/controlplane/stop.sh >&2 || log "stop.sh failed (rc $?)"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$SECONDS
if [[ -n "${KUBECONFIG:-}" ]]; then
  log "using the cluster of KUBECONFIG=$KUBECONFIG"
else
  # The default controllers of start.sh, plus the PVC protection controller: PVCs get the
  # kubernetes.io/pvc-protection finalizer at admission, and without it deleted PVCs (and their
  # namespaces) would stay Terminating forever.
  export CP_KCM_CONTROLLERS="${CP_KCM_CONTROLLERS:-garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,clusterrole-aggregation-controller,root-ca-certificate-publisher-controller,persistentvolumeclaim-protection-controller}"
  log "starting the local control plane (test/e2e/controlplane/start.sh)"
  # STARTED before start.sh: if it is interrupted half-way, stop.sh cleans up what it recorded.
  STARTED=1
  if ! kubeconfig="$(test/e2e/controlplane/start.sh | tail -n1)" || [[ ! -f "$kubeconfig" ]]; then
    STARTED=0
    log "the control plane did not start (see above). If one is already running, reuse it with"
    log "  KUBECONFIG=\"\$(cat .cache/controlplane/current-kubeconfig)\" $0"
    exit 1
  fi
  export KUBECONFIG="$kubeconfig"
  log "control plane up in $((SECONDS - t0)) s"
fi

if [[ $# -gt 0 ]]; then
  files=("$@")
else
  # install first (it installs what the others need, though each file also does it on its own).
  files=(test/e2e/install.e2e.ts)
  for f in test/e2e/*.e2e.ts; do [[ "$f" == test/e2e/install.e2e.ts ]] || files+=("$f"); done
fi
# bun test needs a path (./...) to run files that do not match its *.test.ts naming.
paths=()
for f in "${files[@]}"; do [[ "$f" == /* || "$f" == ./* ]] && paths+=("$f") || paths+=("./$f"); done

t1=$SECONDS
"$BUN" test --timeout 600000 --reporter=junit --reporter-outfile="$REPORT" "${paths[@]}"
rc=$?
log "tests finished in $((SECONDS - t1)) s (rc $rc); total $((SECONDS - t0)) s; JUnit report: $REPORT"
exit "$rc"
