package dev.graceful.e2e;

import dev.graceful.e2e.node.PodTimeline;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.LocalPortForward;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The same scenarios on k3s through Testcontainers, wherever a container engine can provide the {@code rancher/k3s}
 * image: a real kubelet, containerd and kube-proxy. Images are built with the Docker CLI and imported into the k3s
 * node; Services are reached through NodePorts published on loopback; pod timelines come from the API (deletion,
 * container termination) and from log streams opened while each pod runs. The API server cannot be stopped apart
 * from the kubelet here, so that fault scenario is skipped on k3s.
 */
public final class K3sCluster implements TestCluster {

  /** The k3s image; {@code -Dgraceful.k3s.image=...} picks another. */
  static final String K3S_IMAGE = System.getProperty("graceful.k3s.image", "rancher/k3s:v1.33.5-k3s1");
  private static final int FIRST_NODE_PORT = 30080;
  private static final int NODE_PORTS = 8;

  private final K3sContainer k3s;
  private final KubernetesClient admin;
  private final Path kubeconfig;
  private final AtomicInteger nextNodePort = new AtomicInteger(FIRST_NODE_PORT);
  private final List<AutoCloseable> opened = new CopyOnWriteArrayList<>();
  private final Map<String, ByteArrayOutputStream> logs = new ConcurrentHashMap<>();
  private final Map<String, Instant> deletions = new ConcurrentHashMap<>();
  private final List<PodTimeline> finished = new CopyOnWriteArrayList<>();
  private final SharedIndexInformer<Pod> pods;

