#!/usr/bin/env bash
# Off-cluster A/B of two CDS archives with their own jars: the demo with GRACEFUL_KUBERNETES=false, the image's JVM
# flags and the chart's limit (MaxRAM 512m), alternating starts (A B, B A, ...). Each start waits for readiness, reads
# VmRSS at ready, idles IDLE_SECONDS, reads VmRSS again, and stops with SIGTERM. Loopback only.
#   rss-ab.sh RUNS JAR_A ARCHIVE_A JAR_B ARCHIVE_B
set -euo pipefail
runs="$1"; jar_a="$2"; jsa_a="$3"; jar_b="$4"; jsa_b="$5"; idle="${IDLE_SECONDS:-3}"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
measure() { # measure LABEL JAR ARCHIVE -> "LABEL ready_ms rss_ready_kB rss_idle_kB"
  local mgmt; mgmt=$(free_port)
  local t0; t0=$(date +%s%N)
  env -i PATH="$PATH" GRACEFUL_KUBERNETES=false GRACEFUL_HOST=127.0.0.1 GRACEFUL_HTTP_PORT=0 GRACEFUL_GRPC_PORT=0 \
    GRACEFUL_MANAGEMENT_PORT="$mgmt" GRACEFUL_DRAIN_DELAY=0 \
    java -XX:MaxRAM=512m -XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=25.0 -Xshare:on \
    -XX:SharedArchiveFile="$3" -cp "$2" dev.graceful.runtime.Main >/dev/null 2>&1 &
  local pid=$! until=$((SECONDS + 30))
  until curl -sf "http://127.0.0.1:$mgmt/health/ready" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$until" ] || { kill -9 "$pid"; echo "not ready in 30 s" >&2; return 1; }
    sleep 0.02
  done
  local ready_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  local r1; r1=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  sleep "$idle"
  local r2; r2=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  kill -TERM "$pid"; wait "$pid" || true
  echo "$1 $ready_ms $r1 $r2"
}
for i in $(seq "$runs"); do
  if [ $((i % 2)) -eq 1 ]; then measure A "$jar_a" "$jsa_a"; measure B "$jar_b" "$jsa_b"
  else measure B "$jar_b" "$jsa_b"; measure A "$jar_a" "$jsa_a"; fi
done
