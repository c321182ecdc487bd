#!/usr/bin/env bash
# Builds a Go contender (bench/contenders/NAME) as a static binary in an image on the local base, for the node agent.
# Usage: build-go-image.sh NAME IMAGE. Exit 3 (and one line) when the Go module proxy cannot provide its modules.
set -euo pipefail
cd "$(dirname "$0")/../.."
name="$1"
image="$2"
source e2e/podman/env.sh
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" GOFLAGS=-mod=mod
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
# Resolved in a copy, so go.sum and the resolved versions never dirty the work tree.
cp -r "bench/contenders/$name" "$ctx/src"
src="$ctx/src"
# A peer the Go module proxy refuses is taken from its source under GRACEFUL_PEERS (../shared/peers next to the
# repository by default; each directory's SOURCE names the upstream commit) through a replace directive.
peers="${GRACEFUL_PEERS:-$(pwd)/../shared/peers}"
if ! (cd "$src" && go mod tidy >"$ctx/tidy.log" 2>&1); then
  refused="$(grep -m1 -E 'Forbidden|not available|error' "$ctx/tidy.log" || tail -1 "$ctx/tidy.log")"
  replaced=0
  if [ "$name" = go-graceful ] && [ -f "$peers/go-graceful/go.mod" ]; then
    (cd "$src" && go mod edit -replace "github.com/ne-sachirou/go-graceful=$(cd "$peers/go-graceful" && pwd)")
    if (cd "$src" && go mod tidy >"$ctx/tidy.log" 2>&1); then
      replaced=1
      echo "go-graceful from $peers/go-graceful ($(head -c 60 "$peers/go-graceful/SOURCE")...): the module proxy refused it: $refused" >&2
    fi
  fi
  if [ "$replaced" = 0 ]; then
    fallback=""
    [ "$name" = go-graceful ] && fallback=" (and no usable source at $peers/go-graceful: set GRACEFUL_PEERS to the peers' folder)"
    echo "cannot resolve the modules of $name: $refused$fallback"
    exit 3
  fi
fi
(cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$ctx/server" .)
cat >"$ctx/Dockerfile" <<DOCKERFILE
ARG BASE_IMAGE
FROM \${BASE_IMAGE}
COPY server /app/server
USER 10001:10001
ENTRYPOINT ["/app/server"]
DOCKERFILE
podman build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$image" "$ctx" >/dev/null
echo "built $image"
