#!/usr/bin/env bash
# Loads an image that podman built into the real node's containerd (no registry):
#   import-image.sh CTR CONTAINERD_SOCKET IMAGE
# The image "localhost/pause:e2e" is built here first (a static pause binary FROM scratch, see pause/).
set -euo pipefail
ctr="$1"; socket="$2"; image="$3"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../podman/env.sh" >/dev/null
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
if [ "$image" = localhost/pause:e2e ]; then
  gcc -static -O2 -o "$tmp/pause" "$here/pause/pause.c"
  cp "$here/pause/Containerfile" "$tmp/"
  podman build -q -t "$image" "$tmp" >/dev/null
fi
podman save -o "$tmp/image.tar" "$image" >/dev/null
"$ctr" --address "$socket" -n k8s.io images import "$tmp/image.tar" >/dev/null
echo "imported $image"
