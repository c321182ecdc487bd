#!/usr/bin/env bash
# Source me. Makes podman usable on a machine without a Docker engine or registry access, and builds the local
# Java 21 base image once (cached outside the repo). Needs root for apt-get and debootstrap.
#   GRACEFUL_CACHE   where the base rootfs and podman's config live (default ~/.cache/graceful-runtime)
#   BASE_IMAGE       the image name to build FROM (default localhost/graceful-base-jre21)
set -euo pipefail

GRACEFUL_CACHE="${GRACEFUL_CACHE:-$HOME/.cache/graceful-runtime}"
BASE_IMAGE="${BASE_IMAGE:-localhost/graceful-base-jre21}"
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
  # runc (crun fails on this VM's hybrid cgroups), cgroupfs, and ulimits within the hard limits allowed here.
  export CONTAINERS_CONF="$GRACEFUL_CACHE/containers.conf"
  cat > "$CONTAINERS_CONF" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
}

ensure_base_image() {
  if podman image exists "$BASE_IMAGE"; then
    return
  fi
  local rootfs="$GRACEFUL_CACHE/rootfs-jre21"
  if [ ! -x "$rootfs/usr/bin/java" ]; then
    echo "building the Java 21 base rootfs with debootstrap (about a minute)"
    rm -rf "$rootfs"
    debootstrap --variant=minbase --include=openjdk-21-jre-headless trixie "$rootfs" http://deb.debian.org/debian
  fi
  tar -C "$rootfs" -c . | podman import - "$BASE_IMAGE"
}

ensure_packages
configure_podman
ensure_base_image
