#!/usr/bin/env bash
# rssvar.sh ROUNDS LOADSECS VARIANT...: VmRSS/RssAnon/RssFile idle and under h2load; variants cds cds0 nocds plain plain0.
# Pinned to CPU 1, h2load on CPU 0, loopback only; GC logs in /tmp/rssvar-gc-VARIANT.log, server logs in /tmp/rssvar-VARIANT.log.
set -euo pipefail
cd "${BENCH_CLONE:-$(dirname "$0")/../../..}"
repo=$(pwd)
rounds=$1 load=$2; shift 2
flags=(-XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=25.0 -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp -Duser.home=/tmp -XX:MaxRAM=512m)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
measure() {
  local v=$1 cp="$repo/runtime/target/graceful-runtime.jar" main=dev.graceful.runtime.Main extra=()
  case $v in
    cds) extra=(-Xshare:on -XX:SharedArchiveFile="$repo/bench/target/cds/runtime.jsa") ;;
    cds0) extra=(-Xshare:on -XX:SharedArchiveFile="$repo/bench/target/cds/runtime.jsa" -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0) ;;
    nocds) ;;
    plain) cp="$repo/bench/target/plain/naive.jar:$cp:$repo/runtime/target/lib/*"; main=naive.NaiveServer ;;
    plain0) cp="$repo/bench/target/plain/naive.jar:$cp:$repo/runtime/target/lib/*"; main=naive.NaiveServer; extra=(-XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0) ;;
  esac
  local http grpc mgmt pid t0 t1; extra+=("-Xlog:gc:file=/tmp/rssvar-gc-$v.log")
  http=$(port); grpc=$(port); mgmt=$(port)
  t0=$(date +%s%N)
  env GRACEFUL_KUBERNETES=false GRACEFUL_HOST=127.0.0.1 GRACEFUL_HTTP_PORT=$http GRACEFUL_GRPC_PORT=$grpc GRACEFUL_MANAGEMENT_PORT=$mgmt \
    taskset -c 1 java "${flags[@]}" "${extra[@]}" -cp "$cp" $main >/tmp/rssvar-$v.log 2>&1 &
  pid=$!
  for _ in $(seq 1 3000); do curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mgmt/health/ready" 2>/dev/null | grep -q 200 && break; sleep 0.005; done
  t1=$(date +%s%N)
  local ready=$(( (t1 - t0) / 1000000 ))
  sleep 3
  local idle=$(awk '/^(VmRSS|RssAnon|RssFile):/{printf "%d ", $2/1024}' /proc/$pid/status)
  local loaded=""
  if [ "$load" -gt 0 ]; then
    taskset -c 0 h2load -t1 -c4 -m16 -D $load "http://127.0.0.1:$http/delay?ms=0" > /dev/null & hp=$!
    sleep $(python3 -c "print($load - 0.5)")
    loaded=$(awk '/^(VmRSS|RssAnon|RssFile):/{printf "%d ", $2/1024}' /proc/$pid/status)
    wait $hp || true
  fi
  echo "$v ready ${ready}ms idle(rss anon file MiB) $idle load $loaded"
  kill $pid; wait $pid 2>/dev/null || true
}
for r in $(seq 1 $rounds); do for v in "$@"; do measure $v; done; done
