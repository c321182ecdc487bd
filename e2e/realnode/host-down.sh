#!/usr/bin/env bash
# Undoes what a real-node run started and changed on this host, also after a failed or killed run:
# the containers' processes and cgroups, containerd's shims and mounts, the pods' network namespaces, the bridge,
# kube-proxy's iptables chains, the sysctls host-up.sh set, and the work directory.
#
#   host-down.sh WORK BRIDGE [NODE_BIN]
#
# The harness stops its own processes first; anything still running with WORK in its command line is killed here.
set -u
work="$1"; bridge="$2"; bin="${3:-}"
[ -n "$work" ] && [ "$work" != / ] || { echo "host-down.sh: refusing WORK='$work'"; exit 2; }

# The kubelet first, so it restarts nothing; then the containers' own processes (killing their shims would leave
# them running, adopted by init); then every other process started with this WORK (containerd, its shims,
# kube-proxy, a control plane left by a killed run).
pkill -f -- "--root-dir=$work/kubelet" 2>/dev/null
for top in k8s.io kubepods; do
  for procs in $(find /sys/fs/cgroup/pids/$top /sys/fs/cgroup/unified/$top -name cgroup.procs 2>/dev/null); do
    xargs -r kill -9 <"$procs" 2>/dev/null
  done
done
pkill -f -- "$work/" 2>/dev/null
for i in $(seq 1 50); do pgrep -f -- "$work/" >/dev/null || break; sleep 0.1; done
pkill -9 -f -- "$work/" 2>/dev/null
for h in /sys/fs/cgroup/*/; do for top in k8s.io kubepods; do
  [ -d "$h$top" ] && find "$h$top" -depth -type d -exec rmdir {} \; 2>/dev/null
done; done
for m in $(awk -v w="$work" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null; done
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^cni-'); do ip netns del "$ns" 2>/dev/null; done
ip link del "$bridge" 2>/dev/null
if [ -n "$bin" ] && [ -x "$bin/kube-proxy" ]; then
  "$bin/kube-proxy" --cleanup --proxy-mode=iptables >/dev/null 2>&1
fi
for ipt in iptables ip6tables; do
  command -v $ipt >/dev/null 2>&1 || continue
  for t in filter nat mangle; do
    $ipt -t $t -S 2>/dev/null | grep -E '^-A .* -j KUBE-' | sed 's/^-A/-D/' | while read -r rule; do eval "$ipt -t $t $rule" 2>/dev/null; done
    for c in $($ipt -t $t -S 2>/dev/null | awk '/^-N KUBE-/{print $2}'); do $ipt -t $t -F "$c" 2>/dev/null; done
    for c in $($ipt -t $t -S 2>/dev/null | awk '/^-N KUBE-/{print $2}'); do $ipt -t $t -X "$c" 2>/dev/null; done
  done
done
if [ -f "$work/sysctl.saved" ]; then
  read -r forward bridged <"$work/sysctl.saved"
  echo "$forward" >/proc/sys/net/ipv4/ip_forward
  [ -f /proc/sys/net/bridge/bridge-nf-call-iptables ] && echo "$bridged" >/proc/sys/net/bridge/bridge-nf-call-iptables
fi
[ -f "$work/var-lib-kubelet.ours" ] && rm -rf /var/lib/kubelet
rm -rf "$work"
left="$( (iptables-save 2>/dev/null | grep -c KUBE-) || true)"
echo "left: ${left:-0} iptables KUBE- lines, $(ip netns list 2>/dev/null | grep -c '^cni-') cni netns, $(pgrep -fc -- "$work/" || true) processes, bridge $(ip link show "$bridge" >/dev/null 2>&1 && echo present || echo gone)"
