#!/usr/bin/env bash
# Profiles the request path with JFR: bench/profile.sh [runtime|plain|both] [--seconds N] [--warmup N] [--out DIR]
#
# Starts each contender as the steady scenario does (the Dockerfile's ENTRYPOINT JVM flags plus -XX:MaxRAM=512m, the
# runtime with GRACEFUL_KUBERNETES=false and GRACEFUL_DRAIN_DELAY=0, free loopback ports, servers on CPU 1 and the
# tools on CPU 0 when there are 2+ cores and taskset), then per load tool (wrk: HTTP/1.1 keep-alive -t2 -c16; h2load:
# h2c -c4 -m16; both on GET /delay?ms=0, the steady scenario's settings) a warm-up, then a JFR recording
# (settings=profile: CPU samples every 10-20 ms, allocation samples) started with jcmd for the measured window only.
# Each recording is summarised by bench/src/main/java/dev/graceful/bench/profile/JfrSummary.java (run as a source
# file, no build): <out>/<contender>-<tool>.txt (top self and inclusive methods on the event loops, the runtime's own
# share, allocations) and <contender>-<tool>.collapsed (flame-graph input, e.g. `flamegraph.pl X.collapsed > X.svg`).
# The tool's own output (throughput) is kept beside as <contender>-<tool>.load.txt.
# Default output: bench/results/profile-<UTC timestamp>/ (ignored by git). BENCH_SKIP_BUILD=1 reuses what is built;
# BENCH_MVN_FLAGS=-o builds offline. Loopback only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
which_=both
seconds=15
warmup=5
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    runtime|plain|both) which_=$1 ;;
    --seconds) seconds=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "profile: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-bench/results/profile-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -f runtime/target/graceful-runtime.jar ] || [ ! -f bench/target/plain/naive.jar ]; then
  echo "profile: building the runtime and the plain Vert.x server" >&2
  mvn -B -q ${BENCH_MVN_FLAGS:-} -pl runtime -am package -DskipTests
  plain=bench/target/plain
  rm -rf "$plain" && mkdir -p "$plain/classes"
  javac --release 17 -d "$plain/classes" -cp "runtime/target/graceful-runtime.jar:runtime/target/lib/*" \
    e2e/naive-server/src/naive/NaiveServer.java
  jar --create --file "$plain/naive.jar" -C "$plain/classes" .
fi
command -v wrk >/dev/null && command -v h2load >/dev/null || bash e2e/load/ensure-tools.sh >&2

# The image's JVM flags (ENTRYPOINT options, as bench's DockerfileFlags reads them) and the chart's memory limit.
mapfile -t jvm_flags < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' Dockerfile | grep -E '^\s*ENTRYPOINT' | tail -1 \
  | grep -oE '"-[^"]*"' | tr -d '"' | grep -vE '^-(cp|classpath)$')
jvm_flags+=(-XX:MaxRAM=512m)

server_pin=() tool_pin=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_pin=(taskset -c 1) tool_pin=(taskset -c 0)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

profile_one() {
  local name=$1 main=$2 cp=$3
  local http grpc mgmt pid log="$out/$name.log"
  http=$(free_port) grpc=$(free_port) mgmt=$(free_port)
  echo "profile: $name on 127.0.0.1:$http (${server_pin[*]:-unpinned})" >&2
  env GRACEFUL_KUBERNETES=false GRACEFUL_DRAIN_DELAY=0 GRACEFUL_HOST=127.0.0.1 GRACEFUL_HTTP_PORT="$http" \
    GRACEFUL_GRPC_PORT="$grpc" GRACEFUL_MANAGEMENT_PORT="$mgmt" \
    "${server_pin[@]}" java "${jvm_flags[@]}" -cp "$cp" "$main" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "http://127.0.0.1:$mgmt/health/ready" && break
    kill -0 "$pid" 2>/dev/null || { echo "profile: $name exited early, see $log" >&2; return 1; }
    sleep 0.1
  done
  curl -fs -o /dev/null "http://127.0.0.1:$mgmt/health/ready" || { kill "$pid"; echo "profile: $name not ready" >&2; return 1; }
  local url="http://127.0.0.1:$http/delay?ms=0"
  for tool in wrk h2load; do
    local cmd
    if [ "$tool" = wrk ]; then
      cmd() { "${tool_pin[@]}" wrk -t2 -c16 -d"$1"s --latency "$url"; }
    else
      cmd() { "${tool_pin[@]}" h2load -t1 -c4 -m16 -D "$1" "$url"; }
    fi
    cmd "$warmup" >/dev/null 2>&1
    local jfr="$out/$name-$tool.jfr"
    jcmd "$pid" JFR.start name=profile settings=profile filename="$jfr" >/dev/null
    cmd "$seconds" >"$out/$name-$tool.load.txt" 2>&1
    jcmd "$pid" JFR.stop name=profile >/dev/null
    grep -E 'Requests/sec|^finished in' "$out/$name-$tool.load.txt" | sed "s/^/profile: $name $tool: /" >&2
    java bench/src/main/java/dev/graceful/bench/profile/JfrSummary.java "$jfr" "$out/$name-$tool" 40 >/dev/null
  done
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

lib="$repo/runtime/target/graceful-runtime.jar:$repo/runtime/target/lib/*"
case "$which_" in
  runtime|both) profile_one graceful-runtime dev.graceful.runtime.Main "$lib" ;;
esac
case "$which_" in
  plain|both) profile_one plain-vertx naive.NaiveServer "$repo/bench/target/plain/naive.jar:$lib" ;;
esac
echo "profile: summaries in $out" >&2
grep -H "the runtime's own work" "$out"/*.txt >&2 || true
