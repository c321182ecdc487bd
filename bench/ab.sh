#!/usr/bin/env bash
# Paired A/B throughput of two server builds: bench/ab.sh [--rounds N] [--seconds S] [--tools wrk,h2load] A B
# A and B are each `runtime:JAR` (the runtime's Main from that jar, with runtime/target/lib/* beside it) or `plain`
# (e2e/naive-server, built by bench/run.sh or bench/profile.sh into bench/target/plain/naive.jar).
#
# For comparing a change before and after (copy runtime/target/graceful-runtime.jar aside before rebuilding), or the
# runtime against plain Vert.x, on a noisy shared machine: both servers run at once (pinned to CPU 1, the tools to
# CPU 0, as the steady scenario does, when there are 2+ cores and taskset), each gets a warm-up per tool, then the
# rounds alternate A B, B A, ... so slow drift hits both alike. Prints every round's req/s and the ratio B/A per
# round, and the CPU time per request of the server's event loops (user + system, from /proc; steadier than req/s
# when other processes share the CPU), then per tool the median ratios with their min and max. Loopback only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
rounds=7 seconds=5 warmup=10 tools=wrk,h2load
while [ $# -gt 2 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --tools) tools=$2; shift 2 ;;
    *) echo "ab: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 2 ] || { sed -n '2,10p' "$0" >&2; exit 2; }

mapfile -t jvm_flags < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' Dockerfile | grep -E '^\s*ENTRYPOINT' | tail -1 \
  | grep -oE '"-[^"]*"' | tr -d '"' | grep -vE '^-(cp|classpath)$')
jvm_flags+=(-XX:MaxRAM=512m)
server_pin=() tool_pin=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  server_pin=(taskset -c 1) tool_pin=(taskset -c 0)
fi
lib="$repo/runtime/target/lib/*"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
logdir=$(mktemp -d /tmp/ab.XXXXXX)
pids=() ports=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start() {
  local spec=$1 main cp http grpc mgmt
  case "$spec" in
    plain) main=naive.NaiveServer cp="$repo/bench/target/plain/naive.jar:$repo/runtime/target/graceful-runtime.jar:$lib" ;;
    runtime:*) main=dev.graceful.runtime.Main cp="${spec#runtime:}:$lib" ;;
    *) echo "ab: A and B are runtime:JAR or plain, not $spec" >&2; exit 2 ;;
  esac
  http=$(free_port) grpc=$(free_port) mgmt=$(free_port)
  env GRACEFUL_KUBERNETES=false GRACEFUL_DRAIN_DELAY=0 GRACEFUL_HOST=127.0.0.1 GRACEFUL_HTTP_PORT="$http" \
    GRACEFUL_GRPC_PORT="$grpc" GRACEFUL_MANAGEMENT_PORT="$mgmt" \
    "${server_pin[@]}" java "${jvm_flags[@]}" -cp "$cp" "$main" >"$logdir/${#pids[@]}.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "http://127.0.0.1:$mgmt/health/ready" && break
    sleep 0.1
  done
  curl -fs -o /dev/null "http://127.0.0.1:$mgmt/health/ready" || { echo "ab: $spec not ready, see $logdir" >&2; exit 1; }
  ports+=("$http")
}

# The CPU time so far (user + system) of the server's event-loop threads, in clock ticks: the request path's cost,
# without the JIT compiler threads (still busy for a while after a short warm-up) or GC.
cpu_ticks() {
  local t total=0
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in
      vert.x-eventloo*) total=$((total + $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0))) ;;
    esac
  done
  echo "$total"
}

# One run of a tool against server number $2: prints "req/s cpu-us-per-request". The CPU time per request is the
# steadier figure on a shared machine: other processes taking CPU 1 lower the req/s of a run, hardly its cost.
load() {
  local tool=$1 port=${ports[$2]} pid=${pids[$2]} secs=$3 out c0 c1
  local url="http://127.0.0.1:$port/delay?ms=0"
  c0=$(cpu_ticks "$pid")
  if [ "$tool" = wrk ]; then
    out=$("${tool_pin[@]}" wrk -t2 -c16 -d"$secs"s "$url")
    c1=$(cpu_ticks "$pid")
    awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" '/requests in/ {n=$1} /^Requests\/sec/ {r=$2}
      END {printf "%s %.2f\n", r, c / hz * 1e6 / n}' <<<"$out"
  else
    out=$("${tool_pin[@]}" h2load -t1 -c4 -m16 -D "$secs" "$url")
    c1=$(cpu_ticks "$pid")
    awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" '/^requests:/ {n=$8} /^finished in/ {r=$4}
      END {printf "%s %.2f\n", r, c / hz * 1e6 / n}' <<<"$out"
  fi
}

start "$1"
start "$2"
echo "ab: A=$1 B=$2, $rounds rounds of ${seconds}s per tool (${server_pin[*]:-unpinned}), load $(cut -d' ' -f1-3 /proc/loadavg)"
for tool in ${tools//,/ }; do
  load "$tool" 0 "$warmup" >/dev/null
  load "$tool" 1 "$warmup" >/dev/null
  rows=()
  for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) = 1 ]; then a=$(load "$tool" 0 "$seconds"); b=$(load "$tool" 1 "$seconds")
    else b=$(load "$tool" 1 "$seconds"); a=$(load "$tool" 0 "$seconds"); fi
    rows+=("$a $b")
  done
  printf '%s\n' "${rows[@]}" | python3 -c "
import statistics, sys
rows = [[float(x) for x in line.split()] for line in sys.stdin if line.strip()]
for i, (ar, ac, br, bc) in enumerate(rows, 1):
    print(f'$tool round {i}: A {ar:.0f} req/s {ac:.2f} us/req | B {br:.0f} req/s {bc:.2f} us/req | B/A req/s {br/ar:.3f} cpu/req {bc/ac:.3f}')
def line(name, r):
    return f'{name} median {statistics.median(r):.3f} (min {min(r):.3f}, max {max(r):.3f})'
print('$tool: B/A ' + line('req/s', [b / a for a, _, b, _ in rows]) + '; ' + line('CPU per request', [d / c for _, c, _, d in rows])
      + f'; n={len(rows)}; medians A {statistics.median([r[1] for r in rows]):.2f} B {statistics.median([r[3] for r in rows]):.2f} us/req')
"
done
echo "ab: load after $(cut -d' ' -f1-3 /proc/loadavg)"
