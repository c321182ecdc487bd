package dev.graceful.e2e;

import dev.graceful.e2e.node.PodBinder;
import dev.graceful.e2e.node.PodTimeline;
import dev.graceful.e2e.realnode.NodeDaemons;
import dev.graceful.e2e.realnode.PodWatch;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The project's control plane with a real node: containerd 2 with runc, the kubelet and kube-proxy built from the
 * same pinned Kubernetes, pods in network namespaces made by the CNI bridge plugin on 198.18.0.0/16 (the node's
 * address is the bridge's, 198.18.0.1), Services on ClusterIPs in 198.19.0.0/16 that kube-proxy programs in
 * iptables, reached from the host. The API server listens on the bridge address, so pods reach it through the
 * {@code kubernetes} Service, as in a cluster. Scheduling is the one stand-in: a binder puts every pod on the one
 * node. Needs root and the kernel features host-up.sh checks; elsewhere the class is skipped with one line.
 */
public final class RealNodeCluster implements TestCluster {

  static final String NODE = "e2e-node";
  static final String BRIDGE = "gre2e0";
  static final String NODE_IP = "198.18.0.1";
  static final String POD_SUBNET = "198.18.0.0/16";
  static final String SERVICE_CIDR = "198.19.0.0/16";
  /** One fixed place, so a run killed by anything is cleaned up by the next one (host-up.sh runs host-down.sh). */
  static final Path WORK = Path.of(System.getProperty("java.io.tmpdir"), "graceful-realnode");

  private final ControlPlane controlPlane;
  private final KubernetesClient admin;
  private final NodeDaemons daemons;
  private final PodBinder binder;
  private final PodWatch watch;
  private final Path nodeBin;
  private final Set<String> imported = new HashSet<>();
  private final Thread teardown;
  /** Held for the whole run: one real node per machine (the bridge, WORK and kube-proxy's chains are shared names). */
  private final java.nio.channels.FileChannel lock;

  private RealNodeCluster(ControlPlane controlPlane, KubernetesClient admin, NodeDaemons daemons, PodBinder binder,
      PodWatch watch, Path nodeBin, Thread teardown, java.nio.channels.FileChannel lock) {
    this.lock = lock;
    this.controlPlane = controlPlane;
    this.admin = admin;
    this.daemons = daemons;
    this.binder = binder;
    this.watch = watch;
    this.nodeBin = nodeBin;
    this.teardown = teardown;
  }

  /** Prepares the host, builds what is missing, starts the control plane and the node, waits until both work. */
  public static RealNodeCluster start() throws Exception {
    if ("skip".equals(System.getenv("GRACEFUL_E2E"))) {
      Assumptions.abort("GRACEFUL_E2E=skip");
    }
    E2eEnvironment.assumeControlPlane();
    java.nio.channels.FileChannel lock = lockOrSkip();
    // Known once built; until then the teardown does without kube-proxy --cleanup.
    java.util.concurrent.atomic.AtomicReference<Path> builtNodeBin = new java.util.concurrent.atomic.AtomicReference<>();
    Thread teardown = new Thread(() -> hostDown(builtNodeBin.get()), "real-node-teardown");
    Runtime.getRuntime().addShutdownHook(teardown);
    ControlPlane cp = null;
    NodeDaemons daemons = null;
    try {
      hostUp();
      Path nodeBin = E2eEnvironment.buildBinaries("node");
      builtNodeBin.set(nodeBin);
      Path bin = E2eEnvironment.buildBinaries("controlplane");
      cp = ControlPlane.start(bin, WORK.resolve("controlplane"), ControlPlane.Network.realNode(NODE_IP, SERVICE_CIDR, NODE));
      Path kubeletConfig = WORK.resolve("kubelet.kubeconfig");
      Path proxyConfig = WORK.resolve("kube-proxy.kubeconfig");
      cp.writeKubeconfig(kubeletConfig, "node");
      cp.writeKubeconfig(proxyConfig, "kube-proxy");
      NodeDaemons.Settings settings = new NodeDaemons.Settings(nodeBin, WORK, NODE, BRIDGE, NODE_IP, POD_SUBNET,
          List.of("198.18.1.1", "198.18.255.254"), SERVICE_CIDR, cp.pki.resolve("ca.crt"), kubeletConfig, proxyConfig);
      daemons = new NodeDaemons(settings);
      daemons.startContainerd();
      E2eEnvironment.script("e2e/realnode/import-image.sh", nodeBin.resolve("ctr").toString(),
          settings.containerdSocket().toString(), NodeDaemons.PAUSE_IMAGE);
      daemons.startKubeletAndProxy();
      KubernetesClient admin = cp.adminClient();
      NodeDaemons node = daemons;
      cp.await(() -> {
        node.checkAlive();
        Node n = admin.nodes().withName(NODE).get();
        return n != null && n.getStatus() != null && n.getStatus().getConditions() != null && n.getStatus().getConditions()
            .stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
      }, Duration.ofSeconds(90), "the kubelet's Node to be Ready");
      // Pods reach the API through the kubernetes Service: its endpoint must be the bridge address, and routed.
      cp.await(() -> {
        node.checkAlive();
        try {
          return routes("default", "kubernetes", admin).contains(NODE_IP);
        } catch (IOException e) {
          return false;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }, Duration.ofSeconds(60), "kube-proxy to route the kubernetes Service to " + NODE_IP);
      PodBinder binder = PodBinder.start(admin, NODE);
      PodWatch watch = new PodWatch(admin, settings).start();
      return new RealNodeCluster(cp, admin, daemons, binder, watch, nodeBin, teardown, lock);
    } catch (org.opentest4j.TestAbortedException skipped) {
      hostDown(builtNodeBin.get());
      Runtime.getRuntime().removeShutdownHook(teardown);
      lock.close();
      throw skipped;
    } catch (Exception | AssertionError e) {
      String logs = daemons == null ? "" : daemons.logs();
      if (daemons != null) {
        daemons.close();
      }
      if (cp != null) {
        cp.close();
      }
      hostDown(builtNodeBin.get());
      Runtime.getRuntime().removeShutdownHook(teardown);
      lock.close();
      throw new IllegalStateException("the real node did not start: " + e.getMessage() + logs, e);
    }
  }

  /** Takes the machine-wide lock of real-node runs, or skips when another run holds it. */
  private static java.nio.channels.FileChannel lockOrSkip() throws IOException {
    java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(
        Path.of(System.getProperty("java.io.tmpdir"), "graceful-realnode.lock"),
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
    if (channel.tryLock() == null) {
      channel.close();
      System.out.println("[real node] skipped: another real-node run holds " + System.getProperty("java.io.tmpdir") + "/graceful-realnode.lock");
      Assumptions.abort("real node: another run in progress");
    }
    return channel;
  }

  /** Runs host-up.sh: exit 3 means this machine cannot (the class is skipped with its line), anything else fails. */
  private static void hostUp() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", "e2e/realnode/host-up.sh", WORK.toString(), BRIDGE, NODE_IP + "/16", SERVICE_CIDR)
        .directory(E2eEnvironment.REPO.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(20, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("e2e/realnode/host-up.sh took more than 20 minutes:\n" + out);
    }
    out.lines().forEach(l -> System.out.println("[host-up.sh] " + l));
    if (p.exitValue() == 3) {
      String why = out.lines().filter(l -> l.startsWith("unavailable: ")).reduce((a, b) -> b).orElse("unavailable")
          .substring("unavailable: ".length());
      // Surefire does not print why a class was aborted: say it here, once.
      System.out.println("[real node] skipped: " + why);
      Assumptions.abort("real node: " + why);
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("e2e/realnode/host-up.sh failed (exit " + p.exitValue() + "):\n" + out);
    }
  }

  private static void hostDown(Path nodeBin) {
    try {
      List<String> command = new ArrayList<>(List.of("bash", "e2e/realnode/host-down.sh", WORK.toString(), BRIDGE));
      if (nodeBin != null) {
        command.add(nodeBin.toString());
      }
      Process p = new ProcessBuilder(command)
          .directory(E2eEnvironment.REPO.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor(2, TimeUnit.MINUTES);
      out.lines().forEach(l -> System.out.println("[host-down.sh] " + l));
    } catch (IOException e) {
      System.out.println("[host-down.sh] could not run: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The pod addresses kube-proxy sends a Service's new connections to now. */
  private static Set<String> routes(String namespace, String service, KubernetesClient admin) throws IOException, InterruptedException {
    Set<String> endpoints = new HashSet<>();
    admin.discovery().v1().endpointSlices().inNamespace(namespace).withLabel("kubernetes.io/service-name", service)
        .list().getItems().stream()
        .flatMap((EndpointSlice s) -> s.getEndpoints() == null ? java.util.stream.Stream.empty() : s.getEndpoints().stream())
        .forEach(e -> endpoints.addAll(e.getAddresses()));
    Set<String> routed = new HashSet<>(dev.graceful.e2e.realnode.ProxyRules.routedAddresses());
    routed.retainAll(endpoints);
    return routed;
  }

  @Override
  public String name() {
    return "own control plane + real node (kubelet, kube-proxy, containerd, CNI bridge)";
  }

  @Override
  public KubernetesClient admin() {
    return admin;
  }

  @Override
  public Path kubeconfig() {
    return controlPlane.adminKubeconfig;
  }

  /** Builds with podman, then imports the image into the node's containerd (no registry). */
  @Override
  public synchronized ImageRef image(Image image) throws IOException, InterruptedException {
    ImageRef ref = AgentCluster.buildWithPodman(image);
    String name = ref.repository() + ":" + ref.tag();
    if (imported.add(name)) {
      E2eEnvironment.script("e2e/realnode/import-image.sh", nodeBin.resolve("ctr").toString(),
          WORK.resolve("containerd.sock").toString(), name);
    }
    return ref;
  }

  /** The Service's own ClusterIP and ports, as kube-proxy programs them; the test connects from the host. */
  @Override
  public ServiceAccess openService(String namespace, String service, List<String> portNames) {
    Service s = admin.services().inNamespace(namespace).withName(service).get();
    Map<String, Integer> ports = new HashMap<>();
    for (String name : portNames) {
      ServicePort port = s.getSpec().getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
          .orElseThrow(() -> new IllegalArgumentException(service + " has no port named " + name));
      ports.put(name, port.getPort());
    }
    String clusterIp = s.getSpec().getClusterIP();
    return new ServiceAccess() {
      @Override
      public String host() {
        return clusterIp;
      }

      @Override
      public Map<String, Integer> ports() {
        return Map.copyOf(ports);
      }

      @Override
      public int routableEndpoints() {
        try {
          return routes(namespace, service, admin).size();
        } catch (IOException e) {
          return -1;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return -1;
        }
      }

      @Override
      public void close() {
      }
    };
  }

  @Override
  public Optional<dev.graceful.e2e.ingress.HaproxyIngress> openIngress(String namespace, String service,
      Duration applyDelay, java.nio.file.Path dir) throws Exception {
    return Optional.of(dev.graceful.e2e.ingress.HaproxyIngress.open(admin(), namespace, service, applyDelay,
        address -> address, dir));
  }

  @Override
  public InetSocketAddress reach(Pod pod, int port) {
    return new InetSocketAddress(pod.getStatus().getPodIP(), port);
  }

  @Override
  public Set<String> signalled() {
    return watch.signalled();
  }

  @Override
  public List<PodTimeline> terminated() {
    return watch.terminated();
  }

  @Override
  public String logs(String namespace, String name) {
    return watch.logs(namespace, name);
  }

  @Override
  public List<String> takeNodeProblems() {
    List<String> problems = new ArrayList<>(watch.takeProblems());
    try {
      daemons.checkAlive();
    } catch (IllegalStateException e) {
      problems.add(e.getMessage());
    }
    return problems;
  }

  /** The API server and the kubelet cannot be told apart here; that fault stays with the node agent. */
  @Override
  public Optional<ApiServerFaults> apiServerFaults() {
    return Optional.empty();
  }

  /** The limits a real node enforces: one CPU and 512 MiB per container. */
  @Override
  public Map<String, Object> chartValues() {
    return Map.of("resources.limits.cpu", "1", "resources.limits.memory", "512Mi");
  }

  /** A cgroup v1 file of a pod's first container, e.g. {@code ("cpu", "cpu.stat")}: the limits as the kernel holds them. */
  String containerCgroupFile(Pod pod, String controller, String file) throws IOException {
    String id = pod.getStatus().getContainerStatuses().get(0).getContainerID().replace("containerd://", "");
    Path dir = Path.of("/sys/fs/cgroup", controller, "k8s.io", id);
    return java.nio.file.Files.readString(dir.resolve(file)).trim();
  }

  @Override
  public Map<String, String> nodeFigures() {
    return watch.figures();
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
    StringBuilder out = new StringBuilder("--- cluster state (real node)\n");
    try {
      admin.pods().inAnyNamespace().list().getItems().forEach(p -> out.append("pod ").append(p.getMetadata().getName())
          .append(' ').append(p.getStatus()).append('\n'));
      var events = admin.v1().events().inAnyNamespace().list().getItems();
      events.stream().skip(Math.max(0, events.size() - 30)).forEach(e -> out.append("event ")
          .append(e.getInvolvedObject().getKind()).append('/').append(e.getInvolvedObject().getName()).append(' ')
          .append(e.getReason()).append(": ").append(e.getMessage()).append('\n'));
    } catch (RuntimeException e) {
      out.append("(cannot list: ").append(e).append(")\n");
    }
    return out.append(controlPlane.logs()).append(daemons.logs()).toString();
  }

  @Override
  public void close() {
    watch.close();
    binder.close();
    admin.close();
    daemons.close();
    controlPlane.close();
    hostDown(nodeBin);
    try {
      Runtime.getRuntime().removeShutdownHook(teardown);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down
    }
    try {
      lock.close();
    } catch (IOException e) {
      // released with the process anyway
    }
  }
}
