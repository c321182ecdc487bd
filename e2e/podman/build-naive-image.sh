#!/usr/bin/env bash
# Builds the naive contender (e2e/naive-server) as an image. Usage: build-naive-image.sh IMAGE
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
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/classes" "$ctx/lib"
cp runtime/target/lib/*.jar runtime/target/graceful-runtime.jar "$ctx/lib/"
javac --release 17 -d "$ctx/classes" -cp "$ctx/lib/*" e2e/naive-server/src/naive/NaiveServer.java
jar --create --file "$ctx/naive.jar" -C "$ctx/classes" .
cp e2e/naive-server/Dockerfile "$ctx/"
"$engine" build -q "${base_args[@]}" -t "$1" "$ctx" >/dev/null
echo "built $1"
