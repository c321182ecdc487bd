#!/usr/bin/env bash
# Generates the certificates and keys a loopback-only control plane needs, into DIR:
#   ca.{crt,key}                 cluster CA (signs everything below; the pods' service-account ca.crt)
#   apiserver.{crt,key}          serving certificate for 127.0.0.1 and the in-cluster names
#   admin.{crt,key}              client certificate in system:masters (the test harness)
#   controller-manager.{crt,key} client certificate for system:kube-controller-manager
#   sa.{key,pub}                 service-account token signing key pair
# With a real node (e2e/realnode), also: the API server's bridge address and the kubernetes Service's ClusterIP in
# its certificate, and
#   node.{crt,key}               client certificate for the kubelet (system:node:NODE_NAME in system:nodes)
#   kube-proxy.{crt,key}         client certificate for system:kube-proxy
# Usage: pki.sh DIR [API_IP SERVICE_IP NODE_NAME]
set -euo pipefail
dir="$1"
api_ip="${2:-}"; service_ip="${3:-}"; node_name="${4:-}"
extra_sans=""
[ -z "$api_ip" ] || extra_sans=",IP:$api_ip,IP:$service_ip"
mkdir -p "$dir"
cd "$dir"
[ -f sa.pub ] && exit 0   # already there

days=3650
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days "$days" -subj "/CN=graceful-e2e-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

sign() { # sign NAME SUBJECT EXTENSIONS
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days "$days" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1$extra_sans,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
sign admin "/O=system:masters/CN=graceful-e2e-admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
sign controller-manager "/CN=system:kube-controller-manager" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
if [ -n "$node_name" ]; then
  sign node "/O=system:nodes/CN=system:node:$node_name" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  sign kube-proxy "/CN=system:kube-proxy" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
fi
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
echo "pki ready in $dir"
