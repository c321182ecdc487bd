#!/bin/bash
# Tears down what up.sh started and changed on the host: processes, mounts, the bridge, iptables chains.
W=/tmp/realnode-spike; B=/root/.cache/graceful-runtime/node/v1.36.3-containerd-v2.4.2/bin
pkill -f "$W/kubelet.yaml"; pkill -f "kube-proxy --kubeconfig=$W"; sleep 1
$B/kube-proxy --cleanup --proxy-mode=iptables >/dev/null 2>&1
pkill -f "kube-controller-manager --kubeconfig=$W"; pkill -f "kube-apiserver --etcd-servers=http://127.0.0.1:23791"; sleep 1; pkill -9 -f "kube-apiserver --etcd-servers=http://127.0.0.1:23791"
pkill -f "etcd --name=e2e --data-dir=$W"
# The containers' own processes first: killing their shims leaves them running, adopted by init.
for top in k8s.io kubepods; do
  for procs in $(find /sys/fs/cgroup/pids/$top -name cgroup.procs 2>/dev/null); do xargs -r kill -9 < "$procs" 2>/dev/null; done
done
pkill -f "containerd .*--config $W"; sleep 2; pkill -9 -f containerd-shim-runc-v2; sleep 1
for h in /sys/fs/cgroup/*/; do for top in k8s.io kubepods; do
  [ -d "$h$top" ] && find "$h$top" -depth -type d -exec rmdir {} \; 2>/dev/null
done; done
for m in $(mount | grep "$W" | awk '{print $3}' | sort -r); do umount -l "$m"; done
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^cni-'); do ip netns del "$ns"; done
ip link del gr0 2>/dev/null
for ipt in iptables ip6tables; do for t in filter nat mangle; do
  $ipt -t $t -S 2>/dev/null | grep -E "^-A .* -j KUBE-" | sed 's/^-A/-D/' | while read -r rule; do eval "$ipt -t $t $rule"; done
  for c in $($ipt -t $t -S 2>/dev/null | awk '/^-N KUBE-/{print $2}'); do $ipt -t $t -F "$c"; done
  for c in $($ipt -t $t -S 2>/dev/null | awk '/^-N KUBE-/{print $2}'); do $ipt -t $t -X "$c"; done
done; done
rm -rf "$W"
echo "left: $(iptables-save | grep -c KUBE) iptables KUBE lines, $(ip netns list 2>/dev/null | wc -l) netns, $(pgrep -fc 'kubelet|kube-proxy|kube-apiserver|containerd|^/pause') processes, $(ls -d /sys/fs/cgroup/*/k8s.io /sys/fs/cgroup/*/kubepods 2>/dev/null | wc -l) cgroups"
