#!/usr/bin/env bash
# Installs the standard load tools the end-to-end suite drives: wrk (HTTP/1.1) and h2load (HTTP/2), from Debian.
set -euo pipefail
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
if [ "${#missing[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
echo "load tools: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $(h2load --version | head -1)"