  private K3sCluster(K3sContainer k3s, Path kubeconfig) {
    this.k3s = k3s;
    this.kubeconfig = kubeconfig;
    this.admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(k3s.getKubeConfigYaml())).build();
    this.pods = admin.pods().inNamespace("default").inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        follow(pod);
      }

      @Override
      public void onUpdate(Pod before, Pod pod) {
        follow(pod);
      }

      @Override
      public void onDelete(Pod pod, boolean unknownFinalState) {
        gone(pod);
      }
    });
  }

  /** Starts k3s, or aborts with one line saying why it cannot run here (never a failure: it is optional). */
  public static K3sCluster start() throws Exception {
    if ("skip".equals(System.getenv("GRACEFUL_E2E"))) {
      Assumptions.abort("GRACEFUL_E2E=skip");
    }
    String unavailable = unavailable();
    if (unavailable != null) {
      // Surefire does not print why a class was aborted: say it here, once.
      System.out.println("[k3s] skipped: " + unavailable);
      Assumptions.abort("k3s: " + unavailable);
    }
    K3sContainer k3s = new K3sContainer(DockerImageName.parse(K3S_IMAGE));
    for (int i = 0; i < NODE_PORTS; i++) {
      k3s.addExposedPort(FIRST_NODE_PORT + i);
    }
    k3s.start();
    Path kubeconfig = Files.createTempFile("k3s-", ".kubeconfig");
    Files.writeString(kubeconfig, k3s.getKubeConfigYaml());
    return new K3sCluster(k3s, kubeconfig);
  }

  /** Why k3s cannot run here, or null when it can: a Docker-API engine, on this host, with the k3s image. */
  private static String unavailable() {
    DockerClientFactory docker = DockerClientFactory.instance();
    if (!docker.isDockerAvailable()) {
      return "no Docker-API container engine for Testcontainers (no Docker socket; DOCKER_HOST unset or unreachable)";
    }
    try {
      docker.client().inspectImageCmd(K3S_IMAGE).exec();
    } catch (RuntimeException notLocal) {
      try {
        if (!docker.client().pullImageCmd(K3S_IMAGE).start().awaitCompletion(10, TimeUnit.MINUTES)) {
          return "pulling " + K3S_IMAGE + " took longer than 10 minutes";
        }
      } catch (RuntimeException | InterruptedException e) {
        return K3S_IMAGE + " is not in the engine and cannot be pulled (" + e.getMessage().lines().findFirst().orElse("") + ")";
      }
    }
    String host = docker.dockerHostIpAddress();
    if (!"localhost".equals(host) && !host.startsWith("127.")) {
      return "the container engine runs on " + host + ", not on this machine; the tests only send traffic to loopback";
    }
    return null;
  }

  @Override
  public String name() {
    return "k3s " + K3S_IMAGE + " (Testcontainers)";
  }

  @Override
  public KubernetesClient admin() {
    return admin;
  }

  @Override
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** Builds with the Docker CLI, then imports the image into the k3s node's containerd. */
  @Override
  public ImageRef image(Image image) throws Exception {
    ImageRef ref = switch (image) {
      case RUNTIME -> new ImageRef("docker.io/library/graceful-runtime", "k3s");
      case NAIVE -> new ImageRef("docker.io/library/naive-vertx", "k3s");
      case UNCHANGED_APP -> new ImageRef("docker.io/library/unchanged-vertx-app", "k3s");
    };
    String name = ref.repository() + ":" + ref.tag();
    List<String> command = new ArrayList<>(List.of("bash"));
    switch (image) {
      case RUNTIME -> command.addAll(List.of("e2e/podman/build-image.sh", name));
      case NAIVE -> command.addAll(List.of("e2e/podman/build-naive-image.sh", name));
      case UNCHANGED_APP -> {
        ImageRef runtime = image(Image.RUNTIME);
        command.addAll(List.of("e2e/podman/build-unchanged-app-image.sh", name, runtime.repository() + ":" + runtime.tag()));
      }
    }
    ProcessBuilder build = new ProcessBuilder(command).directory(E2eEnvironment.REPO.toFile()).inheritIO();
    build.environment().put("GRACEFUL_IMAGE_ENGINE", "docker");
    run(build, "building " + name);
    Path tar = Files.createTempFile("image-", ".tar");
    try {
      run(new ProcessBuilder("docker", "save", "-o", tar.toString(), name).inheritIO(), "docker save " + name);
      k3s.copyFileToContainer(MountableFile.forHostPath(tar), "/tmp/image.tar");
      var imported = k3s.execInContainer("ctr", "-n", "k8s.io", "images", "import", "/tmp/image.tar");
      if (imported.getExitCode() != 0) {
        throw new IllegalStateException("importing " + name + " into k3s: " + imported.getStderr());
      }
    } finally {
      Files.deleteIfExists(tar);
    }
    return ref;
  }

  private static void run(ProcessBuilder command, String what) throws Exception {
    Process p = command.start();
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(what + " failed");
    }
  }

  /**
   * A NodePort twin of the Service (same selector and ports), published on loopback: traffic goes through the
   * node's real kube-proxy.
   */
  @Override
  public ServiceAccess openService(String namespace, String service, List<String> portNames) {
    Service original = admin.services().inNamespace(namespace).withName(service).get();
    List<ServicePort> ports = new ArrayList<>();
    Map<String, Integer> local = new HashMap<>();
    for (String portName : portNames) {
      ServicePort port = original.getSpec().getPorts().stream().filter(p -> portName.equals(p.getName())).findFirst()
          .orElseThrow(() -> new IllegalArgumentException(service + " has no port named " + portName));
      int nodePort = nextNodePort.getAndIncrement();
      if (nodePort >= FIRST_NODE_PORT + NODE_PORTS) {
        throw new IllegalStateException("all " + NODE_PORTS + " published node ports are in use");
      }
      ports.add(new io.fabric8.kubernetes.api.model.ServicePortBuilder(port).withNodePort(nodePort).build());
      local.put(portName, k3s.getMappedPort(nodePort));
    }
    String twin = service + "-nodeport";
    admin.services().inNamespace(namespace).resource(new ServiceBuilder()
        .withNewMetadata().withName(twin).withNamespace(namespace).endMetadata()
        .withNewSpec().withType("NodePort").withSelector(original.getSpec().getSelector()).withPorts(ports).endSpec()
        .build()).create();
    return new ServiceAccess() {
      @Override
      public Map<String, Integer> ports() {
        return Map.copyOf(local);
      }

      @Override
      public int routableEndpoints() {
        return (int) admin.discovery().v1().endpointSlices().inNamespace(namespace)
            .withLabel("kubernetes.io/service-name", twin).list().getItems().stream()
            .flatMap((EndpointSlice s) -> s.getEndpoints() == null ? java.util.stream.Stream.empty() : s.getEndpoints().stream())
            .filter(e -> Boolean.TRUE.equals(e.getConditions().getReady())).count();
      }

      @Override
      public void close() {
        admin.services().inNamespace(namespace).withName(twin).delete();
      }
    };
  }

  @Override
  public InetSocketAddress reach(Pod pod, int port) {
    LocalPortForward forward = admin.pods().inNamespace(pod.getMetadata().getNamespace())
        .withName(pod.getMetadata().getName()).portForward(port);
    opened.add(forward);
    return new InetSocketAddress("127.0.0.1", forward.getLocalPort());
  }

  /** Opens a log stream once the container runs, and notes the moment of deletion (the kubelet's SIGTERM). */
  private void follow(Pod pod) {
    String name = pod.getMetadata().getName();
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      deletions.putIfAbsent(name, Instant.now());
    }
    boolean running = pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null
        && pod.getStatus().getContainerStatuses().stream().anyMatch(c -> c.getState() != null && c.getState().getRunning() != null);
    if (running && !logs.containsKey(name)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (logs.putIfAbsent(name, out) == null) {
        LogWatch watch = admin.pods().inNamespace("default").withName(name).watchLog(out);
        opened.add(watch);
      }
    }
  }

  private void gone(Pod pod) {
    String name = pod.getMetadata().getName();
    Optional<ContainerStateTerminated> terminated = Optional.ofNullable(pod.getStatus())
        .map(s -> s.getContainerStatuses()).flatMap(l -> l.stream().findFirst()).map(ContainerStatus::getState)
        .map(s -> s.getTerminated());
    Integer exitCode = terminated.map(ContainerStateTerminated::getExitCode).orElse(null);
    Instant exited = terminated.map(t -> t.getFinishedAt()).map(Instant::parse).orElse(Instant.now());
    ByteArrayOutputStream out = logs.get(name);
    finished.add(new PodTimeline("default/" + name, pod.getStatus() == null ? null : pod.getStatus().getPodIP(),
        null, null, deletions.getOrDefault(name, exited), deletions.getOrDefault(name, exited), exited, exitCode,
        exitCode != null && exitCode == 137, out == null ? "" : out.toString()));
  }

  @Override
  public Set<String> signalled() {
    return Set.copyOf(deletions.keySet());
  }

  @Override
  public List<PodTimeline> terminated() {
    return List.copyOf(finished);
  }

  @Override
  public String logs(String namespace, String name) {
    ByteArrayOutputStream out = logs.get(name);
    if (out != null) {
      return out.toString();
    }
    return admin.pods().inNamespace(namespace).withName(name).getLog();
  }

  @Override
  public Optional<ApiServerFaults> apiServerFaults() {
    return Optional.empty();
  }

  /** A real kubelet and kube-proxy: see {@link TestCluster#runsHelmTests()}. */
  @Override
  public boolean runsHelmTests() {
    return true;
  }

  /** A real kubelet: see {@link TestCluster#readinessGateActsWhileTerminating()}. */
  @Override
  public boolean readinessGateActsWhileTerminating() {
    return false;
  }

  @Override
  public String describe() {
    StringBuilder out = new StringBuilder("--- k3s state\n");
    try {
      admin.pods().inAnyNamespace().list().getItems().forEach(p -> out.append("pod ").append(p.getMetadata().getName())
          .append(' ').append(p.getStatus()).append('\n'));
    } catch (RuntimeException e) {
      out.append("(cannot list: ").append(e).append(")\n");
    }
    return out.append(k3s.getLogs()).toString();
  }

  @Override
  public void close() throws Exception {
    pods.stop();
    for (AutoCloseable c : opened) {
      try {
        c.close();
      } catch (Exception e) {
        // closing what the cluster takes down anyway
      }
    }
    admin.close();
    k3s.stop();
    Files.deleteIfExists(kubeconfig);
  }
}
