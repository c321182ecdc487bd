package dev.graceful.e2e;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * etcd, kube-apiserver and kube-controller-manager, with generated certificates, service-account keys and RBAC
 * authorization on: on loopback for the node agent, or on a bridge address for a real node
 * ({@link Network#realNode}). Built by {@code e2e/controlplane/build-binaries.sh}; stopped and cleaned up by
 * {@link #close()}, and by a JVM shutdown hook should a test run die.
 */
final class ControlPlane implements AutoCloseable {

  /**
   * Where the API server listens and which addresses Services get.
   *
   * @param address     the API server's bind and advertise address
   * @param serviceCidr the ClusterIP range
   * @param nodeName    a real node's name, for its client certificates (kubelet, kube-proxy), or null for none
   */
  record Network(String address, String serviceCidr, String nodeName) {

    /** Loopback only; the {@code kubernetes} Service is left without endpoints (pods get the API from the agent). */
    static Network loopback() {
      return new Network("127.0.0.1", "10.96.0.0/16", null);
    }

    /** The API server on a bridge address that pods reach through the {@code kubernetes} Service. */
    static Network realNode(String address, String serviceCidr, String nodeName) {
      return new Network(address, serviceCidr, nodeName);
    }

    boolean loopbackOnly() {
      return nodeName == null;
    }

    /** The first address of the Service range: the {@code kubernetes} Service's ClusterIP. */
    String kubernetesServiceIp() {
      String base = serviceCidr.substring(0, serviceCidr.indexOf('/'));
      return base.substring(0, base.lastIndexOf('.')) + ".1";
    }
  }

  private final Path work;
  private final Network network;
  private final List<Process> processes = new ArrayList<>();
  private List<String> apiServerCommand;
  private Process apiServer;
  private final Thread reaper = new Thread(this::stopProcesses, "control-plane-reaper");
  final int apiPort;
  final Path pki;
  final Path adminKubeconfig;

  private ControlPlane(Path work, Network network) {
    this.work = work;
    this.network = network;
    this.pki = work.resolve("pki");
    this.apiPort = freePort();
    this.adminKubeconfig = work.resolve("admin.kubeconfig");
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  static ControlPlane start(Path bin, Path work) throws IOException, InterruptedException {
    return start(bin, work, Network.loopback());
  }

  static ControlPlane start(Path bin, Path work, Network network) throws IOException, InterruptedException {
    ControlPlane cp = new ControlPlane(work, network);
    try {
      cp.boot(bin);
      return cp;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cp.close();
      throw e;
    }
  }

  private void boot(Path bin) throws IOException, InterruptedException {
    Files.createDirectories(work.resolve("logs"));
    List<String> pkiCommand = new ArrayList<>(List.of("bash", E2eEnvironment.REPO.resolve("e2e/controlplane/pki.sh").toString(), pki.toString()));
    if (!network.loopbackOnly()) {
      pkiCommand.addAll(List.of(network.address(), network.kubernetesServiceIp(), network.nodeName()));
    }
    run(pkiCommand);
    int etcdClient = freePort();
    int etcdPeer = freePort();
    String etcdUrl = "http://127.0.0.1:" + etcdClient;
    spawn("etcd", List.of(bin.resolve("etcd").toString(),
        "--name=e2e", "--data-dir=" + work.resolve("etcd"),
        "--listen-client-urls=" + etcdUrl, "--advertise-client-urls=" + etcdUrl,
        "--listen-peer-urls=http://127.0.0.1:" + etcdPeer, "--initial-advertise-peer-urls=http://127.0.0.1:" + etcdPeer,
        "--initial-cluster=e2e=http://127.0.0.1:" + etcdPeer, "--unsafe-no-fsync", "--log-level=warn"));
    awaitHttp(etcdUrl + "/health", Duration.ofSeconds(30));

    List<String> apiServer = new ArrayList<>(List.of(bin.resolve("kube-apiserver").toString(),
        "--etcd-servers=" + etcdUrl,
        "--bind-address=" + network.address(), "--secure-port=" + apiPort, "--advertise-address=" + network.address(),
        "--tls-cert-file=" + pki.resolve("apiserver.crt"), "--tls-private-key-file=" + pki.resolve("apiserver.key"),
        "--client-ca-file=" + pki.resolve("ca.crt"),
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file=" + pki.resolve("sa.pub"),
        "--service-account-signing-key-file=" + pki.resolve("sa.key"),
        "--api-audiences=https://kubernetes.default.svc.cluster.local",
        "--service-cluster-ip-range=" + network.serviceCidr(),
        "--enable-priority-and-fairness=false",
        "--profiling=false"));
    if (network.loopbackOnly()) {
      // The "kubernetes" Service cannot point at a loopback address; pods get the API's address from the agent.
      apiServer.addAll(List.of("--authorization-mode=RBAC", "--endpoint-reconciler-type=none"));
    } else {
      // A real kubelet: the Node authorizer lets it read what its own pods need (their secrets, tokens, config maps).
      apiServer.addAll(List.of("--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction"));
    }
    apiServerCommand = List.copyOf(apiServer);
    this.apiServer = spawn("kube-apiserver", apiServerCommand);
    writeKubeconfig(adminKubeconfig, "admin");
    writeKubeconfig(work.resolve("controller-manager.kubeconfig"), "controller-manager");
    awaitApiServer();

    spawn("kube-controller-manager", List.of(bin.resolve("kube-controller-manager").toString(),
        "--kubeconfig=" + work.resolve("controller-manager.kubeconfig"),
        "--authentication-kubeconfig=" + work.resolve("controller-manager.kubeconfig"),
        "--authorization-kubeconfig=" + work.resolve("controller-manager.kubeconfig"),
        "--bind-address=127.0.0.1", "--secure-port=" + freePort(),
        "--leader-elect=false",
        "--use-service-account-credentials=true",
        "--root-ca-file=" + pki.resolve("ca.crt"),
        // What a Deployment rollout and the endpoint wait need; node lifecycle is the node agent's business.
        "--controllers=deployment-controller,replicaset-controller,endpointslice-controller,serviceaccount-controller,"
            + "serviceaccount-token-controller,garbage-collector-controller,namespace-controller,disruption-controller,"
            + "root-ca-certificate-publisher-controller"));
    // The controller manager works once its serviceaccount controller has created the default account.
    await(() -> {
      try (KubernetesClient c = adminClient()) {
        return c.serviceAccounts().inNamespace("default").withName("default").get() != null;
      } catch (RuntimeException e) {
        return false;
      }
    }, Duration.ofSeconds(60), "kube-controller-manager (the default ServiceAccount)");
  }

  private void awaitApiServer() throws InterruptedException {
    await(() -> {
      try (KubernetesClient c = adminClient()) {
        return "ok".equals(c.raw("/readyz"));
      } catch (RuntimeException e) {
        return false;
      }
    }, Duration.ofSeconds(60), "kube-apiserver /readyz");
  }

  /** Stops the API server (a fault for the tests); etcd and the controller manager stay. */
  void stopApiServer() throws InterruptedException {
    processes.remove(apiServer);
    apiServer.destroy();
    if (!apiServer.waitFor(20, TimeUnit.SECONDS)) {
      apiServer.destroyForcibly();
    }
  }

  /** Starts the API server again on the same port and waits until it is ready. */
  void startApiServer() throws IOException, InterruptedException {
    apiServer = spawn("kube-apiserver-restarted", apiServerCommand);
    awaitApiServer();
  }

  KubernetesClient adminClient() {
    try {
      return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(adminKubeconfig))).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String url() {
    return "https://" + network.address() + ":" + apiPort;
  }

  /** Writes a kubeconfig for one of the identities pki.sh made (admin, controller-manager, node, kube-proxy). */
  void writeKubeconfig(Path file, String user) throws IOException {
    Files.writeString(file, """
        apiVersion: v1
        kind: Config
        clusters:
        - name: e2e
          cluster:
            server: %s
            certificate-authority: %s
        users:
        - name: %s
          user:
            client-certificate: %s
            client-key: %s
        contexts:
        - name: e2e
          context: {cluster: e2e, user: %s, namespace: default}
        current-context: e2e
        """.formatted(url(), pki.resolve("ca.crt"), user, pki.resolve(user + ".crt"), pki.resolve(user + ".key"), user));
  }

  private Process spawn(String name, List<String> command) throws IOException {
    Path log = work.resolve("logs").resolve(name + ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    // Fail fast with the log when a component dies during start.
    if (!p.isAlive()) {
      throw new IllegalStateException(name + " exited at once:\n" + Files.readString(log));
    }
    return p;
  }

  private void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).inheritIO().start();
    if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed");
    }
  }

  private void awaitHttp(String url, Duration timeout) throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    await(() -> {
      try {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(1)).build(),
            HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }, timeout, url);
  }

  /** Polls an observable condition until it holds; fails with the component logs when it does not in time. */
  void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IllegalStateException("a control-plane process exited while waiting for " + what + logs());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out waiting for " + what + logs());
      }
      Thread.sleep(100);
    }
  }

  String logs() {
    return LocalProcesses.logTails(work.resolve("logs"), 20);
  }

  private void stopProcesses() {
    for (int i = processes.size() - 1; i >= 0; i--) {
      LocalProcesses.stop(processes.get(i));
    }
    processes.clear();
  }

  @Override
  public void close() {
    stopProcesses();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down
    }
  }

  static int freePort() {
    return LocalProcesses.freeLoopbackPort();
  }
}
