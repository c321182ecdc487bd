package dev.graceful.e2e;

import dev.graceful.e2e.node.NodeAgent;
import dev.graceful.e2e.node.PodAddresses;
import dev.graceful.e2e.node.PodTimeline;
import dev.graceful.e2e.node.ServiceProxy;
import io.fabric8.kubernetes.api.model.Pod;
import io.vertx.core.Vertx;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The project's own cluster: a real API server and controller manager built from the Kubernetes Go modules, one
 * node agent standing in for the kubelet (pods run with podman, each on its own 127.0.0.x address), and a service
 * proxy standing in for kube-proxy.
 */
public final class AgentCluster implements TestCluster {

  private final ControlPlane controlPlane;
  private final KubernetesClient admin;
  private final NodeAgent agent;
  private final Path work;
  private final Vertx vertx = Vertx.vertx();

  private AgentCluster(Path work, ControlPlane controlPlane, KubernetesClient admin, NodeAgent agent) {
    this.work = work;
    this.controlPlane = controlPlane;
    this.admin = admin;
    this.agent = agent;
  }

  /** Builds what is missing (binaries), starts the control plane and the node agent. */
  public static AgentCluster start() throws IOException, InterruptedException {
    E2eEnvironment.assumeControlPlane();
    Path bin = E2eEnvironment.buildBinaries("controlplane");
    Path work = Files.createTempDirectory("graceful-e2e-");
    ControlPlane cp = ControlPlane.start(bin, work);
    KubernetesClient admin = cp.adminClient();
    // The repository's file, the same one e2e/podman/env.sh names for the image builds: nothing from an earlier run.
    Path conf = E2eEnvironment.REPO.resolve("e2e/podman/containers.conf");
    NodeAgent agent = new NodeAgent(admin, new NodeAgent.Settings("e2e-node", cp.apiPort, cp.pki.resolve("ca.crt"),
        work, conf)).start();
    return new AgentCluster(work, cp, admin, agent);
  }

  @Override
  public String name() {
    return "own control plane (e2e/controlplane) + node agent (podman)";
  }

  @Override
  public KubernetesClient admin() {
    return admin;
  }

  @Override
  public Path kubeconfig() {
    return controlPlane.adminKubeconfig;
  }

  @Override
  public ImageRef image(Image image) throws IOException, InterruptedException {
    return buildWithPodman(image);
  }

  /** Builds one of the scenarios' images with podman (each script skips what is up to date). */
  static ImageRef buildWithPodman(Image image) throws IOException, InterruptedException {
    ImageRef ref = switch (image) {
      case RUNTIME -> new ImageRef("localhost/graceful-runtime", "e2e");
      case NAIVE -> new ImageRef("localhost/naive-vertx", "e2e");
      case UNCHANGED_APP -> new ImageRef("localhost/unchanged-vertx-app", "e2e");
    };
    String name = ref.repository() + ":" + ref.tag();
    switch (image) {
      case RUNTIME -> E2eEnvironment.script("e2e/podman/build-image.sh", name);
      case NAIVE -> E2eEnvironment.script("e2e/podman/build-naive-image.sh", name);
      case UNCHANGED_APP -> {
        ImageRef runtime = buildWithPodman(Image.RUNTIME);
        E2eEnvironment.script("e2e/podman/build-unchanged-app-image.sh", name, runtime.repository() + ":" + runtime.tag());
      }
    }
    return ref;
  }

  @Override
  public ServiceAccess openService(String namespace, String service, List<String> portNames) {
    ServiceProxy proxy = new ServiceProxy(vertx, admin, namespace, service, Duration.ofMillis(500));
    Map<String, Integer> ports = proxy.start(portNames);
    return new ServiceAccess() {
      @Override
      public Map<String, Integer> ports() {
        return ports;
      }

      @Override
      public int routableEndpoints() {
        return proxy.endpoints().size();
      }

      @Override
      public void close() {
        proxy.close();
      }
    };
  }

  @Override
  public Optional<dev.graceful.e2e.ingress.HaproxyIngress> openIngress(String namespace, String service,
      Duration applyDelay, java.nio.file.Path dir) throws Exception {
    return Optional.of(dev.graceful.e2e.ingress.HaproxyIngress.open(admin(), namespace, service, applyDelay,
        PodAddresses::loopbackFor, dir));
  }

  @Override
  public InetSocketAddress reach(Pod pod, int port) {
    return new InetSocketAddress(PodAddresses.loopbackFor(pod.getStatus().getPodIP()), port);
  }

  @Override
  public Set<String> signalled() {
    return agent.signalled();
  }

  @Override
  public List<PodTimeline> terminated() {
    return agent.terminated();
  }

  @Override
  public String logs(String namespace, String name) {
    return agent.logs(namespace, name);
  }

  @Override
  public List<String> takeNodeProblems() {
    return agent.takeProblems();
  }

  @Override
  public Optional<ApiServerFaults> apiServerFaults() {
    return Optional.of(new ApiServerFaults() {
      @Override
      public void stopApiServerBeforeSigterm(String podName) {
        agent.beforeSigterm(name -> {
          if (name.equals(podName)) {
            try {
              // Pods the controllers create meanwhile cannot get their tokens: that is the fault, not a node problem.
              agent.apiServerDown(true);
              controlPlane.stopApiServer();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        });
      }

      @Override
      public void restoreApiServer() throws IOException, InterruptedException {
        agent.beforeSigterm(name -> { });
        controlPlane.startApiServer();
        agent.apiServerDown(false);
      }
    });
  }

  /** What a person would look at when a scenario fails: workloads, pods, recent events, component logs. */
  @Override
  public String describe() {
    StringBuilder out = new StringBuilder("--- cluster state\n");
    try {
      admin.apps().deployments().inAnyNamespace().list().getItems().forEach(d -> out.append("deployment ")
          .append(d.getMetadata().getName()).append(" ").append(d.getStatus()).append('\n'));
      admin.apps().replicaSets().inAnyNamespace().list().getItems().forEach(r -> out.append("replicaset ")
          .append(r.getMetadata().getName()).append(" ").append(r.getStatus()).append('\n'));
      admin.pods().inAnyNamespace().list().getItems().forEach(p -> out.append("pod ").append(p.getMetadata().getName())
          .append(" node=").append(p.getSpec().getNodeName()).append(" ").append(p.getStatus()).append('\n'));
      admin.v1().events().inAnyNamespace().list().getItems().stream().skip(Math.max(0,
          admin.v1().events().inAnyNamespace().list().getItems().size() - 30))
          .forEach(e -> out.append("event ").append(e.getInvolvedObject().getKind()).append('/')
              .append(e.getInvolvedObject().getName()).append(' ').append(e.getReason()).append(": ")
              .append(e.getMessage()).append('\n'));
    } catch (RuntimeException e) {
      out.append("(cannot list: ").append(e).append(")\n");
    }
    agent.problems().forEach(p -> out.append("node agent: ").append(p).append('\n'));
    return out.append(controlPlane.logs()).toString();
  }

  @Override
  public void close() throws IOException {
    agent.close();
    admin.close();
    vertx.close();
    controlPlane.close();
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
