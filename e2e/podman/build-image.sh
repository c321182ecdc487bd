#!/usr/bin/env bash
# Builds the project's Dockerfile with podman on the local Java 21 base. Usage: build-image.sh IMAGE
# BASE_IMAGE overrides the base (e.g. the shell-less one test-image.sh builds).
set -euo pipefail
cd "$(dirname "$0")/../.."
# GRACEFUL_IMAGE_ENGINE=docker builds with a Docker engine on the Dockerfile's default base (the k3s tests).
engine="${GRACEFUL_IMAGE_ENGINE:-podman}"
base_args=()
if [ "$engine" = podman ]; then
  source e2e/podman/env.sh
  base_args=(--build-arg BASE_IMAGE="$BASE_IMAGE")
fi
[ -f runtime/target/graceful-runtime.jar ] || mvn -B -q -pl runtime -am package -DskipTests
# OCI annotations: the commit built (with -dirty when the work tree has changes).
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || revision="$revision-dirty"
"$engine" build -q "${base_args[@]}" --build-arg REVISION="$revision" -t "$1" . >/dev/null
echo "built $1 with $engine"
