#!/usr/bin/env bash
# Where idle resident memory goes: the runtime with its class-data sharing archive, the same with the JVM meters off,
# the runtime without the archive, and plain Vert.x, each started as bench/run.sh starts them (the Dockerfile's JVM
# flags and -XX:MaxRAM=512m), read from /proc/PID/status 3 s after /health/ready answers 200; the variants alternate
# within each round. Usage: bench/rss-breakdown.sh [ROUNDS] (default 3), after bench/run.sh has built
# runtime/target, bench/target/plain and bench/target/cds. Loopback only; TASKSET="taskset -c 1" pins the JVMs.
# LOAD=N: sample after N s of wrk (HTTP/1.1, the steady scenario's settings) instead of idle, the last 0.5 s still
# under load, wrk pinned to CPU 0 when TASKSET is set. NMT=1: also the JVM's own account (Native Memory Tracking,
# committed KB per area: Java Heap, Class, Thread, Code, GC, Metaspace, Shared class space, Other), which
# -XX:NativeMemoryTracking=summary adds a little to. VARIANTS="cds plain" picks variants.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
rounds=${1:-3}
for f in runtime/target/graceful-runtime.jar bench/target/plain/naive.jar bench/target/cds/runtime.jsa; do
  [ -f "$f" ] || { echo "rss-breakdown: $f is missing: run bench/run.sh startup first" >&2; exit 2; }
done
flags=(-XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=25.0 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp
  -Duser.home=/tmp -XX:MaxRAM=512m)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

measure() {
  local variant=$1 cp main extra=() env=()
  cp="$repo/runtime/target/graceful-runtime.jar"; main=dev.graceful.runtime.Main
  case $variant in
    # -Xshare:on: an archive that does not match this jar fails the start instead of silently measuring without it.
    cds) extra=(-Xshare:on -XX:SharedArchiveFile="$repo/bench/target/cds/runtime.jsa") ;;
    cds-nojvm) extra=(-Xshare:on -XX:SharedArchiveFile="$repo/bench/target/cds/runtime.jsa"); env=(GRACEFUL_JVM_METRICS=false) ;;
    nocds) ;;
    plain) cp="$repo/bench/target/plain/naive.jar:$repo/runtime/target/graceful-runtime.jar:$repo/runtime/target/lib/*"
      main=naive.NaiveServer ;;
  esac
  [ "${NMT:-0}" = 1 ] && extra+=(-XX:NativeMemoryTracking=summary)
  local http grpc mgmt pid
  http=$(port); grpc=$(port); mgmt=$(port)
  env "${env[@]}" GRACEFUL_KUBERNETES=false GRACEFUL_HOST=127.0.0.1 GRACEFUL_HTTP_PORT="$http" GRACEFUL_GRPC_PORT="$grpc" \
    GRACEFUL_MANAGEMENT_PORT="$mgmt" ${TASKSET:-} java "${flags[@]}" "${extra[@]}" -cp "$cp" "$main" >/dev/null 2>&1 &
  pid=$!
  local up=0
  for _ in $(seq 1 3000); do
    if curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mgmt/health/ready" 2>/dev/null | grep -q 200; then up=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.005
  done
  if [ "$up" = 1 ]; then
    sleep 3
    local row
    if [ "${LOAD:-0}" -gt 0 ]; then
      # Sampled 0.5 s before wrk ends, as the steady scenario samples rss.load.
      ${TOOL_TASKSET:-} wrk -t2 -c16 -d"${LOAD}"s "http://127.0.0.1:$http/delay?ms=0" >/dev/null &
      local wrk_pid=$!
      sleep "$(python3 -c "print(max(0.5, ${LOAD} - 0.5))")"
      row=$(awk '/^(VmRSS|RssAnon|RssFile):/{print $2}' "/proc/$pid/status" | tr '\n' ' ')
      [ "${NMT:-0}" = 1 ] && row+=" $(nmt "$pid")"
      wait "$wrk_pid" || true
    else
      row=$(awk '/^(VmRSS|RssAnon|RssFile):/{print $2}' "/proc/$pid/status" | tr '\n' ' ')
      [ "${NMT:-0}" = 1 ] && row+=" $(nmt "$pid")"
    fi
    printf '| %s | %s |\n' "$variant" "$(echo $row | sed 's/ / | /g')"
  else
    printf '| %s | did not start (for cds: the archive does not match this jar; rerun bench/run.sh) | | |\n' "$variant"
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Committed KB of the areas NMT_AREAS names, from jcmd's summary (one line per area: "-   Java Heap (reserved=..., committed=...)").
NMT_AREAS=("Java Heap" "Class" "Thread" "Code" "GC" "Metaspace" "Shared class space" "Other")
nmt() {
  local out area
  out=$(jcmd "$1" VM.native_memory summary 2>/dev/null || true)
  for area in "${NMT_AREAS[@]}"; do
    printf '%s ' "$(echo "$out" | grep -E "^-\s+$area \(" | head -1 | sed -E 's/.*committed=([0-9]+)KB.*/\1/')"
  done
}

[ "${LOAD:-0}" -gt 0 ] && [ -n "${TASKSET:-}" ] && TOOL_TASKSET="taskset -c 0"
header="| variant | VmRSS kB | RssAnon kB | RssFile kB |"
[ "${NMT:-0}" = 1 ] && for a in "${NMT_AREAS[@]}"; do header+=" NMT $a kB |"; done
echo "$header"
echo "$header" | sed -E 's/[^|]+/ --- /g'
for _ in $(seq 1 "$rounds"); do
  for v in ${VARIANTS:-cds cds-nojvm nocds plain}; do measure "$v"; done
done
