#!/usr/bin/env bash
# Oracle MySQL for the tablets' mysqld containers: Debian bookworm (the host) has no MySQL server, Debian
# sid carries mysql-server-core. This lays a minimal sid root filesystem (debootstrap --variant=minbase)
# in ${VITESS_OPERATOR_CACHE:-<repo>/.cache}/mysql/sid-root and installs mysql-server-core and
# mysql-client-core in it with the chroot's own apt (no service is started: the chroot's policy-rc.d
# refuses, and nothing on the host changes). The Pod runner uses that root as the `mysql:*` image's
# filesystem (runner/substitutions.ts). Idempotent. Prints the root's folder on stdout (last line).
#
#   test/harness/mysql.sh            # build when missing
#   test/harness/mysql.sh --print    # only print the folder
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${VITESS_OPERATOR_CACHE:-$ROOT/.cache}"
DIR="$CACHE/mysql"
SID="$DIR/sid-root"
log() { printf '[vitess/mysql] %s\n' "$*" >&2; }
if [[ "${1:-}" == "--print" ]]; then echo "$SID"; exit 0; fi
if [[ -x "$SID/usr/sbin/mysqld" && -f "$DIR/versions.env" ]]; then log "present: $(cat "$DIR/versions.env" | tr '\n' ' ')"; echo "$SID"; exit 0; fi
[[ "$(id -u)" == 0 ]] || { log "needs root (debootstrap, chroot)"; exit 2; }
# shellcheck source=debian-root.sh
source "$HERE/debian-root.sh"
mkdir -p "$DIR"
TMP="$DIR/sid-root.tmp"
t0=$SECONDS
debian_root sid "$TMP"
t1=$SECONDS
# The mirror's sid Release can be older than its Valid-Until (a snapshot mirror): accept it, still signed.
echo 'Acquire::Check-Valid-Until "false";' >"$TMP/etc/apt/apt.conf.d/99vitess-harness"
debian_install "$TMP" mysql-server-core mysql-client-core
ver="$(chroot "$TMP" dpkg-query -W -f '${Version}' mysql-server-core)"
mv "$TMP" "$SID"
{ echo "MYSQL_SERVER_CORE=$ver"; echo "BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ) debootstrap $((t1 - t0)) s, apt $((SECONDS - t1)) s"; } >"$DIR/versions.env"
log "done in $((SECONDS - t0)) s: mysql-server-core $ver ($(du -sh "$SID" | cut -f1))"
echo "$SID"
