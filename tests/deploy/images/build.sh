#!/usr/bin/env bash
# Local stand-ins for the images deploy/ is built on (python:3.11-slim, postgres:16, redis:7,
# caddy:2), from Debian's packages alone: CI here reaches the package registries but not Docker
# Hub, as an office without internet reaches only its Debian mirror. A Debian bookworm root made
# by debootstrap is imported as trolyso-test/bookworm, then each stand-in is built on it as
# trolyso-test/<name>. What exists is reused, so a rerun takes seconds. Names given build those only
# (systemd: a plain server booting systemd, for tests/deploy/test_systemd_server.py).
#   tests/deploy/images/build.sh          (root: debootstrap and docker)
#   tests/deploy/images/build.sh systemd
#   DEBIAN_MIRROR=http://mirror.local/debian tests/deploy/images/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
base=trolyso-test/bookworm
root="" context=""
trap 'rm -rf "$root" "$context"' EXIT

if ! docker image inspect "$base" >/dev/null 2>&1; then
  echo "building $base with debootstrap from $mirror"
  root="$(mktemp -d)"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -n 20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
  rm -f "$root.log"
  cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
  # Kept small, as Docker's official images are: no package lists or downloaded packages.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
  tar --numeric-owner -C "$root" -c . | docker import --change 'CMD ["bash"]' - "$base" >/dev/null
fi

# The context: these files and the host's CA bundle (see python.Dockerfile).
context="$(mktemp -d)"
cp "$here"/*.Dockerfile "$here"/*.sh "$context"/
cp /etc/ssl/certs/ca-certificates.crt "$context/host-ca-certificates.crt"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(python postgres redis caddy)
for name in "${names[@]}"; do
  # Docker's classic builder (what Debian's docker.io has): its deprecation notice is noise here.
  out="$(docker build --force-rm --build-arg "BASE=$base" -t "trolyso-test/$name" -f "$context/$name.Dockerfile" "$context" 2>&1)" \
    || { printf '%s\n' "$out" | tail -n 30 >&2; exit 1; }
  echo "trolyso-test/$name ready"
done
