#!/usr/bin/env bash
# Builds the project's Dockerfile with podman on the local Java 21 base. Usage: build-image.sh IMAGE
set -euo pipefail
cd "$(dirname "$0")/../.."
source e2e/podman/env.sh
[ -f runtime/target/graceful-runtime.jar ] || mvn -B -q -pl runtime -am package -DskipTests
podman build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$1" . >/dev/null
echo "built $1 on $BASE_IMAGE"
