package dev.graceful.e2e;

import dev.graceful.e2e.node.NodeAgent;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Kubernetes control plane with one node agent, built and started for the end-to-end tests.
 * The cluster interface the scenarios run against; a k3s implementation can stand beside it.
 */
final class Cluster implements AutoCloseable {

  static final String IMAGE = "localhost/graceful-runtime:e2e";

  final ControlPlane controlPlane;
  final KubernetesClient admin;
  final NodeAgent agent;
  private final Path work;

  private Cluster(Path work, ControlPlane controlPlane, KubernetesClient admin, NodeAgent agent) {
    this.work = work;
    this.controlPlane = controlPlane;
    this.admin = admin;
    this.agent = agent;
  }

  /** Builds what is missing (binaries, image), starts the control plane and the node agent. */
  static Cluster start() throws IOException, InterruptedException {
    Path bin = buildBinaries();
    script("e2e/podman/build-image.sh", IMAGE);
    Path work = Files.createTempDirectory("graceful-e2e-");
    ControlPlane cp = ControlPlane.start(bin, work);
    KubernetesClient admin = cp.adminClient();
    Path conf = Path.of(System.getProperty("user.home"), ".cache", "graceful-runtime", "containers.conf");
    NodeAgent agent = new NodeAgent(admin, new NodeAgent.Settings("e2e-node", cp.apiPort, cp.pki.resolve("ca.crt"),
        work, Files.exists(conf) ? conf.toString() : null)).start();
    return new Cluster(work, cp, admin, agent);
  }

  /** Builds the binaries unless present (minutes on a cold cache); the script prints only the bin directory. */
  private static Path buildBinaries() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", "e2e/controlplane/build-binaries.sh")
        .directory(E2eEnvironment.REPO.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    if (!p.waitFor(60, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("e2e/controlplane/build-binaries.sh failed");
    }
    return Path.of(out);
  }

  static String script(String path, String... args) throws IOException, InterruptedException {
    var command = new java.util.ArrayList<String>();
    command.add("bash");
    command.add(path);
    command.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(command).directory(E2eEnvironment.REPO.toFile()).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
      String line;
      while ((line = in.readLine()) != null) {
        System.out.println("[" + Path.of(path).getFileName() + "] " + line);
        out.append(line).append('\n');
      }
    }
    if (!p.waitFor(80, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(path + " failed:\n" + out);
    }
    return out.toString();
  }

  /** What a person would look at when a scenario fails: workloads, pods, recent events, component logs. */
  String describe() {
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
    controlPlane.close();
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
