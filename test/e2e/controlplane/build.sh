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
GO="${GO:-go}"

mode="build"
case "${1:-}" in
  --print) mode="print" ;;
  --force) mode="force" ;;
  "") ;;
  *) echo "usage: $0 [--print|--force]" >&2; exit 2 ;;
esac

log() { printf '[controlplane/build] %s\n' "$*" >&2; }

# Go state and binaries live in a cache folder: the repo's gitignored .cache/ by default, or
# $VITESS_OPERATOR_CACHE (CI points it outside the clone, so fresh clones on one machine share a build).
CACHE="${VITESS_OPERATOR_CACHE:-$ROOT/.cache}"
export GOPATH="$CACHE/go"
export GOMODCACHE="$CACHE/go/mod"
export GOCACHE="$CACHE/go/build"
export GOTOOLCHAIN=local
export GOFLAGS="-trimpath -buildvcs=false -mod=readonly"
export CGO_ENABLED=0
# 2-core box: one compile per core; the linker of kube-apiserver needs ~2-3 GB.
export GOMAXPROCS="${GOMAXPROCS:-$(nproc)}"

# A machine may have no Go, or one older than go.mod asks for: then fetch the Go toolchain itself from
# the Go module proxy (golang.org/toolchain, the module `GOTOOLCHAIN=auto` downloads) into the cache.
GO_WANT="1.26.8"
go_new_enough() {
  local v
  v="$("$1" env GOVERSION 2>/dev/null)" || return 1
  v="${v#go}"
  [[ "$(printf '%s\n%s\n' "1.26.0" "${v%%[-+ ]*}" | sort -V | head -n1)" == "1.26.0" ]]
}
if ! command -v "$GO" >/dev/null 2>&1 || ! go_new_enough "$GO"; then
  TOOLCHAIN="$CACHE/go-toolchain/golang.org/toolchain@v0.0.1-go${GO_WANT}.linux-amd64"
  if [[ ! -x "$TOOLCHAIN/bin/go" ]]; then
    log "no Go >= 1.26 on this machine: fetching go${GO_WANT} from the Go module proxy"
    mkdir -p "$CACHE/go-toolchain"
    zip="$CACHE/go-toolchain/go${GO_WANT}.zip"
    url="${GOPROXY_URL:-https://proxy.golang.org}/golang.org/toolchain/@v/v0.0.1-go${GO_WANT}.linux-amd64.zip"
    if command -v curl >/dev/null 2>&1; then curl -sSfL -o "$zip" "$url"; else node -e 'fetch(process.argv[1]).then(async r=>{if(!r.ok)throw new Error(r.status);require("fs").writeFileSync(process.argv[2],Buffer.from(await r.arrayBuffer()))})' "$url" "$zip"; fi
    if command -v unzip >/dev/null 2>&1; then unzip -q -o "$zip" -d "$CACHE/go-toolchain"
    elif command -v python3 >/dev/null 2>&1; then python3 -m zipfile -e "$zip" "$CACHE/go-toolchain"
    else apt-get install -y -q unzip >&2 && unzip -q -o "$zip" -d "$CACHE/go-toolchain"; fi
    chmod -R u+x "$TOOLCHAIN/bin" "$TOOLCHAIN/pkg/tool" 2>/dev/null || true
    rm -f "$zip"
  fi
  GO="$TOOLCHAIN/bin/go"
fi

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
