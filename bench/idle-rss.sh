#!/usr/bin/env bash
# Idle resident memory of the runtime's demo under two settings, alternating starts (A B, B A, ...) so drift in the
# machine hits both: each start waits for readiness, lets it idle IDLE_SECONDS, reads VmRSS, and stops it.
#   bench/idle-rss.sh RUNS 'ENV_A' 'ENV_B'        e.g. bench/idle-rss.sh 7 GRACEFUL_JVM_METRICS=true GRACEFUL_JVM_METRICS=false
# Needs runtime/target (mvn -pl runtime package). Flags as the image's (MaxRAM 512m, the chart's limit). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"; a="${2:?ENV_A}"; b="${3:?ENV_B}"; idle="${IDLE_SECONDS:-3}"
cp="runtime/target/graceful-runtime.jar:runtime/target/lib/*"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
measure() { # measure "ENV=VALUE ..." -> prints VmRSS in kB
  local mgmt; mgmt=$(free_port)
  env $1 GRACEFUL_KUBERNETES=false GRACEFUL_HOST=127.0.0.1 GRACEFUL_HTTP_PORT=0 GRACEFUL_GRPC_PORT=0 \
    GRACEFUL_MANAGEMENT_PORT="$mgmt" GRACEFUL_DRAIN_DELAY=0 \
    java -XX:MaxRAM=512m -XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=25.0 -cp "$cp" dev.graceful.runtime.Main \
    >/dev/null 2>&1 &
  local pid=$! until=$((SECONDS + 30))
  until curl -sf "http://127.0.0.1:$mgmt/health/ready" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$until" ] || { kill -9 "$pid"; echo "not ready in 30 s" >&2; return 1; }
    sleep 0.05
  done
  sleep "$idle"
  awk '/^VmRSS/ {print $2}' "/proc/$pid/status"
  kill -TERM "$pid"; wait "$pid" || true
}
declare -a ra rb
for i in $(seq "$runs"); do
  if [ $((i % 2)) -eq 1 ]; then ra+=("$(measure "$a")"); rb+=("$(measure "$b")"); else rb+=("$(measure "$b")"); ra+=("$(measure "$a")"); fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
echo "A ($a) VmRSS kB: ${ra[*]}"
echo "B ($b) VmRSS kB: ${rb[*]}"
ma=$(median "${ra[@]}"); mb=$(median "${rb[@]}")
echo "median A $ma kB, B $mb kB, A/B $(awk -v a="$ma" -v b="$mb" 'BEGIN {printf "%.3f", a / b}')"
