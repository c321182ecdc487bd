package dev.graceful.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import dev.graceful.e2e.node.PodTimeline;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Helm chart on a real API server and controller manager, pods run by the node agent with the chart's
 * ServiceAccount (so its RBAC is proven sufficient), and the Kubernetes-aware drain measured.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubernetesIT {

  private static final Path CHART = E2eEnvironment.REPO.resolve("helm/graceful-runtime");
  private static final Map<String, String> FIGURES = new ConcurrentHashMap<>();
  private static Cluster cluster;

  @BeforeAll
  static void cluster() throws Exception {
    E2eEnvironment.assumeControlPlane();
    cluster = Cluster.start();
  }

  @AfterAll
  static void close() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    FIGURES.forEach((k, v) -> System.out.println("[figures] " + k + ": " + v));
  }

  private static void install(String release, boolean gate) {
    new Helm(CHART).install().withName(release).withNamespace("default").withKubeConfig(cluster.controlPlane.adminKubeconfig)
        .set("image.repository", "localhost/graceful-runtime").set("image.tag", "e2e").set("image.pullPolicy", "Never")
        .set("replicaCount", 2).set("readinessGate.enabled", gate)
        .call();
  }

  private static List<Pod> pods(String release) {
    return cluster.admin.pods().inNamespace("default").withLabel("app.kubernetes.io/instance", release).list().getItems();
  }

  private static boolean ready(Pod pod) {
    return pod.getStatus() != null && pod.getStatus().getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what + "\n" + cluster.describe());
      }
      Thread.sleep(100);
    }
  }

  /** This pod's endpoint conditions in the release's slices, or empty when no slice lists it. */
  private static Optional<Endpoint> endpoint(String release, Pod pod) {
    return cluster.admin.discovery().v1().endpointSlices().inNamespace("default")
        .withLabel("kubernetes.io/service-name", release + "-graceful-runtime").list().getItems().stream()
        .flatMap((EndpointSlice s) -> s.getEndpoints() == null ? java.util.stream.Stream.<Endpoint>empty() : s.getEndpoints().stream())
        .filter(e -> e.getTargetRef() != null && pod.getMetadata().getUid().equals(e.getTargetRef().getUid()))
        .findFirst();
  }

  private static JsonObject summary(PodTimeline t) {
    String line = t.logs().lines().filter(l -> l.contains("\"event\":\"shutdown-complete\"")).findFirst()
        .orElseThrow(() -> new AssertionError("no shutdown summary in the log of " + t.pod() + ":\n" + t.logs()));
    return new JsonObject(line.substring(line.indexOf('{')));
  }

  /** Deletes one pod and measures: deletion to serving=false, and the runtime's own report of its drain. */
  private static Duration deleteAndMeasure(String release, String label) throws InterruptedException {
    Pod victim = pods(release).get(0);
    await(() -> endpoint(release, victim).map(e -> Boolean.TRUE.equals(e.getConditions().getServing())).orElse(false),
        Duration.ofSeconds(30), "the victim to be serving");
    Instant deleted = Instant.now();
    cluster.admin.pods().inNamespace("default").withName(victim.getMetadata().getName()).delete();
    await(() -> endpoint(release, victim).map(e -> Boolean.FALSE.equals(e.getConditions().getServing())).orElse(true),
        Duration.ofSeconds(30), "serving=false");
    Duration toNotServing = Duration.between(deleted, Instant.now());
    await(() -> cluster.agent.terminated().stream().anyMatch(t -> t.pod().endsWith("/" + victim.getMetadata().getName())),
        Duration.ofSeconds(60), "the pod to be gone");
    PodTimeline t = cluster.agent.terminated().stream()
        .filter(x -> x.pod().endsWith("/" + victim.getMetadata().getName())).findFirst().orElseThrow();
    JsonObject summary = summary(t);
    JsonObject wait = summary.getJsonObject("phases").getJsonObject("pre-drain-wait");
    assertEquals(0, t.exitCode(), t.logs());
    assertFalse(t.killed(), "the runtime must exit before SIGKILL");
    assertEquals("drained", wait.getString("outcome"), summary.encode());
    assertFalse(t.logs().contains("403"), "the chart's RBAC must suffice:\n" + t.logs());
    FIGURES.put(label + " deletion to serving=false", toNotServing.toMillis() + " ms");
    FIGURES.put(label + " endpoint wait (until the slices show the pod out)", wait.getLong("endpointsDrainedMs") + " ms");
    FIGURES.put(label + " pre-drain wait incl. propagation delay", wait.getLong("waitedMs") + " ms");
    FIGURES.put(label + " SIGTERM to exit", Duration.between(t.sigterm(), t.exited()).toMillis() + " ms");
    return toNotServing;
  }

  @Test
  @Order(1)
  void chartInstallsAndEveryPodBecomesReady() throws InterruptedException {
    install("plain", false);
    await(() -> pods("plain").size() == 2 && pods("plain").stream().allMatch(KubernetesIT::ready),
        Duration.ofSeconds(120), "2 ready pods");
    for (Pod pod : pods("plain")) {
      String logs = cluster.agent.logs("default", pod.getMetadata().getName());
      assertTrue(logs.contains("kubernetes: pod default/" + pod.getMetadata().getName()), logs);
      assertTrue(logs.contains("endpoint wait on Services [plain-graceful-runtime]"), logs);
    }
  }

  @Test
  @Order(2)
  void deletedPodWaitsForTheEndpointsThenDrainsAndRecordsEvents() throws InterruptedException {
    Duration withoutGate = deleteAndMeasure("plain", "without readiness gate:");
    List<String> reasons = cluster.admin.v1().events().inNamespace("default").list().getItems().stream()
        .map(Event::getReason).toList();
    assertTrue(reasons.containsAll(List.of("ShutdownStarted", "EndpointsDrained", "ShutdownCompleted")), reasons.toString());
    assertTrue(withoutGate.toMillis() < 10_000, "serving=false took " + withoutGate.toMillis() + " ms");
  }

  @Test
  @Order(3)
  void readinessGateTakesThePodOutSooner() throws InterruptedException {
    install("gated", true);
    await(() -> pods("gated").size() == 2 && pods("gated").stream().allMatch(KubernetesIT::ready),
        Duration.ofSeconds(120), "2 ready gated pods");
    Duration withGate = deleteAndMeasure("gated", "with readiness gate:");
    long without = Long.parseLong(FIGURES.get("without readiness gate: deletion to serving=false").replace(" ms", ""));
    FIGURES.put("readiness gate: serving=false sooner by", (without - withGate.toMillis()) + " ms");
    // Without the gate it takes the readiness probe's period x failure threshold (1 s x 2); with it, one API round trip.
    assertTrue(withGate.toMillis() < without, "the gate must take the pod out sooner: " + withGate.toMillis() + " ms vs " + without + " ms");
  }
}
