#!/usr/bin/env bash
# Builds the naive contender (e2e/naive-server) as an image. Usage: build-naive-image.sh IMAGE
set -euo pipefail
cd "$(dirname "$0")/../.."
source e2e/podman/env.sh
[ -f runtime/target/graceful-runtime.jar ] || mvn -B -q -pl runtime -am package -DskipTests
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/classes" "$ctx/lib"
cp runtime/target/lib/*.jar runtime/target/graceful-runtime.jar "$ctx/lib/"
javac --release 17 -d "$ctx/classes" -cp "$ctx/lib/*" e2e/naive-server/src/naive/NaiveServer.java
jar --create --file "$ctx/naive.jar" -C "$ctx/classes" .
cp e2e/naive-server/Dockerfile "$ctx/"
podman build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$1" "$ctx" >/dev/null
echo "built $1"
