#!/usr/bin/env bash
# Prepares this machine's host side for the real node (RealNodeCluster), or says in one line why it cannot:
# checks root and the kernel features, installs the Debian packages it needs, then makes the pod bridge.
#
#   host-up.sh WORK BRIDGE BRIDGE_CIDR SERVICE_CIDR
#
# Exit 0: ready. Exit 3: this machine cannot run a real node; the last line is "unavailable: <why>" (the tests skip).
# Anything else: a real failure. What it changes (the bridge, a route, sysctls, directories the kubelet and
# containerd make outside WORK) is recorded in WORK and undone by host-down.sh WORK BRIDGE, which it also runs first,
# so a run killed earlier leaves nothing behind.
set -uo pipefail
work="$1"; bridge="$2"; cidr="$3"; services="$4"
here="$(cd "$(dirname "$0")" && pwd)"
unavailable() { echo "unavailable: $*"; exit 3; }

[ "$(id -u)" = 0 ] || unavailable "not root (a kubelet, containerd and network namespaces need root)"
command -v ip >/dev/null 2>&1 || unavailable "no 'ip' command (iproute2)"
# Another node on this machine would share /var/lib/kubelet, the device-plugin socket and kube-proxy's chains.
if pgrep -x kubelet >/dev/null 2>&1 && ! pgrep -f -- "--root-dir=$work/kubelet" >/dev/null 2>&1; then
  unavailable "another kubelet runs on this machine"
fi
[ ! -e /var/lib/kubelet ] || [ -f "$work/var-lib-kubelet.ours" ] \
  || unavailable "/var/lib/kubelet exists (another kubelet's state): not touching it"

# Kernel features, before anything is installed.
[ -d /sys/fs/cgroup/cpu ] && [ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/pids ] \
  || unavailable "no cgroup v1 cpu, memory and pids hierarchies (the harness reads limits from cgroup v1)"
[ -e /dev/kmsg ] || unavailable "no /dev/kmsg (the kubelet's OOM watcher reads it)"
[ -w /proc/sys/net/ipv4/ip_forward ] || unavailable "/proc/sys is read-only"
probe="graceful-probe-$$"
ip netns add "$probe" 2>/dev/null || unavailable "cannot create network namespaces (ip netns add)"
ip netns del "$probe"
ip link add "gp$$" type bridge 2>/dev/null || unavailable "cannot create bridges (ip link add type bridge)"
ip link del "gp$$"
bridge_module_before=1
if [ ! -d /proc/sys/net/bridge ]; then
  bridge_module_before=0
  command -v modprobe >/dev/null 2>&1 && modprobe br_netfilter 2>/dev/null
  [ -d /proc/sys/net/bridge ] || unavailable "no br_netfilter (bridged pod traffic would bypass kube-proxy's rules)"
fi
[ -d /proc/sys/net/netfilter ] || [ -f /proc/net/nf_conntrack ] || unavailable "no connection tracking (nf_conntrack)"

# Debian packages: runc and the CNI plugins for containerd, iptables for kube-proxy, a C compiler for the pause binary.
need=()
command -v runc >/dev/null 2>&1 || need+=(runc)
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] || need+=(containernetworking-plugins)
command -v iptables >/dev/null 2>&1 && command -v iptables-save >/dev/null 2>&1 || need+=(iptables)
command -v gcc >/dev/null 2>&1 && [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(gcc libc6-dev)
if [ "${#need[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || unavailable "missing ${need[*]} and no apt-get to install them"
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q "${need[@]}"; } >"${TMPDIR:-/tmp}/graceful-realnode-apt.log" 2>&1 \
    || { tail -5 "${TMPDIR:-/tmp}/graceful-realnode-apt.log"; unavailable "apt-get install ${need[*]} failed"; }
fi
iptables -t nat -S >/dev/null 2>&1 || unavailable "iptables cannot read the nat table here"

bash "$here/host-down.sh" "$work" "$bridge" >/dev/null 2>&1
mkdir -p "$work"
# What the run changes outside WORK, so host-down.sh puts it back.
{
  for key in net/ipv4/ip_forward net/bridge/bridge-nf-call-iptables kernel/panic kernel/panic_on_oops vm/overcommit_memory \
      net/netfilter/nf_conntrack_tcp_timeout_established net/netfilter/nf_conntrack_tcp_timeout_close_wait; do
    [ -f "/proc/sys/$key" ] && echo "$key $(cat "/proc/sys/$key")"
  done
} >"$work/sysctl.saved"
[ "$bridge_module_before" = 1 ] || touch "$work/br_netfilter.ours"
for dir in /var/lib/kubelet /var/log/containers /var/log/pods /run/containerd; do
  [ -e "$dir" ] || echo "$dir" >>"$work/dirs.ours"
done
touch "$work/var-lib-kubelet.ours"
echo 1 >/proc/sys/net/ipv4/ip_forward
echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
ip link add "$bridge" type bridge || exit 1
ip addr add "$cidr" dev "$bridge" || exit 1
ip link set "$bridge" up || exit 1
# ClusterIPs go to the bridge even where no kube-proxy rule matches (before its first sync, after its cleanup):
# never out through the default route.
ip route add "$services" dev "$bridge" || exit 1
echo "host ready: bridge $bridge $cidr, route $services, work $work"
