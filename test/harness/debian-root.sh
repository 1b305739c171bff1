# Sourced by mysql.sh and vtadmin-web.sh, after they set log(): a Debian root filesystem laid out by
# debootstrap, and packages installed into it by its own apt inside a chroot that starts no service.
# Nothing on the host changes but debootstrap itself, installed from Debian when missing.
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# debian_root SUITE DIR: `debootstrap --variant=minbase SUITE` into DIR, unless an earlier try got as far
# as apt; then apt in it may start no service (its own policy-rc.d).
debian_root() {
  local suite="$1" dir="$2"
  command -v debootstrap >/dev/null 2>&1 || {
    log "installing debootstrap from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2 || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2; }
  }
  if [[ ! -x "$dir/usr/bin/apt-get" ]]; then
    rm -rf "$dir"
    log "debootstrap --variant=minbase $suite ($MIRROR) ..."
    debootstrap --variant=minbase "$suite" "$dir" "$MIRROR" >&2
  fi
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
}

# in_root DIR COMMAND...: COMMAND chrooted in DIR with a clean environment.
in_root() {
  local dir="$1"; shift
  chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"
}

# debian_install DIR PACKAGE...: the chroot's apt-get update, install (no recommends) and clean, with the
# /proc and /dev apt needs mounted for that time only.
debian_install() {
  local dir="$1"; shift
  mount -t proc proc "$dir/proc"
  mount --bind /dev "$dir/dev"
  log "chroot apt-get install $* ..."
  local rc=0
  { in_root "$dir" apt-get update -q >&2 && in_root "$dir" apt-get install -y -q --no-install-recommends "$@" >&2 && in_root "$dir" apt-get clean >&2; } || rc=$?
  umount "$dir/proc" 2>/dev/null || true
  umount "$dir/dev" 2>/dev/null || true
  return "$rc"
}
