#!/usr/bin/env bash
# bench/profiles/20261201-h2-perf/perf-h2.sh NAME MAIN CP [extra jvm flags...]: run server pinned to CPU1, h2load warm 15s, perf record 10s under h2load
set -euo pipefail
cd "$(dirname "$0")/../../.."
name=$1 main=$2 cp=$3; shift 3
mapfile -t jvm_flags < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' Dockerfile | grep -E '^\s*ENTRYPOINT' | tail -1 | grep -oE '"-[^"]*"' | tr -d '"' | grep -vE '^-(cp|classpath)$')
jvm_flags+=(-XX:MaxRAM=512m -XX:+UnlockDiagnosticVMOptions -XX:+PreserveFramePointer -XX:+DumpPerfMapAtExit "$@")
port=$((20000 + RANDOM % 10000)); mgmt=$((port+1)); grpc=$((port+2))
env GRACEFUL_KUBERNETES=false GRACEFUL_DRAIN_DELAY=0 GRACEFUL_HOST=127.0.0.1 GRACEFUL_HTTP_PORT=$port GRACEFUL_GRPC_PORT=$grpc GRACEFUL_MANAGEMENT_PORT=$mgmt \
  taskset -c 1 java "${jvm_flags[@]}" -cp "$cp" "$main" > /tmp/perf-$name.log 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$mgmt/health/ready" && break; sleep 0.1; done
url="http://127.0.0.1:$port/delay?ms=0"
taskset -c 0 h2load -t1 -c4 -m16 -D 15 "$url" | grep -E "^requests:|finished in"
taskset -c 0 h2load -t1 -c4 -m16 -D 14 "$url" > /tmp/perf-$name.h2load &
hp=$!
sleep 2
perf record -F 1999 -g -p $pid -o /tmp/perf-$name.data -- sleep 10 2>/dev/null >/dev/null
wait $hp; grep -E "^requests:|finished in" /tmp/perf-$name.h2load
jcmd $pid Compiler.perfmap >/dev/null
kill $pid; wait $pid || true
perf report -i /tmp/perf-$name.data --no-children --sort symbol --stdio 2>/dev/null | grep -v "^$" | grep -E "^ +[0-9]" | head -80 > /tmp/perf-$name.flat  # flat profile by symbol; diff two of them by symbol to compare
echo done $name
