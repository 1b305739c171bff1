#!/usr/bin/env bash
# Starts a throw-away local Kubernetes control plane (etcd + kube-apiserver +
# kube-controller-manager) bound to 127.0.0.1 only. No Docker, no kubelet:
# pods are never run, but API objects, CRDs, RBAC, namespace deletion and
# garbage collection (ownerReferences) work.
#
#   test/e2e/controlplane/start.sh        # builds binaries if missing (build.sh), starts
#   export KUBECONFIG="$(cat .cache/controlplane/current-kubeconfig)"
#   test/e2e/controlplane/stop.sh
#
# Prints the kubeconfig path as the last line on stdout; progress goes to stderr.
# Also writes:
#   .cache/controlplane/current-kubeconfig  path of the kubeconfig (token auth, admin)
#   .cache/controlplane/current-dir         the run directory (certs, logs, pids, etcd data)
#
# Env:
#   CP_NO_KCM=1              don't start kube-controller-manager
#   CP_KCM_CONTROLLERS=...   override the --controllers list of kube-controller-manager
#   CP_RUN_DIR=/some/dir     use this (new or empty) run directory instead of mktemp
#   CP_TIMEOUT=60            seconds to wait for each component to become healthy
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
STATE="$ROOT/.cache/controlplane"
TIMEOUT="${CP_TIMEOUT:-60}"
log() { printf '[controlplane] %s\n' "$*" >&2; }
# alive PID: running and not a zombie waiting to be reaped.
alive() { local st; st="$(ps -o stat= -p "$1" 2>/dev/null)" && [[ -n "$st" && "$st" != Z* ]]; }
die() { log "ERROR: $*"; exit 1; }

# openssl (certificates), curl (readiness), ss (ports): installed from Debian's packages when missing.
declare -A PKG=([openssl]=openssl [curl]=curl [ss]=iproute2)
for t in openssl curl ss; do
  if ! command -v "$t" >/dev/null; then
    command -v apt-get >/dev/null || die "$t is required"
    echo "[controlplane] installing ${PKG[$t]} for $t" >&2
    { apt-get update -q && apt-get install -y -q "${PKG[$t]}"; } >&2 || die "$t is required and could not be installed"
  fi
done

if [[ -f "$STATE/current-dir" ]] && [[ -d "$(cat "$STATE/current-dir")" ]]; then
  old="$(cat "$STATE/current-dir")"
  alive=0
  if [[ -f "$old/pids" ]]; then
    while read -r _ pid; do if alive "$pid"; then alive=1; fi; done <"$old/pids"
  fi
  if [[ $alive == 1 ]]; then
    die "a control plane is already running from $old (kubeconfig: $old/kubeconfig); run stop.sh first"
  fi
  log "cleaning up stale run dir $old"
  rm -rf "$old"
  rm -f "$STATE/current-dir" "$STATE/current-kubeconfig"
fi

t0=$SECONDS
CACHE_DIR="$("$HERE/build.sh" | tail -n1)"
BIN="$CACHE_DIR/bin"
for b in etcd kube-apiserver; do [[ -x "$BIN/$b" ]] || die "missing $BIN/$b"; done
START_KCM=1
if [[ "${CP_NO_KCM:-0}" == "1" ]]; then START_KCM=0; fi
if [[ $START_KCM == 1 && ! -x "$BIN/kube-controller-manager" ]]; then
  log "kube-controller-manager not built: no garbage collection / namespace deletion"
  START_KCM=0
fi

if [[ -n "${CP_RUN_DIR:-}" ]]; then
  RUN="$CP_RUN_DIR"; mkdir -p "$RUN"
  [[ -z "$(ls -A "$RUN")" ]] || die "CP_RUN_DIR=$RUN is not empty"
else
  RUN="$(mktemp -d "${TMPDIR:-/tmp}/vitess-operator-cp.XXXXXX")"
