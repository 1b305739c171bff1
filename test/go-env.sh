# Sourced by the Go builds (test/e2e/controlplane/build.sh, test/harness/build.sh), after they set ROOT
# and log(): one Go state and one Go toolchain for both, so modules they share are downloaded once.
# Sets CACHE and GO.

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
GO="${GO:-go}"
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

