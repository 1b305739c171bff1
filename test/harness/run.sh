#!/usr/bin/env bash
# npm run test:vitess: builds the Vitess binaries (build.sh) and etcd (the control plane build), then runs
# test/harness/*.vitess.ts against real processes under the Pod runner. Needs root (network namespaces,
# bind mounts) and mysqld on PATH (Debian's MariaDB 10.11 where no MySQL 8 server package is reachable).
# JUnit: .cache/test-results/vitess.xml.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUN="${BUN:-$(command -v bun || echo "$ROOT/node_modules/.bin/bun")}"
[[ "$(id -u)" == 0 ]] || { echo "test:vitess needs root (network namespaces, bind mounts)" >&2; exit 2; }
if ! command -v mysqld >/dev/null 2>&1 || ! command -v mysql >/dev/null 2>&1; then
  echo "[vitess] installing mariadb-server and mariadb-client from Debian (the system service is not started)" >&2
  # policy-rc.d exit 101 keeps apt from starting the service; restore whatever was there.
  saved=""; [[ -e /usr/sbin/policy-rc.d ]] && saved="$(mktemp)" && cp -p /usr/sbin/policy-rc.d "$saved"
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q mariadb-server mariadb-client >&2 || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q mariadb-server mariadb-client >&2; }
  if [[ -n "$saved" ]]; then mv -f "$saved" /usr/sbin/policy-rc.d; else rm -f /usr/sbin/policy-rc.d; fi
fi
t0=$SECONDS
export ETCD_BIN="$("$ROOT/test/e2e/controlplane/build.sh" | tail -n1)/bin"
export VITESS_DIR="$("$HERE/build.sh" | tail -n1)"
echo "[vitess] binaries ready in $((SECONDS - t0)) s: $VITESS_DIR, $ETCD_BIN" >&2
mkdir -p "$ROOT/.cache/test-results"
cd "$ROOT"
mapfile -t paths < <(ls ./test/harness/*.vitess.ts)
exec "$BUN" test --timeout 900000 --reporter=junit --reporter-outfile="$ROOT/.cache/test-results/vitess.xml" "${paths[@]}"
