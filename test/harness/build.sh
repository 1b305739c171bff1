#!/usr/bin/env bash
# Builds the Vitess binaries the rendered Pods run (vtctld, vtgate, vttablet, vtorc, mysqlctld, vtbackup,
# vtadmin, vtctldclient) from the Go module proxy at the version pinned in ./go.mod, into
# ${VITESS_OPERATOR_CACHE:-<repo>/.cache}/vitess/<version>/bin, and lays out the image's /vt tree
# beside it (vt/config/init_db.sql, vt/config/mycnf/*.cnf from the module source). Idempotent.
# Prints the cache directory on stdout (last line); progress goes to stderr.
#
#   test/harness/build.sh            # build what is missing
#   test/harness/build.sh --print    # only print the cache dir
#   test/harness/build.sh --force    # rebuild everything
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
mode="build"
case "${1:-}" in
  --print) mode="print" ;;
  --force) mode="force" ;;
  "") ;;
  *) echo "usage: $0 [--print|--force]" >&2; exit 2 ;;
esac
log() { printf '[vitess/build] %s\n' "$*" >&2; }

# shellcheck source=../go-env.sh
source "$ROOT/test/go-env.sh"

cd "$HERE"
VERSION="$("$GO" list -m -f '{{.Version}}' vitess.io/vitess)"
DIR="$CACHE/vitess/$VERSION"
BIN="$DIR/bin"
if [[ "$mode" == "print" ]]; then echo "$DIR"; exit 0; fi
mkdir -p "$BIN"
log "cache dir: $DIR (vitess.io/vitess $VERSION, $("$GO" env GOVERSION), GOMAXPROCS=$GOMAXPROCS)"

t_all=$SECONDS
log "go mod download ..."
"$GO" mod download vitess.io/vitess
SRC="$("$GO" list -m -f '{{.Dir}}' vitess.io/vitess)"

# The image's /vt layout that the Pods' commands read (Dockerfile.lite copies config/ to /vt/config).
mkdir -p "$DIR/vt/config"
cp -R "$SRC/config/." "$DIR/vt/config/"
chmod -R u+w "$DIR/vt/config"

LDFLAGS="-s -w"
for name in vtctldclient mysqlctld vtctld vtorc vtgate vttablet vtbackup vtadmin; do
  out="$BIN/$name"
  if [[ -x "$out" && "$mode" != "force" ]]; then log "$name: present"; continue; fi
  log "$name: go build ..."
  t0=$SECONDS
  "$GO" build -p "$GOMAXPROCS" -ldflags "$LDFLAGS" -o "$out.tmp" "vitess.io/vitess/go/cmd/$name"
  mv -f "$out.tmp" "$out"
  dt=$((SECONDS - t0))
  log "$name: built in $((dt / 60))m$((dt % 60))s ($(du -h "$out" | cut -f1))"
  echo "$name $dt s $(date -u +%Y-%m-%dT%H:%M:%SZ) $("$GO" env GOVERSION)" >>"$DIR/build-times.txt"
done
# etcdctl, for the etcd Pods' exec probes (the etcd image carries it; the control plane builds etcd only).
if [[ ! -x "$BIN/etcdctl" || "$mode" == "force" ]]; then
  log "etcdctl: go build ..."
  t0=$SECONDS
  (cd "$HERE/etcdctl" && "$GO" build -ldflags "$LDFLAGS" -o "$BIN/etcdctl.tmp" go.etcd.io/etcd/etcdctl/v3)
  mv -f "$BIN/etcdctl.tmp" "$BIN/etcdctl"
  echo "etcdctl $((SECONDS - t0)) s $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$DIR/build-times.txt"
fi
echo "VITESS_VERSION=$VERSION" >"$DIR/versions.env"
dt=$((SECONDS - t_all))
log "done in $((dt / 60))m$((dt % 60))s"
echo "$DIR"
