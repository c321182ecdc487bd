#!/usr/bin/env bash
# Builds a minimal Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager), or with the argument
# `node` a node's components (kubelet, kube-proxy, containerd 2 and its runc shim, ctr), from the official Go
# modules, fetched through the Go module proxy only (no GitHub, no dl.k8s.io), into a cache outside the repo:
#
#   ${GRACEFUL_CACHE:-$HOME/.cache/graceful-runtime}/controlplane/<K8S_VERSION>/bin/{etcd,kube-apiserver,kube-controller-manager}
#   ${GRACEFUL_CACHE:-$HOME/.cache/graceful-runtime}/node/<K8S_VERSION>-containerd-<CONTAINERD_VERSION>/bin/{kubelet,...}
#
# Idempotent: when the binaries for the pinned versions already exist it only prints where they are and exits 0.
# On success the bin directory is the ONLY thing written to stdout (progress goes to stderr), so a harness can do
#   BIN_DIR="$(e2e/controlplane/build-binaries.sh)"
#
# Environment:
#   GRACEFUL_CACHE   cache root (default ~/.cache/graceful-runtime)
#   K8S_VERSION      override the pinned Kubernetes version (a vX.Y.Z tag of module k8s.io/kubernetes)
#   ETCD_VERSION     override the pinned etcd version (a vX.Y.Z tag of module go.etcd.io/etcd/server/v3)
#   CONTAINERD_VERSION override the pinned containerd (a v2.Y.Z tag of module github.com/containerd/containerd/v2)
#
# Needs only a Go toolchain (GOPROXY as configured, normally proxy.golang.org). The Go module and build caches
# (GOMODCACHE, GOCACHE) are deliberately left at their defaults so later runs reuse them. A cold build of both
# Kubernetes binaries takes many minutes on a small machine.
set -Eeuo pipefail

# Pinned versions: newest stable Kubernetes served by the proxy, and the etcd it is tested with
# (k8s.io/kubernetes@v1.36.3: build/dependencies.yaml "etcd: 3.6.8", go.mod go.etcd.io/etcd/* v3.6.8).
K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.8}"
# Kubernetes after 1.35 expects containerd 2.x; Debian 12 ships 1.6, so it is built from its module too.
CONTAINERD_VERSION="${CONTAINERD_VERSION:-v2.4.2}"
COMPONENT="${1:-controlplane}"

# Build tags used by the official Kubernetes release build (hack/lib/golang.sh).
K8S_BUILD_TAGS="selinux,notest,grpcnotrace"

GRACEFUL_CACHE="${GRACEFUL_CACHE:-$HOME/.cache/graceful-runtime}"
case "$COMPONENT" in
  controlplane)
    CP_DIR="$GRACEFUL_CACHE/controlplane/$K8S_VERSION"
    BINARIES=(etcd kube-apiserver kube-controller-manager)
    K8S_COMMANDS=(kube-apiserver kube-controller-manager)
    STAMP_CONTENT="kubernetes=$K8S_VERSION etcd=$ETCD_VERSION" ;;
  node)
    CP_DIR="$GRACEFUL_CACHE/node/$K8S_VERSION-containerd-$CONTAINERD_VERSION"
    BINARIES=(kubelet kube-proxy containerd containerd-shim-runc-v2 ctr)
    K8S_COMMANDS=(kubelet kube-proxy)
    STAMP_CONTENT="kubernetes=$K8S_VERSION containerd=$CONTAINERD_VERSION" ;;
  *) echo "[build-binaries] ERROR: unknown component '$COMPONENT' (controlplane or node)" >&2; exit 2 ;;
esac
BIN_DIR="$CP_DIR/bin"
STAMP="$BIN_DIR/.versions"

log() { echo "[build-binaries] $*" >&2; }
die() { echo "[build-binaries] ERROR: $*" >&2; exit 1; }
trap 'rc=$?; echo "[build-binaries] ERROR: command failed (exit $rc) at line $LINENO: $BASH_COMMAND" >&2' ERR

is_complete() {
  local b
  for b in "${BINARIES[@]}"; do [ -x "$BIN_DIR/$b" ] || return 1; done
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_CONTENT" ]
}

