#!/usr/bin/env bash
# Undoes what a real-node run started and changed on this host, also after a failed or killed run, touching only
# what is the run's own: its containers (by the ids in its containerd state) and their cgroups, every process with
# WORK in its command line (kubelet, kube-proxy, containerd, shims, a control plane left by a killed run), mounts
# under WORK, the network namespaces containerd keeps under WORK, the bridge and its route, kube-proxy's chains (by
# kube-proxy --cleanup, and by hand only when no other kube-proxy runs), the sysctls and directories host-up.sh
# recorded, the kubelet's symlinks into WORK, and WORK itself.
#
#   host-down.sh WORK BRIDGE [NODE_BIN]
set -u
work="$1"; bridge="$2"; bin="${3:-}"
[ -n "$work" ] && [ "$work" != / ] || { echo "host-down.sh: refusing WORK='$work'"; exit 2; }

# The run's container ids: containerd keeps a task directory per container under its state directory.
ours() { ls "$work/containerd-state/io.containerd.runtime.v2.task/k8s.io" 2>/dev/null; }
kill_containers() {
  local id procs
  for id in $(ours); do
    for procs in /sys/fs/cgroup/*/k8s.io/"$id"/cgroup.procs; do
      [ -f "$procs" ] && xargs -r kill -9 <"$procs" 2>/dev/null
    done
  done
}
# The kubelet first and for good, so it restarts nothing; then the containers' own processes (killing their shims
# would leave them running, adopted by init); then everything else of the run; then the containers again, in case
# one was started in between.
pkill -9 -f -- "--root-dir=$work/kubelet" 2>/dev/null
for i in $(seq 1 50); do pgrep -f -- "--root-dir=$work/kubelet" >/dev/null || break; sleep 0.1; done
kill_containers
pkill -f -- "$work/" 2>/dev/null
for i in $(seq 1 50); do pgrep -f -- "$work/" >/dev/null || break; sleep 0.1; done
pkill -9 -f -- "$work/" 2>/dev/null
for i in $(seq 1 50); do pgrep -f -- "$work/" >/dev/null || break; sleep 0.1; done
kill_containers
for id in $(ours); do
  for dir in /sys/fs/cgroup/*/k8s.io/"$id"; do [ -d "$dir" ] && rmdir "$dir" 2>/dev/null; done
done
for h in /sys/fs/cgroup/*/k8s.io; do [ -d "$h" ] && rmdir "$h" 2>/dev/null; done   # only when empty
for m in $(awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null; done
ip link del "$bridge" 2>/dev/null   # its route goes with it
if [ -n "$bin" ] && [ -x "$bin/kube-proxy" ]; then
  "$bin/kube-proxy" --cleanup --proxy-mode=iptables >/dev/null 2>&1
fi
if ! pgrep -x kube-proxy >/dev/null 2>&1; then
  for ipt in iptables ip6tables; do
    command -v $ipt >/dev/null 2>&1 || continue
    for t in filter nat mangle; do
      $ipt -t $t -S 2>/dev/null | grep -E '^-A .* -j KUBE-' | sed 's/^-A/-D/' | while read -r rule; do eval "$ipt -t $t $rule" 2>/dev/null; done
      for c in $($ipt -t $t -S 2>/dev/null | awk '/^-N KUBE-/{print $2}'); do $ipt -t $t -F "$c" 2>/dev/null; done
      for c in $($ipt -t $t -S 2>/dev/null | awk '/^-N KUBE-/{print $2}'); do $ipt -t $t -X "$c" 2>/dev/null; done
    done
  done
fi
if [ -f "$work/sysctl.saved" ]; then
  while read -r key value; do [ -w "/proc/sys/$key" ] && echo "$value" >"/proc/sys/$key"; done <"$work/sysctl.saved"
fi
[ -f "$work/br_netfilter.ours" ] && modprobe -r br_netfilter 2>/dev/null
# The kubelet's symlinks to the run's log files, then directories the run made outside WORK.
find /var/log/containers -maxdepth 1 -type l -lname "$work/*" -delete 2>/dev/null
if [ -f "$work/dirs.ours" ]; then
  while read -r dir; do [ -n "$dir" ] && [ "$dir" != / ] && rm -rf "$dir"; done <"$work/dirs.ours"
fi
rm -rf "$work"
left="$( (iptables-save 2>/dev/null | grep -c KUBE-) || true)"
echo "left: ${left:-0} iptables KUBE- lines, $(pgrep -fc -- "$work/" || true) processes, bridge $(ip link show "$bridge" >/dev/null 2>&1 && echo present || echo gone)"
