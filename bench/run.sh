#!/usr/bin/env bash
# Runs the benchmarks: bench/run.sh [all|startup|steady|shutdown|rollout ...] [--quick] [--out DIR] [--set key=value]...
# Builds the runtime (jar + lib/), the plain Vert.x server (e2e/naive-server, as a plain jar) and the harness,
# installs the load tools when a scenario needs them (e2e/load/ensure-tools.sh), then runs dev.graceful.bench.Bench.
# Results: bench/results/<UTC timestamp>/ and bench/results/latest -> it. See bench/README.md.
# BENCH_SKIP_BUILD=1 reuses what is built; BENCH_MVN_FLAGS adds Maven flags (e.g. -o);
# BENCH_EXTRA_CLASSPATH is appended to the harness's class path (for scenarios from other modules).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
mvn_flags=(-B -q ${BENCH_MVN_FLAGS:-})

case " $* " in
  *" -h "*|*" --help "*) ;;
  *) echo "bench: $*" >&2 ;;
esac

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  echo "bench: building the runtime" >&2
  mvn "${mvn_flags[@]}" -pl runtime -am package -DskipTests
  echo "bench: building the plain Vert.x server (e2e/naive-server)" >&2
  plain=bench/target/plain
  rm -rf "$plain" && mkdir -p "$plain/classes"
  javac --release 17 -d "$plain/classes" -cp "runtime/target/graceful-runtime.jar:runtime/target/lib/*" \
    e2e/naive-server/src/naive/NaiveServer.java
  jar --create --file "$plain/naive.jar" -C "$plain/classes" .
  # The runtime's class-data sharing archive, made as the image makes it (the same training run) with this JVM and
  # the same fixed class path, so the runtime starts here as it does in its image. Plain Vert.x gets none, as in its own.
  echo "bench: training the runtime's class-data sharing archive" >&2
  rm -rf bench/target/cds && mkdir -p bench/target/cds
  (cd bench/target/cds && java -Xmx256m -cp "$repo/runtime/target/graceful-runtime.jar" dev.graceful.runtime.training.CdsTraining \
    "$repo/bench/target/cds/runtime.jsa" > training.log 2>&1) \
    || { echo "bench: the CDS training failed; see bench/target/cds/training.log" >&2; exit 1; }
  echo "bench: building the harness (with the end-to-end harness it reuses)" >&2
  # One reactor call: the e2e test-jar the rollout scenario needs is resolved from the reactor, not installed.
  mvn "${mvn_flags[@]}" -pl bench -am package dependency:build-classpath -DskipTests \
    -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime >/dev/null
fi

# The load tools, only for scenarios that drive load.
needs_tools=0
scenario_given=0
for a in "$@"; do
  case "$a" in
    all|steady|rollout) needs_tools=1; scenario_given=1 ;;
    startup|shutdown) scenario_given=1 ;;
  esac
done
[ "$scenario_given" = 1 ] || needs_tools=1
case " $* " in *" -h "*|*" --help "*) needs_tools=0 ;; esac
ghz=""
if [ "$needs_tools" = 1 ]; then
  tools_out=$(bash e2e/load/ensure-tools.sh)
  echo "$tools_out" >&2
  ghz=$(sed -n 's/^ghz-path=//p' <<<"$tools_out")
fi

cp="bench/target/classes:$(cat bench/target/classpath.txt)${BENCH_EXTRA_CLASSPATH:+:$BENCH_EXTRA_CLASSPATH}"
exec java -Djava.awt.headless=true \
  -Dbench.repo="$repo" \
  -Dbench.runtime.classpath="$repo/runtime/target/graceful-runtime.jar" \
  -Dbench.runtime.cds="$repo/bench/target/cds/runtime.jsa" \
  -Dbench.plain.classpath="$repo/bench/target/plain/naive.jar:$repo/runtime/target/graceful-runtime.jar:$repo/runtime/target/lib/*" \
  -Dbench.ghz="$ghz" \
  -cp "$cp" dev.graceful.bench.Bench "$@"
