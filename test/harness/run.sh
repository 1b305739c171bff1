#!/usr/bin/env bash
# npm run test:vitess: builds the Vitess binaries (build.sh) and etcd (the control plane build), then runs
# test/harness/*.vitess.ts against real processes under the Pod runner. Needs root (network namespaces,
# bind mounts, chroot); mysqld is Oracle MySQL from a Debian sid root filesystem that mysql.sh lays out,
# vtadmin-web's nginx and web app a Debian trixie root that vtadmin-web.sh lays out.
# JUnit: .cache/test-results/vitess.xml.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUN="${BUN:-$(command -v bun || echo "$ROOT/node_modules/.bin/bun")}"
[[ "$(id -u)" == 0 ]] || { echo "test:vitess needs root (network namespaces, bind mounts)" >&2; exit 2; }
t0=$SECONDS
export ETCD_BIN="$("$ROOT/test/e2e/controlplane/build.sh" | tail -n1)/bin"
export VITESS_DIR="$("$HERE/build.sh" | tail -n1)"
export MYSQL_ROOT="$("$HERE/mysql.sh" | tail -n1)"
cd "$ROOT"
# Arguments: test files to run (default: every test/harness/*.vitess.ts).
if [[ $# -gt 0 ]]; then paths=("$@"); else mapfile -t paths < <(ls ./test/harness/*.vitess.ts); fi
# The vitess/vtadmin image's root (nginx, the web app: npm and Debian's mirror on its first build, ~2 min),
# only when a vtadmin test runs.
if printf '%s\n' "${paths[@]}" | grep -q 'vtadmin'; then export VTADMIN_ROOT="$("$HERE/vtadmin-web.sh" | tail -n1)"; fi
echo "[vitess] binaries ready in $((SECONDS - t0)) s: $VITESS_DIR, $ETCD_BIN, $MYSQL_ROOT${VTADMIN_ROOT:+, $VTADMIN_ROOT}" >&2
mkdir -p "$ROOT/.cache/test-results"
exec "$BUN" test --timeout 900000 --reporter=junit --reporter-outfile="$ROOT/.cache/test-results/vitess.xml" "${paths[@]}"
