#!/bin/bash
# Manual spike, not run by tests (see README.md): a real node (containerd 2 + kubelet + kube-proxy, CNI bridge on 198.18.0.0/16) on the project's control plane.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
W=/tmp/realnode-spike; CP=/root/.cache/graceful-runtime/controlplane/v1.36.3/bin; B=/root/.cache/graceful-runtime/node/v1.36.3-containerd-v2.4.2/bin
IP=198.18.0.1
rm -rf $W; mkdir -p $W/pki $W/cni
cd $W/pki
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 10 -subj "/CN=spike-ca" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
sign() { openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null; printf '%s\n' "$3" > "$1.ext"; openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 10 -extfile "$1.ext" 2>/dev/null; }
sign apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth
subjectAltName=IP:$IP,IP:198.19.0.1,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign admin "/O=system:masters/CN=admin" "extendedKeyUsage=clientAuth"
sign cm "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
sign node "/O=system:nodes/CN=system:node:spike-node" "extendedKeyUsage=clientAuth"
sign proxy "/CN=system:kube-proxy" "extendedKeyUsage=clientAuth"
openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
kc() { cat > $W/$1.kubeconfig <<K
apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "https://$IP:16443", certificate-authority: $W/pki/ca.crt}}]
users: [{name: u, user: {client-certificate: $W/pki/$1.crt, client-key: $W/pki/$1.key}}]
contexts: [{name: c, context: {cluster: e2e, user: u}}]
current-context: c
K
}
for u in admin cm node proxy; do kc $u; done
ip link add gr0 type bridge 2>/dev/null; ip addr add $IP/16 dev gr0 2>/dev/null; ip link set gr0 up
$CP/etcd --name=e2e --data-dir=$W/etcd --listen-client-urls=http://127.0.0.1:23791 --advertise-client-urls=http://127.0.0.1:23791 --listen-peer-urls=http://127.0.0.1:23801 --initial-advertise-peer-urls=http://127.0.0.1:23801 --initial-cluster=e2e=http://127.0.0.1:23801 --unsafe-no-fsync --log-level=warn > $W/etcd.log 2>&1 &
sleep 2
$CP/kube-apiserver --etcd-servers=http://127.0.0.1:23791 --bind-address=$IP --secure-port=16443 --advertise-address=$IP --tls-cert-file=$W/pki/apiserver.crt --tls-private-key-file=$W/pki/apiserver.key --client-ca-file=$W/pki/ca.crt --authorization-mode=Node,RBAC --service-account-issuer=https://kubernetes.default.svc.cluster.local --service-account-key-file=$W/pki/sa.pub --service-account-signing-key-file=$W/pki/sa.key --api-audiences=https://kubernetes.default.svc.cluster.local --service-cluster-ip-range=198.19.0.0/16 --enable-priority-and-fairness=false --profiling=false > $W/apiserver.log 2>&1 &
for i in $(seq 1 90); do kubectl --kubeconfig=$W/admin.kubeconfig get --raw /readyz >/dev/null 2>&1 && break; sleep 1; done
echo "apiserver ready after ~$i s"
$CP/kube-controller-manager --kubeconfig=$W/cm.kubeconfig --authentication-kubeconfig=$W/cm.kubeconfig --authorization-kubeconfig=$W/cm.kubeconfig --bind-address=127.0.0.1 --secure-port=10357 --leader-elect=false --use-service-account-credentials=true --root-ca-file=$W/pki/ca.crt --service-account-private-key-file=$W/pki/sa.key --controllers=deployment-controller,replicaset-controller,endpointslice-controller,serviceaccount-controller,serviceaccount-token-controller,garbage-collector-controller > $W/cm.log 2>&1 &
cat > $W/cni/10-gr0.conflist <<C
{"cniVersion":"1.0.0","name":"graceful","plugins":[{"type":"bridge","bridge":"gr0","isGateway":true,"ipMasq":false,"hairpinMode":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"198.18.0.0/16","rangeStart":"198.18.1.1","rangeEnd":"198.18.255.254","gateway":"$IP"}]]}},{"type":"portmap","capabilities":{"portMappings":true}}]}
C
cat > $W/containerd.toml <<C
version = 3
root = "$W/root"
state = "$W/state"
[grpc]
  address = "$W/containerd.sock"
[plugins."io.containerd.cri.v1.images".pinned_images]
  sandbox = "localhost/pause:e2e"
[plugins."io.containerd.cri.v1.runtime"]
  enable_unprivileged_ports = false
  enable_unprivileged_icmp = false
  # The kubelet asks for oom_score_adj -998 for the sandbox; processes here may not lower theirs.
  restrict_oom_score_adj = true
[plugins."io.containerd.cri.v1.runtime".cni]
  bin_dirs = ["/usr/lib/cni"]
  conf_dir = "$W/cni"
C
PATH=$B:$PATH $B/containerd --log-level debug --config $W/containerd.toml > $W/containerd.log 2>&1 &
sleep 3
(cd "$HERE/../.." && source e2e/podman/env.sh >/dev/null 2>&1; podman save -o $W/runtime.tar localhost/graceful-runtime:e2e >/dev/null 2>&1)
$B/ctr --address $W/containerd.sock -n k8s.io images import $W/runtime.tar >/dev/null 2>&1
(cd "$HERE/../.." && source e2e/podman/env.sh >/dev/null 2>&1; cd "$HERE/pause" && podman build -q -t localhost/pause:e2e . >/dev/null && podman save -o $W/pause.tar localhost/pause:e2e >/dev/null 2>&1)
$B/ctr --address $W/containerd.sock -n k8s.io images import $W/pause.tar >/dev/null 2>&1
cat > $W/kubelet.yaml <<C
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$W/containerd.sock
authentication: {anonymous: {enabled: false}, webhook: {enabled: false}, x509: {clientCAFile: $W/pki/ca.crt}}
authorization: {mode: AlwaysAllow}
address: $IP
port: 10250
readOnlyPort: 0
healthzPort: 0
resolvConf: /etc/resolv.conf
enforceNodeAllocatable: []
cgroupsPerQOS: false
cgroupRoot: /
C
PATH=$B:$PATH $B/kubelet --config=$W/kubelet.yaml --kubeconfig=$W/node.kubeconfig --root-dir=$W/kubelet --hostname-override=spike-node --node-ip=$IP > $W/kubelet.log 2>&1 &
kubectl --kubeconfig=$W/admin.kubeconfig create clusterrolebinding spike-proxy --clusterrole=system:node-proxier --user=system:kube-proxy >/dev/null
$B/kube-proxy --kubeconfig=$W/proxy.kubeconfig --hostname-override=spike-node --proxy-mode=iptables --cluster-cidr=198.18.0.0/16 --bind-address=$IP --healthz-bind-address=127.0.0.1:10356 --metrics-bind-address=127.0.0.1:10349 --conntrack-max-per-core=0 > $W/proxy.log 2>&1 &
echo started
