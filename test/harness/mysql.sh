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
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DIR="$CACHE/mysql"
SID="$DIR/sid-root"
log() { printf '[vitess/mysql] %s\n' "$*" >&2; }
if [[ "${1:-}" == "--print" ]]; then echo "$SID"; exit 0; fi
if [[ -x "$SID/usr/sbin/mysqld" && -f "$DIR/versions.env" ]]; then log "present: $(cat "$DIR/versions.env" | tr '\n' ' ')"; echo "$SID"; exit 0; fi
[[ "$(id -u)" == 0 ]] || { log "needs root (debootstrap, chroot)"; exit 2; }
command -v debootstrap >/dev/null 2>&1 || {
  log "installing debootstrap from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2 || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2; }
}
mkdir -p "$DIR"
TMP="$DIR/sid-root.tmp"
t0=$SECONDS
if [[ ! -x "$TMP/usr/bin/apt-get" ]]; then
  rm -rf "$TMP"
  log "debootstrap --variant=minbase sid ($MIRROR) ..."
  debootstrap --variant=minbase sid "$TMP" "$MIRROR" >&2
fi
t1=$SECONDS
# Inside the chroot only: apt must not start services (its own policy-rc.d), and needs /proc and /dev.
printf '#!/bin/sh\nexit 101\n' >"$TMP/usr/sbin/policy-rc.d"; chmod 755 "$TMP/usr/sbin/policy-rc.d"
# The mirror's sid Release can be older than its Valid-Until (a snapshot mirror): accept it, still signed.
echo 'Acquire::Check-Valid-Until "false";' >"$TMP/etc/apt/apt.conf.d/99vitess-harness"
cleanup() { umount "$TMP/proc" 2>/dev/null || true; umount "$TMP/dev" 2>/dev/null || true; }
trap cleanup EXIT
mount -t proc proc "$TMP/proc"
mount --bind /dev "$TMP/dev"
log "chroot apt-get install mysql-server-core mysql-client-core ..."
chroot "$TMP" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
chroot "$TMP" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mysql-server-core mysql-client-core >&2
chroot "$TMP" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin apt-get clean >&2
cleanup; trap - EXIT
ver="$(chroot "$TMP" dpkg-query -W -f '${Version}' mysql-server-core)"
mv "$TMP" "$SID"
{ echo "MYSQL_SERVER_CORE=$ver"; echo "BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ) debootstrap $((t1 - t0)) s, apt $((SECONDS - t1)) s"; } >"$DIR/versions.env"
log "done in $((SECONDS - t0)) s: mysql-server-core $ver ($(du -sh "$SID" | cut -f1))"
echo "$SID"
