#!/usr/bin/env bash
# The class-data sharing archive's effect on the image (docs/image.md): container start (just before `podman run`) to the
# first 200 from /health/ready, and VmRSS (with its anonymous and file-backed parts) at ready and IDLE_SECONDS later.
# Three modes of the same image, alternating in a rotating order each round so machine noise hits all of them:
#   cds      the image as built: -XX:SharedArchiveFile=/app/cds/runtime.jsa (the runtime's classes archived)
#   jdk-cds  the same entry point without that flag: only the JDK's own default archive (java.base & co.)
#   off      JAVA_TOOL_OPTIONS=-Xshare:off: no class-data sharing at all
#   bench/cds-effect.sh [RUNS] [IMAGE]     (default 7 localhost/graceful-runtime:cds-bench, built when missing)
# Host network, its own loopback address, --memory 512m (the chart's limit). Prints every run, then median, min and max
# per mode and the ratios to jdk-cds. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
source e2e/podman/env.sh
runs="${1:-7}"
image="${2:-localhost/graceful-runtime:cds-bench}"
idle="${IDLE_SECONDS:-3}"
addr="${GRACEFUL_BENCH_ADDR:-127.0.0.43}"
podman image exists "$image" || e2e/podman/build-image.sh "$image" >&2
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
name="graceful-cds-bench-$$"
trap 'podman rm -f "$name" >/dev/null 2>&1 || true' EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
rss() { awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%s ", $2}' "/proc/$1/status"; }

measure() { # measure MODE -> "ready_ms rss anon file rss' anon' file'" (kB)
  local mode=$1 mgmt args=() entry=()
  mgmt=$(free_port)
  case "$mode" in
    cds) ;;
    jdk-cds) entry=(--entrypoint java) ; args=(-XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=25.0
      -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp -Duser.home=/tmp -cp '/app/graceful-runtime.jar:/app/ext/*'
      dev.graceful.runtime.Main) ;;
    off) entry=(-e JAVA_TOOL_OPTIONS=-Xshare:off) ;;
  esac
  local t0; t0=$(now_ms)
  podman run -d --name "$name" --network host --read-only --tmpfs /tmp:rw,size=64m --memory 512m \
    -e GRACEFUL_HOST="$addr" -e GRACEFUL_HTTP_PORT="$(free_port)" -e GRACEFUL_GRPC_PORT="$(free_port)" \
    -e GRACEFUL_MANAGEMENT_PORT="$mgmt" -e GRACEFUL_DRAIN_DELAY=0 "${entry[@]}" "$image" "${args[@]}" >/dev/null
  local until=$((SECONDS + 60))
  until curl -sf -o /dev/null "http://$addr:$mgmt/health/ready"; do
    [ "$SECONDS" -lt "$until" ] || { echo "$mode: not ready in 60 s" >&2; podman logs "$name" >&2; return 1; }
    sleep 0.01
  done
  local ready=$(( $(now_ms) - t0 )) pid at_ready later
  pid=$(podman inspect --format '{{.State.Pid}}' "$name")
  at_ready=$(rss "$pid")
  sleep "$idle"
  later=$(rss "$pid")
  podman kill --signal TERM "$name" >/dev/null
  timeout 40 podman wait "$name" >/dev/null
  podman rm "$name" >/dev/null
  echo "$ready $at_ready$later"
}

modes=(cds jdk-cds off)
declare -A results
echo "run mode ready_ms rss_kB anon_kB file_kB rss_${idle}s_kB anon_${idle}s_kB file_${idle}s_kB"
for i in $(seq "$runs"); do
  for k in 0 1 2; do   # rotate the order: cds jdk-cds off, jdk-cds off cds, off cds jdk-cds, ...
    mode=${modes[$(( (i - 1 + k) % 3 ))]}
    line=$(measure "$mode")
    echo "$i $mode $line"
    results[$mode]+="$line"$'\n'
  done
done

stats() { # stats COLUMN MODE -> "median min max"
  printf '%s' "${results[$2]}" | awk -v c="$1" 'NF {print $c}' | sort -n \
    | awk '{v[NR]=$1} END {m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; print m, v[1], v[NR]}'
}
echo
echo "mode     ready_ms (median min max)   VmRSS at ready kB            VmRSS +${idle}s kB               RssAnon +${idle}s kB           RssFile +${idle}s kB"
for mode in "${modes[@]}"; do
  printf '%-8s %-27s %-28s %-28s %-28s %s\n' "$mode" "$(stats 1 "$mode")" "$(stats 2 "$mode")" "$(stats 5 "$mode")" \
    "$(stats 6 "$mode")" "$(stats 7 "$mode")"
done
ratio() { awk -v a="$(stats "$1" "$2" | cut -d' ' -f1)" -v b="$(stats "$1" "$3" | cut -d' ' -f1)" 'BEGIN {printf "%.3f", a / b}'; }
echo
for mode in cds off; do
  echo "median $mode / jdk-cds: ready $(ratio 1 $mode jdk-cds), VmRSS at ready $(ratio 2 $mode jdk-cds), VmRSS +${idle}s $(ratio 5 $mode jdk-cds)"
done
