#!/usr/bin/env bash
# Builds the "unchanged Vert.x application" contender: e2e/naive-server's UnchangedApp verticle in /app/ext of the
# runtime's image, named in GRACEFUL_VERTICLES, nothing else. Usage: build-unchanged-app-image.sh IMAGE RUNTIME_IMAGE
set -euo pipefail
cd "$(dirname "$0")/../.."
engine="${GRACEFUL_IMAGE_ENGINE:-podman}"
if [ "$engine" = podman ]; then
  source e2e/podman/env.sh
fi
[ -f runtime/target/graceful-runtime.jar ] || mvn -B -q -pl runtime -am package -DskipTests
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/classes"
javac --release 17 -d "$ctx/classes" -cp "runtime/target/graceful-runtime.jar:runtime/target/lib/*" e2e/naive-server/src/naive/UnchangedApp.java
jar --create --file "$ctx/unchanged-app.jar" -C "$ctx/classes" .
cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM $2
COPY unchanged-app.jar /app/ext/
ENV GRACEFUL_VERTICLES=naive.UnchangedApp
DOCKERFILE
"$engine" build -q -t "$1" "$ctx" >/dev/null
echo "built $1 from $2"
