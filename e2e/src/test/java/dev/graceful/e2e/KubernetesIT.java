package dev.graceful.e2e;

/** The scenarios on the project's own control plane and node agent: runs wherever Go and podman can be installed. */
class KubernetesIT extends ClusterScenarios {

  @Override
  TestCluster startCluster() throws Exception {
    return AgentCluster.start();
  }
}