fi
RUN="$(cd "$RUN" && pwd)"
mkdir -p "$STATE"
echo "$RUN" >"$STATE/current-dir"
: >"$RUN/pids"
log "run dir: $RUN"

# If anything below fails, tear down what we started.
STARTED_OK=0
cleanup_on_error() {
  [[ $STARTED_OK == 1 ]] && return 0
  log "start failed; logs are in $RUN/*.log — stopping"
  for f in "$RUN"/etcd.log "$RUN"/kube-*.log; do [[ -f $f ]] && { log "--- tail $f"; tail -n 15 "$f" >&2; }; done
  "$HERE/stop.sh" --keep >&2 || true
}
trap cleanup_on_error EXIT

# ---------------------------------------------------------------- free ports
declare -A USED=()
free_port() { # VAR: sets VAR to a port nobody listens on (and not handed out before)
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    [[ -n "${USED[$p]:-}" ]] && continue
    if [[ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]]; then
      USED[$p]=1; printf -v "$1" '%s' "$p"; return 0
    fi
  done
  die "no free port found"
}
free_port ETCD_CLIENT_PORT
free_port ETCD_PEER_PORT
free_port APISERVER_PORT
free_port KCM_PORT

# ---------------------------------------------------------------- PKI
PKI="$RUN/pki"
mkdir -p "$PKI"
(
  cd "$PKI"
  exec 2>"$RUN/openssl.log"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -sha256 \
    -keyout ca.key -out ca.crt -subj "/CN=vitess-operator-e2e-ca"
  # apiserver serving cert: 127.0.0.1, localhost, and the in-cluster names.
  cat >apiserver.ext <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
  openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 \
    -extfile apiserver.ext -out apiserver.crt
  # admin client cert (O=system:masters), for clients that prefer certs over tokens.
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >client.ext
  openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=admin"
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 \
    -extfile client.ext -out admin.crt
  # service-account signing key pair.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key
  openssl pkey -in sa.key -pubout -out sa.pub
  rm -f ./*.csr ./*.ext ca.srl
)
ADMIN_TOKEN="$(openssl rand -hex 24)"
KCM_TOKEN="$(openssl rand -hex 24)"
# token,user,uid,"group1,group2"
cat >"$PKI/tokens.csv" <<EOF
$ADMIN_TOKEN,admin,admin,"system:masters"
$KCM_TOKEN,system:kube-controller-manager,kcm,"system:masters"
EOF
chmod 600 "$PKI"/*.key "$PKI/tokens.csv"

CA_B64="$(base64 -w0 <"$PKI/ca.crt")"
SERVER="https://127.0.0.1:$APISERVER_PORT"
write_kubeconfig() { # file user token|cert
  local file="$1" user="$2" mode="$3" cred
  if [[ "$mode" == cert ]]; then
    cred="    client-certificate-data: $(base64 -w0 <"$PKI/admin.crt")
    client-key-data: $(base64 -w0 <"$PKI/admin.key")"
  else
    cred="    token: $mode"
  fi
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: $SERVER
    certificate-authority-data: $CA_B64
users:
- name: $user
  user:
$cred
contexts:
- name: e2e
  context:
    cluster: e2e
    user: $user
    namespace: default
current-context: e2e
EOF
  chmod 600 "$file"
}
write_kubeconfig "$RUN/kubeconfig" admin "$ADMIN_TOKEN"
write_kubeconfig "$RUN/kubeconfig-cert" admin cert
write_kubeconfig "$RUN/kcm.kubeconfig" system:kube-controller-manager "$KCM_TOKEN"

# ---------------------------------------------------------------- helpers
start_bg() { # name cmd...
  local name="$1"; shift
  # setsid: own process group, so stop.sh can kill it and its children.
  setsid "$@" >"$RUN/$name.log" 2>&1 </dev/null &
  echo "$name $!" >>"$RUN/pids"
  log "started $name (pid $!, log $RUN/$name.log)"
}
wait_for() { # name url [curl args...]
  local name="$1" url="$2"; shift 2
  local deadline=$((SECONDS + TIMEOUT)) pid
  pid="$(awk -v n="$name" '$1==n{print $2}' "$RUN/pids")"
  until curl -fsS --max-time 2 "$@" "$url" >/dev/null 2>&1; do
    alive "$pid" || die "$name exited; see $RUN/$name.log"
    ((SECONDS < deadline)) || die "$name not healthy after ${TIMEOUT}s; see $RUN/$name.log"
    sleep 0.3
  done
  log "$name is healthy ($url)"
}

# ---------------------------------------------------------------- etcd
start_bg etcd "$BIN/etcd" \
  --name=e2e \
  --data-dir="$RUN/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="e2e=http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster-state=new \
  --unsafe-no-fsync=true \
  --quota-backend-bytes=$((2 * 1024 * 1024 * 1024)) \
  --log-level=warn
wait_for etcd "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

# ---------------------------------------------------------------- kube-apiserver
start_bg kube-apiserver "$BIN/kube-apiserver" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --secure-port="$APISERVER_PORT" \
  --cert-dir="$RUN/apiserver-certs" \
  --tls-cert-file="$PKI/apiserver.crt" \
  --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --token-auth-file="$PKI/tokens.csv" \
  --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --authorization-mode=RBAC \
  --enable-admission-plugins=OwnerReferencesPermissionEnforcement \
  --anonymous-auth=true \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --endpoint-reconciler-type=none \
  --allow-privileged=true \
  --profiling=false \
  --v=1
wait_for kube-apiserver "$SERVER/readyz" --cacert "$PKI/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN"

# ---------------------------------------------------------------- kube-controller-manager
if [[ $START_KCM == 1 ]]; then
  # Enough for: ownerReference garbage collection, namespace deletion, the
  # "default" ServiceAccount in each namespace (needed to create Pods),
  # legacy SA token secrets, kube-root-ca.crt ConfigMaps, aggregated ClusterRoles.
  # Add e.g. deployment,replicaset,statefulset,job to get workload controllers
  # (pods are created but never run: there is no kubelet).
  KCM_CONTROLLERS="${CP_KCM_CONTROLLERS:-garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,clusterrole-aggregation-controller,root-ca-certificate-publisher-controller}"
  start_bg kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$RUN/kcm.kubeconfig" \
    --authentication-kubeconfig="$RUN/kcm.kubeconfig" \
    --authorization-kubeconfig="$RUN/kcm.kubeconfig" \
    --authentication-skip-lookup=true \
    --bind-address=127.0.0.1 \
    --secure-port="$KCM_PORT" \
    --cert-dir="$RUN/kcm-certs" \
    --leader-elect=false \
    --controllers="$KCM_CONTROLLERS" \
    --service-account-private-key-file="$PKI/sa.key" \
    --root-ca-file="$PKI/ca.crt" \
    --use-service-account-credentials=false \
    --profiling=false \
    --v=1
  wait_for kube-controller-manager "https://127.0.0.1:$KCM_PORT/healthz" -k
fi

STARTED_OK=1
trap - EXIT
cat >"$RUN/env" <<EOF
KUBECONFIG=$RUN/kubeconfig
CP_SERVER=$SERVER
CP_TOKEN=$ADMIN_TOKEN
CP_CA_FILE=$PKI/ca.crt
NODE_EXTRA_CA_CERTS=$PKI/ca.crt
CP_ETCD=http://127.0.0.1:$ETCD_CLIENT_PORT
CP_KCM=$START_KCM
EOF
echo "$RUN/kubeconfig" >"$STATE/current-kubeconfig"
log "control plane up in $((SECONDS - t0))s: $SERVER"
log "export KUBECONFIG=$RUN/kubeconfig"
echo "$RUN/kubeconfig"
