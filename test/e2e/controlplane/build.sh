#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from source (pinned in
# ./go.mod) into ${VITESS_OPERATOR_CACHE:-<repo>/.cache}/controlplane/<versions>/bin/. Idempotent: a binary
# that is already there is not rebuilt. Prints the cache directory on stdout
# (last line); progress goes to stderr.
#
#   test/e2e/controlplane/build.sh            # build what is missing
#   test/e2e/controlplane/build.sh --print    # only print the cache dir, build nothing
#   test/e2e/controlplane/build.sh --force    # rebuild everything
#
# Env: BUILD_KCM=0 skips kube-controller-manager. GO=/path/to/go overrides go. Without a Go >= 1.26,
# the Go toolchain itself is fetched from the Go module proxy into the cache first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
mode="build"
case "${1:-}" in
  --print) mode="print" ;;
  --force) mode="force" ;;
  "") ;;
  *) echo "usage: $0 [--print|--force]" >&2; exit 2 ;;
esac

log() { printf '[controlplane/build] %s\n' "$*" >&2; }

# shellcheck source=../../go-env.sh
source "$ROOT/test/go-env.sh"

cd "$HERE"
modver() { "$GO" list -m -f '{{.Version}}' "$1"; }
K8S_VERSION="$(modver k8s.io/kubernetes)"
ETCD_VERSION="$(modver go.etcd.io/etcd/server/v3)"
GO_VERSION="$("$GO" env GOVERSION)"
KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}"
DIR="$CACHE/controlplane/$KEY"
BIN="$DIR/bin"

if [[ "$mode" == "print" ]]; then
  echo "$DIR"
  exit 0
fi

mkdir -p "$BIN"
log "cache dir: $DIR"
log "kubernetes $K8S_VERSION, etcd $ETCD_VERSION, $GO_VERSION, GOMAXPROCS=$GOMAXPROCS"

# Version stamping like hack/lib/version.sh (so /version reports v1.x.y).
k8s_minor="${K8S_VERSION#v1.}"; k8s_minor="${k8s_minor%%.*}"
K8S_LDFLAGS="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  K8S_LDFLAGS+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
  K8S_LDFLAGS+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done
# Same tags as the upstream build (hack/lib/golang.sh).
K8S_TAGS="selinux,notest,grpcnotrace"

build_one() { # name pkg tags ldflags
  local name="$1" pkg="$2" tags="$3" ldflags="$4"
  local out="$BIN/$name"
  if [[ -x "$out" && "$mode" != "force" ]]; then
    log "$name: present, skipping ($out)"
    return 0
  fi
  log "$name: go build $pkg ..."
  local t0=$SECONDS
  "$GO" build -p "$GOMAXPROCS" -tags "$tags" -ldflags "$ldflags" -o "$out.tmp" "$pkg"
  mv -f "$out.tmp" "$out"
  local dt=$((SECONDS - t0))
  log "$name: built in $((dt / 60))m$((dt % 60))s ($(du -h "$out" | cut -f1))"
  echo "$name $dt s $(date -u +%Y-%m-%dT%H:%M:%SZ) $GO_VERSION" >>"$DIR/build-times.txt"
}

t_all=$SECONDS
log "go mod download (first run fetches ~1 GB of modules) ..."
"$GO" mod download
build_one etcd go.etcd.io/etcd/server/v3 "" \
  "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_VERSION}"
build_one kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$K8S_TAGS" "$K8S_LDFLAGS"
if [[ "${BUILD_KCM:-1}" != "0" ]]; then
  build_one kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$K8S_TAGS" "$K8S_LDFLAGS"
fi
cat >"$DIR/versions.env" <<EOF
K8S_VERSION=$K8S_VERSION
ETCD_VERSION=$ETCD_VERSION
GO_VERSION=$GO_VERSION
EOF
dt=$((SECONDS - t_all))
log "done in $((dt / 60))m$((dt % 60))s"
echo "$DIR"