report_ready() {
  log "$COMPONENT binaries ($STAMP_CONTENT) are in $BIN_DIR:"
  local b
  for b in "${BINARIES[@]}"; do log "  $BIN_DIR/$b"; done
  echo "$BIN_DIR"
}

if is_complete; then
  report_ready
  exit 0
fi

[[ "$K8S_VERSION" =~ ^v1\.[0-9]+\.[0-9]+$ ]] || die "K8S_VERSION must look like v1.Y.Z (got '$K8S_VERSION')"
[[ "$ETCD_VERSION" =~ ^v3\.[0-9]+\.[0-9]+$ ]] || die "ETCD_VERSION must look like v3.Y.Z (got '$ETCD_VERSION')"
command -v go >/dev/null 2>&1 || die "'go' is not on PATH; a Go toolchain is required"

mkdir -p "$CP_DIR"
# Serialise concurrent runs: the second one waits, then finds the binaries and exits.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CP_DIR/.lock"
  if ! flock -n 9; then
    log "another build is running (lock $CP_DIR/.lock); waiting for it"
    flock 9
  fi
  if is_complete; then
    report_ready
    exit 0
  fi
fi

WORK="$(mktemp -d "$CP_DIR/.build.XXXXXX")"
cleanup() { chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

export GOWORK=off CGO_ENABLED=0
GO_MOD_FLAGS=(-mod=mod)

# Prints the value of a top-level string field of `go mod download -json` output.
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p" | head -n1; }

# Downloads module@version (into GOMODCACHE); prints the path of its go.mod file.
download_module() {
  local mod="$1" out gomod
  if ! out="$(go mod download -json "$mod" 2>&1)"; then
    die "go mod download $mod failed:"$'\n'"$out"
  fi
  if grep -q '"Error"' <<<"$out"; then die "go mod download $mod failed: $(json_field Error <<<"$out")"; fi
  gomod="$(json_field GoMod <<<"$out")"
  [ -n "$gomod" ] && [ -f "$gomod" ] || die "go mod download $mod: no go.mod in the response"
  echo "$gomod"
}

# Modules that a go.mod replaces with a local directory (=> ./x or ../x), from both the block and one-line forms.
local_replaces() {
  awk '
    /^replace[[:space:]]*\($/ { inblock = 1; next }
    inblock && /^\)/ { inblock = 0; next }
    inblock && $2 == "=>" && $3 ~ /^\.\.?\// { print $1; next }
    /^replace[[:space:]]/ && $3 == "=>" && $4 ~ /^\.\.?\// { print $2 }
  ' "$1"
}

go_directive() { awk '$1 == "go" { print $2; exit }' "$1"; }

# Writes a work module in $1 that requires $2@$3; every module in the remaining lines of stdin is replaced by
# itself at version $4. godebug lines of the upstream go.mod ($5) are copied so runtime defaults match upstream.
write_work_module() {
  local dir="$1" mod="$2" ver="$3" repl_ver="$4" upstream="$5" m
  mkdir -p "$dir"
  {
    echo "module graceful.local/controlplane-build"
    echo
    echo "go $(go_directive "$upstream")"
    echo
    grep -E '^godebug[[:space:]]' "$upstream" || true
    echo
    echo "require $mod $ver"
    echo
    echo "replace ("
    while read -r m; do [ -n "$m" ] && echo "	$m => $m $repl_ver"; done
    echo ")"
  } >"$dir/go.mod"
}

timed() { # timed <label> <command...>
  local label="$1" start end; shift
  start=$(date +%s)
  "$@"
  end=$(date +%s)
  log "$label took $((end - start))s"
}

mkdir -p "$WORK/bin"
TOTAL_START=$(date +%s)

# ---------------------------------------------------------------------------------------------------- Kubernetes
K8S_MINOR="${K8S_VERSION#v1.}"; K8S_MINOR="${K8S_MINOR%%.*}"
STAGING_VERSION="v0.${K8S_VERSION#v1.}"   # staging modules are tagged v0.Y.Z for Kubernetes v1.Y.Z
log "resolving k8s.io/kubernetes@$K8S_VERSION through the Go module proxy"
K8S_GOMOD="$(download_module "k8s.io/kubernetes@$K8S_VERSION")"
K8S_INFO="${K8S_GOMOD%.mod}.info"   # the proxy's .info file sits next to the .mod file
mapfile -t STAGING < <(local_replaces "$K8S_GOMOD")
[ "${#STAGING[@]}" -gt 0 ] || die "found no staging replace directives in $K8S_GOMOD"
log "replacing ${#STAGING[@]} staging modules with $STAGING_VERSION: ${STAGING[*]}"

K8S_WORK="$WORK/k8s"
printf '%s\n' "${STAGING[@]}" | write_work_module "$K8S_WORK" k8s.io/kubernetes "$K8S_VERSION" "$STAGING_VERSION" "$K8S_GOMOD"

if ! grep -q '^go\.etcd\.io/etcd/server/v3 '"$ETCD_VERSION"'$' <(awk '$1 ~ /^go\.etcd\.io\/etcd\// { print $1, $2 }' "$K8S_GOMOD"); then
  log "WARNING: k8s.io/kubernetes@$K8S_VERSION does not depend on go.etcd.io/etcd/server/v3 $ETCD_VERSION:"
  awk '$1 ~ /^go\.etcd\.io\/etcd\// { print "[build-binaries]     " $1, $2 }' "$K8S_GOMOD" >&2
fi

log "resolving the dependencies of ${K8S_COMMANDS[*]} (go get)"
K8S_GET=()
for cmd in "${K8S_COMMANDS[@]}"; do K8S_GET+=("k8s.io/kubernetes/cmd/$cmd@$K8S_VERSION"); done
(cd "$K8S_WORK" && go get "${K8S_GET[@]}" >&2) \
  || die "go get of the Kubernetes commands failed (see above)"

# Same version stamping as hack/lib/version.sh; buildDate is the release's publication time for reproducibility.
# The proxy does not tell the git commit, so gitCommit is set empty (otherwise /version shows "$Format:%H$").
BUILD_DATE="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$K8S_INFO" 2>/dev/null | head -n1)"
[ -n "$BUILD_DATE" ] || BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
K8S_LDFLAGS="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  K8S_LDFLAGS+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$K8S_MINOR"
  K8S_LDFLAGS+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$BUILD_DATE -X $pkg.gitCommit="
