#!/usr/bin/env bash
# Builds the project's Dockerfile with podman on the local Java 21 base, runs the container as the Helm chart
# would (non-root, read-only root filesystem, writable /tmp, no capabilities, host network on its own loopback
# address), checks the probes and the JVM flags of PID 1 (and the heap under a 256m limit), sends SIGTERM with a
# request in flight, and checks that the request completed and the container exited 0. Class-data sharing: the
# runtime's classes come from the image's archive (-Xlog:class+load), also in an image FROM it with an application jar
# in /app/ext; a class path the archive does not match still starts (with the JVM's warning); a failing training fails
# the build. Prints "N passed, N failed" and exits non-zero on any failure. GRACEFUL_TEST_IMAGE and
# GRACEFUL_TEST_USER_IMAGE rename the images it builds (so two work trees can run it at once).
set -euo pipefail
cd "$(dirname "$0")/../.."
source e2e/podman/env.sh

IMAGE="${GRACEFUL_TEST_IMAGE:-localhost/graceful-runtime:test}"
ADDR="${GRACEFUL_TEST_ADDR:-127.0.0.42}"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
HTTP=$(free_port); GRPC=$(free_port); MGMT=$(free_port)
NAME="graceful-image-test-$$"
passed=0; failed=0
check() { # check "what" command...
  local what="$1"; shift
  if "$@"; then echo "PASS $what"; passed=$((passed + 1)); else echo "FAIL $what"; failed=$((failed + 1)); fi
}
wait_for() { # wait_for seconds command...: polls an observable condition, bounded
  local until=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$until" ] || return 1
    sleep 0.2
  done
}
cleanup() { podman rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT

e2e/podman/build-image.sh "$IMAGE"

# Whole output first: `| head -1` would close the pipe early and fail the run with SIGPIPE under pipefail.
java_version=$(podman run --rm --entrypoint java "$IMAGE" -version 2>&1)
java_version=${java_version%%$'\n'*}
check "the base runs Java 21 ($java_version)" grep -q '"21' <<<"$java_version"
user=$(podman image inspect "$IMAGE" --format '{{.Config.User}}')
check "the image runs as non-root user ($user)" test "$user" = "10001:10001"
label() { podman image inspect "$1" --format "{{index .Config.Labels \"org.opencontainers.image.$2\"}}"; }
revision=$(label "$IMAGE" revision)
check "the OCI revision label names the commit built ($revision)" grep -q "^$(git rev-parse HEAD)" <<<"$revision"
check "the OCI version and licenses labels are set ($(label "$IMAGE" version), $(label "$IMAGE" licenses))" \
  test -n "$(label "$IMAGE" version)" -a -n "$(label "$IMAGE" licenses)"

# The heap follows the container's memory limit. This run prints the JVM's final flags and stops at once on a
# deliberately bad setting (exit 2), so it costs one JVM start.
limit=$((256 * 1024 * 1024))
flags=$(podman run --rm --memory 256m -e JAVA_TOOL_OPTIONS=-XX:+PrintFlagsFinal -e GRACEFUL_HTTP_PORT=none "$IMAGE" 2>&1 || true)
max_heap=$(awk '$2 == "MaxHeapSize" {print $4}' <<<"$flags")
check "with --memory 256m the max heap is 75% of it (MaxHeapSize=${max_heap:-missing}, want $((limit * 70 / 100))..$((limit * 3 / 4)))" \
  test "${max_heap:-0}" -ge $((limit * 70 / 100)) -a "${max_heap:-0}" -le $((limit * 3 / 4))

podman run -d --name "$NAME" --network host --read-only --tmpfs /tmp:rw,size=64m \
  --cap-drop ALL --security-opt no-new-privileges \
  -e GRACEFUL_HOST="$ADDR" -e GRACEFUL_HTTP_PORT="$HTTP" -e GRACEFUL_GRPC_PORT="$GRPC" \
  -e GRACEFUL_MANAGEMENT_PORT="$MGMT" -e GRACEFUL_DRAIN_DELAY=1s \
  -e JAVA_TOOL_OPTIONS=-Xlog:class+load:file=/tmp/class-load.log \
  "$IMAGE" >/dev/null

check "startup probe turns 200" wait_for 60 curl -sf "http://$ADDR:$MGMT/health/started"
check "readiness probe turns 200" wait_for 10 curl -sf "http://$ADDR:$MGMT/health/ready"
check "liveness probe answers 200" curl -sf "http://$ADDR:$MGMT/health/live" -o /dev/null
pid1=$(podman exec "$NAME" cat /proc/1/cmdline | tr '\0' ' ')
check "java is PID 1 ($pid1)" grep -q '^java ' <<<"$pid1"
check "PID 1 exits on OutOfMemoryError" grep -qF -- ' -XX:+ExitOnOutOfMemoryError ' <<<" $pid1"
check "PID 1 sizes its heap as a share of the memory limit" grep -qF -- ' -XX:MaxRAMPercentage=75.0 ' <<<" $pid1"
# Class-data sharing: "shared objects file (top)" is the image's archive, layered on the JDK's ("shared objects file").
cds_used() { # cds_used CONTAINER: the runtime's classes came from the image's archive, not from its jars
  local log; log=$(podman exec "$1" cat /tmp/class-load.log)
  local archived from_jar
  archived=$(grep -c 'dev\.graceful\.runtime\..* source: shared objects file (top)' <<<"$log" || true)
  from_jar=$(grep -c 'source: jar:\|source: file:' <<<"$log" || true)
  echo "  $archived runtime classes from the archive, $from_jar classes of any kind read from jars"
  grep -q 'io\.vertx\.core\.impl\.VertxImpl source: shared objects file (top)' <<<"$log" \
    && [ "$archived" -ge 100 ] && [ "$from_jar" -le 20 ]
}
check "the image's CDS archive is used (runtime and Vert.x classes from /app/cds/runtime.jsa)" cds_used "$NAME"
check "PID 1 names the archive and the fixed class path" grep -qF -- ' -XX:SharedArchiveFile=/app/cds/runtime.jsa -cp /app/graceful-runtime.jar:/app/ext/* ' <<<" $pid1"
check "the JVM printed no CDS warning" sh -c "! podman logs $NAME 2>&1 | grep -q 'warning.*cds'"

reply=$(mktemp)
curl -s -i "http://$ADDR:$HTTP/delay?ms=3000" > "$reply" &
curl_pid=$!
check "the request shows as in flight" wait_for 10 sh -c \
  "curl -s http://$ADDR:$MGMT/metrics | grep -q 'graceful_requests_in_flight{kind=\"http\",server=\"http\"} 1.0'"
podman kill --signal TERM "$NAME" >/dev/null
check "readiness turns 503 after SIGTERM" wait_for 5 sh -c \
  "test \$(curl -s -o /dev/null -w '%{http_code}' http://$ADDR:$MGMT/health/ready) = 503"
exit_code=$(timeout 40 podman wait "$NAME" || echo timeout)
wait "$curl_pid" || true
check "the in-flight request completed with 200" grep -q '^HTTP/1.1 200' "$reply"
check "its body is complete" grep -q 'delayed 3000 ms' "$reply"
check "the container exited 0 (got $exit_code)" test "$exit_code" = 0
check "the log ends with a clean shutdown summary" sh -c "podman logs $NAME 2>&1 | grep -q '\"outcome\":\"clean\"'"
if [ "$failed" -gt 0 ]; then
  echo "--- container log"; podman logs "$NAME" 2>&1 | tail -40
fi

# A base without a shell (as distroless images are): the Dockerfile must build on it (no RUN), and the image must run,
# answer the chart's `helm test` check (`check`, the image's own entry point) and drain on SIGTERM.
NOSHELL_BASE="${GRACEFUL_TEST_NOSHELL_BASE:-localhost/graceful-base-jre21-noshell}"
NOSHELL_IMAGE="${GRACEFUL_TEST_NOSHELL_IMAGE:-localhost/graceful-runtime:test-noshell}"
NOSHELL_NAME="graceful-noshell-test-$$"
trap 'cleanup; podman rm -f "$NOSHELL_NAME" >/dev/null 2>&1 || true' EXIT
printf 'FROM %s\nRUN rm -f /bin/sh /usr/bin/sh /bin/bash /usr/bin/bash /bin/dash /usr/bin/dash /usr/bin/rbash\n' "$BASE_IMAGE" \
  | podman build -q -t "$NOSHELL_BASE" -f - . >/dev/null
check "the shell-less base has no shell" sh -c "! podman run --rm --entrypoint /bin/sh $NOSHELL_BASE -c true >/dev/null 2>&1"
check "the Dockerfile builds on a base without a shell" env BASE_IMAGE="$NOSHELL_BASE" e2e/podman/build-image.sh "$NOSHELL_IMAGE"
podman run -d --name "$NOSHELL_NAME" --network host --read-only --tmpfs /tmp:rw,size=64m --cap-drop ALL \
  -e GRACEFUL_HOST="$ADDR" -e GRACEFUL_HTTP_PORT="$HTTP" -e GRACEFUL_GRPC_PORT="$GRPC" \
  -e GRACEFUL_MANAGEMENT_PORT="$MGMT" -e GRACEFUL_DRAIN_DELAY=0 "$NOSHELL_IMAGE" >/dev/null
check "the shell-less image turns ready" wait_for 60 curl -sf "http://$ADDR:$MGMT/health/ready"
release_check=$(podman run --rm --network host --read-only --tmpfs /tmp:rw,size=16m --cap-drop ALL "$NOSHELL_IMAGE" check \
  --host "$ADDR" --http-port "$HTTP" --grpc-port "$GRPC" --probes-host "$ADDR" --management-port "$MGMT" \
  --http-path '/delay?ms=0' --timeout-seconds 20 2>&1 || true)
check "the chart's helm test check passes against it" grep -q "release check passed: 5 checks" <<<"$release_check"
podman kill --signal TERM "$NOSHELL_NAME" >/dev/null
noshell_exit=$(timeout 40 podman wait "$NOSHELL_NAME" || echo timeout)
check "the shell-less image exits 0 on SIGTERM (got $noshell_exit)" test "$noshell_exit" = 0
if [ "$failed" -gt 0 ]; then
  echo "--- release check"; echo "$release_check"
  echo "--- shell-less container log"; podman logs "$NOSHELL_NAME" 2>&1 | tail -20
fi

# The user path from the README: FROM the image, copy a jar into /app/ext, set GRACEFUL_VERTICLES.
USER_IMAGE="${GRACEFUL_TEST_USER_IMAGE:-localhost/hello-module:test}"
USER_NAME="graceful-user-image-test-$$"
trap 'cleanup; podman rm -f "$NOSHELL_NAME" "$USER_NAME" >/dev/null 2>&1 || true' EXIT
examples/hello-module/build.sh
podman build -q --build-arg RUNTIME_IMAGE="$IMAGE" -t "$USER_IMAGE" examples/hello-module >/dev/null
podman run -d --name "$USER_NAME" --network host --read-only --tmpfs /tmp:rw,size=64m --cap-drop ALL \
  -e GRACEFUL_HOST="$ADDR" -e GRACEFUL_HTTP_PORT="$HTTP" -e GRACEFUL_GRPC_PORT="$GRPC" \
  -e GRACEFUL_MANAGEMENT_PORT="$MGMT" -e GRACEFUL_DRAIN_DELAY=0 \
  -e JAVA_TOOL_OPTIONS=-Xlog:class+load:file=/tmp/class-load.log "$USER_IMAGE" >/dev/null
check "a derived image runs the user's module" wait_for 60 sh -c "curl -sf http://$ADDR:$HTTP/hello | grep -q 'hello from a module'"
check "and not the demo" sh -c "test \$(curl -s -o /dev/null -w '%{http_code}' 'http://$ADDR:$HTTP/delay?ms=1') = 404"
check "with a jar in /app/ext the runtime's classes still come from the archive" cds_used "$USER_NAME"
check "and the application's class from its jar" sh -c \
  "podman exec $USER_NAME cat /tmp/class-load.log | grep -q 'com.example.HelloModule source: file:/app/ext/hello-module.jar'"
podman kill --signal TERM "$USER_NAME" >/dev/null
user_exit=$(timeout 40 podman wait "$USER_NAME" || echo timeout)
check "the derived image exits 0 on SIGTERM (got $user_exit)" test "$user_exit" = 0

# A class path the archive cannot match (the application's jars first): Xshare:auto falls back to the JDK's own
# archive, the JVM prints its warning, and the start goes on.
MISMATCH_NAME="graceful-cds-mismatch-test-$$"
trap 'cleanup; podman rm -f "$NOSHELL_NAME" "$USER_NAME" "$MISMATCH_NAME" >/dev/null 2>&1 || true' EXIT
podman run -d --name "$MISMATCH_NAME" --network host --read-only --tmpfs /tmp:rw,size=64m --cap-drop ALL \
  -e GRACEFUL_HOST="$ADDR" -e GRACEFUL_HTTP_PORT="$HTTP" -e GRACEFUL_GRPC_PORT="$GRPC" \
  -e GRACEFUL_MANAGEMENT_PORT="$MGMT" -e GRACEFUL_DRAIN_DELAY=0 --entrypoint java "$USER_IMAGE" \
  -XX:SharedArchiveFile=/app/cds/runtime.jsa -cp '/app/ext/*:/app/graceful-runtime.jar' dev.graceful.runtime.Main >/dev/null
check "a class path the archive does not match still runs the module" wait_for 60 sh -c \
  "curl -sf http://$ADDR:$HTTP/hello | grep -q 'hello from a module'"
check "with the JVM's warning that it did not use the archive" sh -c \
  "podman logs $MISMATCH_NAME 2>&1 | grep -q 'Unable to use shared archive'"
podman kill --signal TERM "$MISMATCH_NAME" >/dev/null
mismatch_exit=$(timeout 40 podman wait "$MISMATCH_NAME" || echo timeout)
check "and exits 0 on SIGTERM (got $mismatch_exit)" test "$mismatch_exit" = 0

# A training that fails fails the build: here the base runs every JVM with -Xshare:off, so no archive can be made.
NOCDS_BASE="${GRACEFUL_TEST_NOCDS_BASE:-localhost/graceful-base-jre21-nocds}"
printf 'FROM %s\nENV JAVA_TOOL_OPTIONS=-Xshare:off\n' "$BASE_IMAGE" | podman build -q -t "$NOCDS_BASE" -f - . >/dev/null
nocds_build=$(BASE_IMAGE="$NOCDS_BASE" e2e/podman/build-image.sh "${IMAGE}-nocds" 2>&1 && echo BUILT || true)
training_failed_build() { ! grep -q BUILT <<<"$nocds_build" && grep -q 'cds-training: failed' <<<"$nocds_build"; }
check "a failing CDS training fails the image build" training_failed_build
echo "image: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
