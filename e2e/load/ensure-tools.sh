#!/usr/bin/env bash
# Installs the standard load tools the end-to-end suite drives: wrk (HTTP/1.1), h2load (HTTP/2) and HAProxy (the L7 hop) from Debian,
# and ghz (gRPC) built from the Go module proxy into the cache (once per version). The last line of stdout is
# "ghz-path=PATH", the binary the callers run.
set -euo pipefail
GHZ_VERSION=v0.120.0
TOOLS="${GRACEFUL_CACHE:-$HOME/.cache/graceful-runtime}/tools/ghz-$GHZ_VERSION"
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)   # the L7 hop of the rollout scenarios
if [ "${#missing[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
if [ ! -x "$TOOLS/ghz" ]; then
  mkdir -p "$TOOLS"
  GOBIN="$TOOLS" CGO_ENABLED=0 go install "github.com/bojand/ghz/cmd/ghz@$GHZ_VERSION"
fi
wrk_version=$(wrk --version 2>&1 || true)
echo "load tools: ${wrk_version%%$'\n'*}; $(h2load --version); ghz $("$TOOLS/ghz" --version)"
echo "ghz-path=$TOOLS/ghz"
