#!/usr/bin/env bash
# Prepares this machine's host side for the real node (RealNodeCluster), or says in one line why it cannot:
# installs the Debian packages it needs, checks the kernel features, then makes the pod bridge.
#
#   host-up.sh WORK BRIDGE BRIDGE_CIDR
#
# Exit 0: ready. Exit 3: this machine cannot run a real node; the last line is "unavailable: <why>" (the tests skip).
# Anything else: a real failure. What it changes (the bridge, two sysctls) is undone by host-down.sh WORK BRIDGE,
# which it also runs first, so a run killed earlier leaves nothing behind.
set -uo pipefail
work="$1"; bridge="$2"; cidr="$3"
here="$(cd "$(dirname "$0")" && pwd)"
unavailable() { echo "unavailable: $*"; exit 3; }

[ "$(id -u)" = 0 ] || unavailable "not root (a kubelet, containerd and network namespaces need root)"
command -v ip >/dev/null 2>&1 || unavailable "no 'ip' command (iproute2)"

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
    || { tail -5 "${TMPDIR:-/tmp}/graceful-realnode-apt.log"; echo "apt-get install ${need[*]} failed"; exit 1; }
fi

# Kernel features.
[ -d /sys/fs/cgroup/cpu ] && [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] \
  || unavailable "no cpu and memory cgroup controllers mounted under /sys/fs/cgroup"
probe="graceful-probe-$$"
ip netns add "$probe" 2>/dev/null || unavailable "cannot create network namespaces (ip netns add)"
ip netns del "$probe"
ip link add "gp$$" type bridge 2>/dev/null || unavailable "cannot create bridges (ip link add type bridge)"
ip link del "gp$$"
if [ ! -d /proc/sys/net/bridge ]; then
  command -v modprobe >/dev/null 2>&1 && modprobe br_netfilter 2>/dev/null
  [ -d /proc/sys/net/bridge ] || unavailable "no br_netfilter (bridged pod traffic would bypass kube-proxy's rules)"
fi
iptables -t nat -S >/dev/null 2>&1 || unavailable "iptables cannot read the nat table here"
[ -d /proc/sys/net/netfilter ] || [ -f /proc/net/nf_conntrack ] || unavailable "no connection tracking (nf_conntrack)"

bash "$here/host-down.sh" "$work" "$bridge" >/dev/null 2>&1
mkdir -p "$work"
# The kubelet makes its device-plugin socket under /var/lib/kubelet whatever its root directory: removed after.
[ -e /var/lib/kubelet ] || touch "$work/var-lib-kubelet.ours"
# Remembered so host-down.sh puts them back.
echo "$(cat /proc/sys/net/ipv4/ip_forward) $(cat /proc/sys/net/bridge/bridge-nf-call-iptables)" >"$work/sysctl.saved"
echo 1 >/proc/sys/net/ipv4/ip_forward
echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
ip link add "$bridge" type bridge || exit 1
ip addr add "$cidr" dev "$bridge" || exit 1
ip link set "$bridge" up || exit 1
echo "host ready: bridge $bridge $cidr, work $work"
