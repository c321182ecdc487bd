package dev.graceful.e2e;

/**
 * The scenarios on k3s through Testcontainers: a real kubelet, containerd and kube-proxy. Runs where a container
 * engine can provide the {@code rancher/k3s} image; elsewhere skipped with one line saying why.
 */
class K3sIT extends ClusterScenarios {

  @Override
  TestCluster startCluster() throws Exception {
    return K3sCluster.start();
  }
}
