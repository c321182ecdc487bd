#!/usr/bin/env bash
# Source me. Makes podman usable on a machine without a Docker engine or registry access, and builds the local
# Java 21 base image once (its root file system cached outside the repo). Needs root for apt-get and debootstrap.
#   GRACEFUL_CACHE   where built artefacts live, keyed by version (default ~/.cache/graceful-runtime); never
#                    configuration: podman's is e2e/podman/containers.conf, read from the repository every run
#   BASE_IMAGE       the image name to build FROM (default localhost/graceful-base-jre21)
set -euo pipefail

GRACEFUL_CACHE="${GRACEFUL_CACHE:-$HOME/.cache/graceful-runtime}"
BASE_IMAGE="${BASE_IMAGE:-localhost/graceful-base-jre21}"
BASE_SUITE=trixie
BASE_JRE=openjdk-21-jre-headless
mkdir -p "$GRACEFUL_CACHE"

ensure_packages() {
  local missing=()
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v runc >/dev/null 2>&1 || missing+=(runc)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  fi
}

configure_podman() {
  # The versioned file, not a copy: podman reads only the file CONTAINERS_CONF names.
  CONTAINERS_CONF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/containers.conf"
  export CONTAINERS_CONF
}

ensure_base_image() {
  if podman image exists "$BASE_IMAGE"; then
    return
  fi
  # Keyed by what went into it: a change of suite or JRE builds a new one beside the old.
  local rootfs="$GRACEFUL_CACHE/rootfs/$BASE_SUITE-$BASE_JRE"
  if [ ! -x "$rootfs/usr/bin/java" ]; then
    echo "building the Java 21 base rootfs with debootstrap (about a minute)"
    rm -rf "$rootfs"
    mkdir -p "$(dirname "$rootfs")"
    debootstrap --variant=minbase --include="$BASE_JRE" "$BASE_SUITE" "$rootfs" http://deb.debian.org/debian
  fi
  tar -C "$rootfs" -c . | podman import - "$BASE_IMAGE"
}

ensure_packages
configure_podman
ensure_base_image
