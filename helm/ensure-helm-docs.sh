#!/usr/bin/env bash
# Builds helm-docs (which generates graceful-runtime/README.md's values table) from the Go module proxy into the
# cache, once per version. The last line of stdout is "helm-docs-path=PATH".
set -euo pipefail
HELM_DOCS_VERSION=v1.14.2
TOOLS="${GRACEFUL_CACHE:-$HOME/.cache/graceful-runtime}/tools/helm-docs-$HELM_DOCS_VERSION"
if [ ! -x "$TOOLS/helm-docs" ]; then
  export PATH="$PATH:/usr/local/go/bin"
  mkdir -p "$TOOLS"
  GOBIN="$TOOLS" CGO_ENABLED=0 go install "github.com/norwoodj/helm-docs/cmd/helm-docs@$HELM_DOCS_VERSION" >&2
fi
echo "helm-docs-path=$TOOLS/helm-docs"