done

for cmd in "${K8S_COMMANDS[@]}"; do
  log "compiling $cmd $K8S_VERSION (slow on a cold build cache)"
  (cd "$K8S_WORK" && timed "$cmd build" go build "${GO_MOD_FLAGS[@]}" -trimpath -tags "$K8S_BUILD_TAGS" \
      -ldflags "$K8S_LDFLAGS" -o "$WORK/bin/$cmd" "k8s.io/kubernetes/cmd/$cmd") \
    || die "go build of $cmd failed (see above)"
done

# ---------------------------------------------------------------------------------------------------------- etcd
if [ "$COMPONENT" = controlplane ]; then
log "resolving go.etcd.io/etcd/server/v3@$ETCD_VERSION through the Go module proxy"
ETCD_GOMOD="$(download_module "go.etcd.io/etcd/server/v3@$ETCD_VERSION")"
# Sibling etcd modules (api, client/pkg, client/v3, pkg) are replaced by the same tag, like etcd's own build;
# the "FORBIDDEN_DEPENDENCY" guards are not modules and are skipped.
mapfile -t ETCD_SIBLINGS < <(awk '
    /^replace[[:space:]]*\($/ { inblock = 1; next }
    inblock && /^\)/ { inblock = 0; next }
    inblock && $2 == "=>" && $3 ~ /^\.\.?\// && $3 !~ /FORBIDDEN/ { print $1 }
    /^replace[[:space:]]/ && $3 == "=>" && $4 ~ /^\.\.?\// && $4 !~ /FORBIDDEN/ { print $2 }
  ' "$ETCD_GOMOD")
ETCD_WORK="$WORK/etcd"
printf '%s\n' "${ETCD_SIBLINGS[@]}" | write_work_module "$ETCD_WORK" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$ETCD_VERSION" "$ETCD_GOMOD"
log "resolving the dependencies of etcd (go get)"
(cd "$ETCD_WORK" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2) || die "go get of etcd failed (see above)"
log "compiling etcd $ETCD_VERSION"
(cd "$ETCD_WORK" && timed "etcd build" go build "${GO_MOD_FLAGS[@]}" -trimpath -ldflags "-s -w" \
    -o "$WORK/bin/etcd" go.etcd.io/etcd/server/v3) || die "go build of etcd failed (see above)"
fi

# ---------------------------------------------------------------------------------------------------- containerd
if [ "$COMPONENT" = node ]; then
  CTRD_MOD=github.com/containerd/containerd/v2
  log "resolving $CTRD_MOD@$CONTAINERD_VERSION through the Go module proxy"
  CTRD_GOMOD="$(download_module "$CTRD_MOD@$CONTAINERD_VERSION")"
  CTRD_WORK="$WORK/containerd"
  printf '' | write_work_module "$CTRD_WORK" "$CTRD_MOD" "$CONTAINERD_VERSION" "$CONTAINERD_VERSION" "$CTRD_GOMOD"
  (cd "$CTRD_WORK" && go get "$CTRD_MOD/cmd/containerd@$CONTAINERD_VERSION" \
      "$CTRD_MOD/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION" "$CTRD_MOD/cmd/ctr@$CONTAINERD_VERSION" >&2) \
    || die "go get of containerd failed (see above)"
  # No cgo: the btrfs, devmapper and zfs snapshotters need it and are not used (overlayfs is).
  CTRD_LDFLAGS="-s -w -X $CTRD_MOD/version.Version=$CONTAINERD_VERSION -X $CTRD_MOD/version.Package=$CTRD_MOD"
  for cmd in containerd containerd-shim-runc-v2 ctr; do
    log "compiling $cmd $CONTAINERD_VERSION"
    (cd "$CTRD_WORK" && timed "$cmd build" go build "${GO_MOD_FLAGS[@]}" -trimpath -tags "no_btrfs no_devmapper no_zfs" \
        -ldflags "$CTRD_LDFLAGS" -o "$WORK/bin/$cmd" "$CTRD_MOD/cmd/$cmd") || die "go build of $cmd failed (see above)"
  done
fi

# ------------------------------------------------------------------------------------------------- verify, install
check_version() { # check_version <binary> <expected substring>
  local out
  out="$("$1" --version 2>&1)" || die "$1 --version failed: $out"
  grep -qF -- "$2" <<<"$out" || die "$1 --version does not mention $2: $out"
  echo "$out"
}
expected_version() { # the --version text that names the pinned version of binary $1
  case "$1" in
    etcd) echo "etcd Version: ${ETCD_VERSION#v}" ;;
    containerd|ctr) echo "$CONTAINERD_VERSION" ;;
    containerd-shim-runc-v2) echo "" ;;
    *) echo "Kubernetes $K8S_VERSION" ;;
  esac
}
log "verifying the new binaries"
for b in "${BINARIES[@]}"; do
  [ -z "$(expected_version "$b")" ] || check_version "$WORK/bin/$b" "$(expected_version "$b")" >/dev/null
done

mkdir -p "$BIN_DIR"
rm -f "$STAMP"
for b in "${BINARIES[@]}"; do mv -f "$WORK/bin/$b" "$BIN_DIR/$b"; done   # same filesystem: atomic renames
echo "$STAMP_CONTENT" >"$STAMP.tmp" && mv -f "$STAMP.tmp" "$STAMP"

log "installed; total build time $(( $(date +%s) - TOTAL_START ))s"
for b in "${BINARIES[@]}"; do
  [ -n "$(expected_version "$b")" ] || continue
  log "\$ $BIN_DIR/$b --version"
  check_version "$BIN_DIR/$b" "$(expected_version "$b")" | sed 's/^/[build-binaries]     /' >&2
done
report_ready
