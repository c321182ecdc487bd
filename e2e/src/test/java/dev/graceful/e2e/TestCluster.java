package dev.graceful.e2e;

import dev.graceful.e2e.node.PodTimeline;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * What the end-to-end scenarios need from a Kubernetes cluster, so they are written once and run on each
 * implementation: the project's own control plane with the node agent ({@link AgentCluster}), the same control
 * plane with a real kubelet, containerd and kube-proxy ({@link RealNodeCluster}), or k3s through Testcontainers
 * ({@link K3sCluster}).
 */
public interface TestCluster extends AutoCloseable {

  /** The images the scenarios deploy. */
  enum Image {
    /** The project's Dockerfile: the runtime with its demo. */
    RUNTIME,
    /** e2e/naive-server: the demo on plain Vert.x with vertx.close() on SIGTERM. */
    NAIVE,
    /** The naive server's routes as a plain verticle with its own servers, on the runtime's image (GRACEFUL_VERTICLES). */
    UNCHANGED_APP
  }

  /** Where an image is, as the chart's {@code image.*} values. */
  record ImageRef(String repository, String tag) {
  }

  /** A Service made reachable from the test, on loopback or on its ClusterIP, as kube-proxy would route it. */
  interface ServiceAccess extends AutoCloseable {

    /** The address the test connects to: loopback, or the Service's ClusterIP where kube-proxy programs it. */
    default String host() {
      return "127.0.0.1";
    }

    /** Service port name to the port on {@link #host()} that reaches it. */
    Map<String, Integer> ports();

    /** How many endpoints new connections are sent to right now. */
    int routableEndpoints();

    @Override
    void close();
  }

  /** Faults only a cluster whose parts the test controls can inject. */
  interface ApiServerFaults {

    /** Stops the API server after the deletion of {@code podName} and before its SIGTERM. */
    void stopApiServerBeforeSigterm(String podName);

    /** Starts it again (idempotent) and forgets the hook. */
    void restoreApiServer() throws Exception;
  }

  /** One line for reports: what runs the pods. */
  String name();

  KubernetesClient admin();

  /** A kubeconfig with cluster-admin rights, for Helm. */
  Path kubeconfig();

  /** Builds the image unless present and makes it available to the cluster's nodes. */
  ImageRef image(Image image) throws Exception;

  /** Routes loopback ports to the named ports of a Service. */
  ServiceAccess openService(String namespace, String service, List<String> portNames) throws Exception;

  /**
   * An L7 hop in front of a Service: HAProxy routing to its ready endpoints, each EndpointSlice change applied after
   * {@code applyDelay} (see {@link dev.graceful.e2e.ingress.HaproxyIngress}); its files go in {@code dir}. Empty
   * where this machine cannot reach the pods' addresses.
   */
  default Optional<dev.graceful.e2e.ingress.HaproxyIngress> openIngress(String namespace, String service,
      Duration applyDelay, Path dir) throws Exception {
    return Optional.empty();
  }

  /** A local address that reaches {@code port} of one pod directly. */
  InetSocketAddress reach(Pod pod, int port) throws Exception;

  /** Names of the pods that have been sent SIGTERM. */
  Set<String> signalled();

  /** Timelines of the pods that were terminated and removed, in the order they went. */
  List<PodTimeline> terminated();

  /** The output of a running pod's container. */
  String logs(String namespace, String name);

  /** Present when the API server can be stopped and started by the test. */
  Optional<ApiServerFaults> apiServerFaults();

  /** What a person would look at when a scenario fails. */
  String describe();

  /**
   * Whether a readiness gate set False after SIGTERM changes the pod's Ready condition at once. The node agent
   * recomputes Ready on every status change. A real kubelet (1.36) does not while it stops the container:
   * {@code SyncTerminatingPod} writes the status once, before {@code killPod} sends SIGTERM, and the pod worker is busy
   * until the container is gone; only a failing readiness probe ({@code SetContainerReadiness}) turns Ready False.
   */
  default boolean readinessGateActsWhileTerminating() {
    return true;
  }

  /**
   * Whether the chart's {@code helm test} pod can run here: it reaches the release's Services by their service-link
   * variables ({@code $(NAME_SERVICE_HOST)} in its arguments), which a real kubelet expands and routes through
   * kube-proxy; the node agent runs neither.
   */
  default boolean runsHelmTests() {
    return false;
  }

  /** Helm values this cluster sets on every release (resource limits a real node enforces, say). */
  default Map<String, Object> chartValues() {
    return Map.of();
  }

  /** Per-pod measurements only this cluster's parts can make, printed as {@code [figures]} lines at the end. */
  default Map<String, String> nodeFigures() {
    return Map.of();
  }

  /** The pods of a Helm release. */
  default List<Pod> pods(String namespace, String release) {
    return admin().pods().inNamespace(namespace).withLabel("app.kubernetes.io/instance", release).list().getItems();
  }

  /**
   * True once the Deployment's latest generation is rolled out: every replica updated and available, and no old pod
   * still terminating (so every pod it replaced has drained).
   */
  default boolean rolledOut(String namespace, String deployment, String release) {
    Deployment d = admin().apps().deployments().inNamespace(namespace).withName(deployment).get();
    var st = d.getStatus();
    int want = d.getSpec().getReplicas();
    List<Pod> pods = pods(namespace, release);
    return st != null && st.getObservedGeneration() != null && st.getObservedGeneration() >= d.getMetadata().getGeneration()
        && Integer.valueOf(want).equals(st.getUpdatedReplicas()) && Integer.valueOf(want).equals(st.getReplicas())
        && Integer.valueOf(want).equals(st.getAvailableReplicas())
        && pods.size() == want && pods.stream().noneMatch(p -> p.getMetadata().getDeletionTimestamp() != null);
  }

  /**
   * What the node could not do since the last call, each with its cause (podman's or the runtime's own output): a pod
   * it could not start, a container that exited before its pod was deleted. Empty where the cluster cannot tell.
   */
  default List<String> takeNodeProblems() {
    return List.of();
  }

  /**
   * Polls {@code condition} every 100 ms until it holds; fails at once when the node reports a problem (a pod that will
   * never come is not waited for), and past {@code timeout} with the cluster's state.
   */
  default void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      List<String> problems = takeNodeProblems();
      if (!problems.isEmpty()) {
        throw new AssertionError("the node failed while waiting for " + what + ":\n" + String.join("\n", problems) + "\n" + describe());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what + "\n" + describe());
      }
      Thread.sleep(100);
    }
  }

  @Override
  void close() throws Exception;
}
