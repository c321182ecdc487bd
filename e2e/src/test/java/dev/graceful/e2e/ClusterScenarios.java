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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.TestInstance;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import dev.graceful.e2e.ingress.HaproxyIngress;
import dev.graceful.e2e.load.Load;
import dev.graceful.e2e.load.MixedLoad;
import dev.graceful.e2e.load.ToolLoad;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;

/**
 * The scenarios, written once against {@link TestCluster}: the Helm chart installed, pods run with the chart's
 * ServiceAccount (so its RBAC is proven sufficient), the Kubernetes-aware drain measured, rollouts under load, and
 * the faults. Each subclass names the cluster they run on.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ClusterScenarios {

  private static final Path CHART = E2eEnvironment.REPO.resolve("helm/graceful-runtime");
  private final Map<String, String> figures = new ConcurrentHashMap<>();
  private TestCluster cluster;
  /** SIGTERM to serving=false without the gate, for the gate's scenario to compare with. */
  private Duration withoutGateToNotServing;
  TestCluster.ImageRef runtimeImage;

  /** Starts the cluster, or aborts the class (one line saying why) when it cannot run here. */
  abstract TestCluster startCluster() throws Exception;

  @BeforeAll
  void cluster() throws Exception {
    cluster = startCluster();
    runtimeImage = cluster.image(TestCluster.Image.RUNTIME);
  }

  @AfterAll
  void close() throws Exception {
    if (cluster != null) {
      try {
        figures.putAll(cluster.nodeFigures());
      } finally {
        cluster.close();
      }
    }
    figures.forEach((k, v) -> System.out.println("[figures] " + k + ": " + v));
  }

  /** The cluster the scenarios run on, for a subclass's own scenarios. */
  TestCluster testCluster() {
    return cluster;
  }

  /** Records a figure printed at the end. */
  void figure(String name, String value) {
    figures.put(name, value);
  }

  private void install(String release, boolean gate) {
    install(release, gate, 2);
  }

  private void install(String release, boolean gate, int replicas) {
    install(release, runtimeImage, gate, replicas);
  }

  void install(String release, TestCluster.ImageRef image, boolean gate, int replicas) {
    var install = new Helm(CHART).install().withName(release).withNamespace("default").withKubeConfig(cluster.kubeconfig())
        .set("image.repository", image.repository()).set("image.tag", image.tag()).set("image.pullPolicy", "Never")
        .set("replicaCount", replicas).set("readinessGate.enabled", gate);
    cluster.chartValues().forEach(install::set);
    install.call();
  }

  /** Removes a release whose scenario is over, so its pods do not take the small machine's CPU from the next ones. */
  void uninstall(String release) {
    Helm.uninstall(release).withNamespace("default").withKubeConfig(cluster.kubeconfig()).call();
  }

  List<Pod> pods(String release) {
    return cluster.pods("default", release);
  }

  static boolean ready(Pod pod) {
    return pod.getStatus() != null && pod.getStatus().getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
    cluster.await(condition, timeout, what);
  }

  /** This pod's endpoint conditions in the release's slices, or empty when no slice lists it. */
  private Optional<Endpoint> endpoint(String release, Pod pod) {
    return endpointOf(release + "-graceful-runtime", pod);
  }

  /** This pod's endpoint conditions in the slices of {@code service}, or empty when no slice lists it. */
  private Optional<Endpoint> endpointOf(String service, Pod pod) {
    return cluster.admin().discovery().v1().endpointSlices().inNamespace("default")
        .withLabel("kubernetes.io/service-name", service).list().getItems().stream()
        .flatMap((EndpointSlice s) -> s.getEndpoints() == null ? java.util.stream.Stream.<Endpoint>empty() : s.getEndpoints().stream())
        .filter(e -> e.getTargetRef() != null && pod.getMetadata().getUid().equals(e.getTargetRef().getUid()))
        .findFirst();
  }

  static JsonObject summary(PodTimeline t) {
    String line = t.logs().lines().filter(l -> l.contains("\"event\":\"shutdown-complete\"")).findFirst()
        .orElseThrow(() -> new AssertionError("no shutdown summary in the log of " + t.pod() + ":\n" + t.logs()));
    return new JsonObject(line.substring(line.indexOf('{')));
  }

  /** Deletes one pod and measures: deletion to serving=false, and the runtime's own report of its drain. */
  private Duration deleteAndMeasure(String release, String label) throws InterruptedException {
    Pod victim = pods(release).get(0);
    await(() -> endpoint(release, victim).map(e -> Boolean.TRUE.equals(e.getConditions().getServing())).orElse(false),
        Duration.ofSeconds(30), "the victim to be serving");
    Instant deleted = Instant.now();
    cluster.admin().pods().inNamespace("default").withName(victim.getMetadata().getName()).delete();
    await(() -> endpoint(release, victim).map(e -> Boolean.FALSE.equals(e.getConditions().getServing())).orElse(true),
        Duration.ofSeconds(30), "serving=false");
    Instant notServing = Instant.now();
    Duration toNotServing = Duration.between(deleted, notServing);
    await(() -> cluster.terminated().stream().anyMatch(t -> t.pod().endsWith("/" + victim.getMetadata().getName())),
        Duration.ofSeconds(60), "the pod to be gone");
    PodTimeline t = cluster.terminated().stream()
        .filter(x -> x.pod().endsWith("/" + victim.getMetadata().getName())).findFirst().orElseThrow();
    JsonObject summary = summary(t);
    JsonObject wait = summary.getJsonObject("phases").getJsonObject("pre-drain-wait");
    assertEquals(0, t.exitCode(), t.logs());
    assertFalse(t.killed(), "the runtime must exit before SIGKILL");
    assertEquals("drained", wait.getString("outcome"), summary.encode());
    // "Forbidden", not "403": budgets in milliseconds ("29403 ms of budget left") contain 403 too.
    assertFalse(t.logs().toLowerCase(java.util.Locale.ROOT).contains("forbidden"), "the chart's RBAC must suffice:\n" + t.logs());
    figures.put(label + " deletion to serving=false", toNotServing.toMillis() + " ms");
    figures.put(label + " endpoint wait (until the slices show the pod out)", wait.getLong("endpointsDrainedMs") + " ms");
    figures.put(label + " pre-drain wait incl. propagation delay", wait.getLong("waitedMs") + " ms");
    figures.put(label + " SIGTERM to exit", Duration.between(t.sigterm(), t.exited()).toMillis() + " ms");
    if (cluster instanceof AgentCluster) {
      // The node agent samples the container's process at Ready and at the deletion (the benchmark's memory figures).
      assertTrue(t.rssAtReadyKiB() != null && t.rssAtReadyKiB() > 10_000, "no resident memory sampled at Ready: " + t.rssAtReadyKiB());
      assertTrue(t.rssAtDeletionKiB() != null && t.rssAtDeletionKiB() < 512 * 1024,
          "no resident memory sampled at the deletion, or above the 512Mi limit: " + t.rssAtDeletionKiB());
      figures.put(label + " resident memory at Ready; at the deletion",
          t.rssAtReadyKiB() / 1024 + " MiB; " + t.rssAtDeletionKiB() / 1024 + " MiB");
    }
    // From SIGTERM, not from the deletion: a real kubelet may take a second or two to send the signal, which is the
    // same with or without the gate and would only add noise to the comparison.
    Duration sigtermToNotServing = Duration.between(t.sigterm(), notServing);
    figures.put(label + " SIGTERM to serving=false", sigtermToNotServing.toMillis() + " ms");
    return sigtermToNotServing;
  }

  @Test
  @Order(1)
  void chartInstallsAndEveryPodBecomesReady() throws Exception {
    install("plain", false);
    await(() -> pods("plain").size() == 2 && pods("plain").stream().allMatch(ClusterScenarios::ready),
        Duration.ofSeconds(120), "2 ready pods");
    for (Pod pod : pods("plain")) {
      // Readiness does not wait for the pod read in the chart's pods (no mesh annotation): it ends soon after.
      String name = pod.getMetadata().getName();
      await(() -> cluster.logs("default", name).contains("kubernetes: pod default/" + name), Duration.ofSeconds(30),
          "the pod read of " + name);
      String logs = cluster.logs("default", name);
      assertTrue(logs.contains("endpoint wait on Services [plain-graceful-runtime]"), logs);
    }
    heapFollowsTheChartsMemoryLimit(pods("plain").get(0));
    if (cluster.runsHelmTests()) {
      helmTestPassesAndCanFail("plain");
    }
  }

  /**
   * The container runs under the chart's memory limit (512Mi), as the kubelet sets it on its cgroup, so the JVM sizes
   * its heap from it (the image's MaxRAMPercentage=75): not from the whole machine, which a node that forgot the limit
   * would show, and which would make every memory figure measured on that node meaningless.
   */
  private void heapFollowsTheChartsMemoryLimit(Pod pod) throws Exception {
    InetSocketAddress management = cluster.reach(pod, 9000);
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String metrics = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
            "http://" + management.getHostString() + ":" + management.getPort() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    double heapMax = metrics.lines().filter(l -> l.startsWith("jvm_memory_max_bytes{") && l.contains("area=\"heap\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).filter(v -> v > 0).sum();
    figures.put("heap max in a pod with the chart's 512Mi limit", Math.round(heapMax / (1 << 20)) + " MiB");
    assertTrue(heapMax > 0, "no heap maximum among the JVM meters:\n" + metrics);
    // The heap pools' maxima add up to a little more than -Xmx (75%): 80% leaves room for that, not for a missing limit.
    assertTrue(heapMax <= 0.80 * 512 * (1 << 20), "the heap pools may grow to " + Math.round(heapMax / (1 << 20))
        + " MiB, more than 80% of the 512Mi limit: the container runs without the chart's memory limit (a rootless"
        + " podman on cgroup v1 ignores --memory)");
  }

  /**
   * {@code helm test} as a user runs it: the chart's check pod, from inside the cluster, through the Services. Then the
   * same release asked for a status its route does not give must fail, naming what it saw.
   */
  private void helmTestPassesAndCanFail(String release) throws InterruptedException {
    long started = System.nanoTime();
    Helm.test(release).withNamespace("default").withKubeConfig(cluster.kubeconfig()).withTimeout(180).call();
    figures.put("helm test: passed in", (System.nanoTime() - started) / 1_000_000 + " ms");

    new Helm(CHART).upgrade().withName(release).withNamespace("default").withKubeConfig(cluster.kubeconfig())
        .reuseValues().set("tests.httpStatus", 204).call();
    Exception failed = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> Helm.test(release).withNamespace("default").withKubeConfig(cluster.kubeconfig()).withTimeout(180).call());
    String testPod = release + "-graceful-runtime-test";
    String log = cluster.logs("default", testPod);
    assertTrue(log.contains("answered 200, expected 204") && log.contains("release check failed: HTTP GET"),
        failed.getMessage() + "\n" + log);
    assertTrue(log.contains("ok      gRPC health") && log.contains("/health/ready: answered 200"), log);
    figures.put("helm test with a wrong expected status: failed with", log.lines()
        .filter(l -> l.startsWith("FAILED")).findFirst().orElse("?"));
    // The failed test leaves its pod and Service for inspection; later scenarios count the release's pods.
    cluster.admin().pods().inNamespace("default").withName(testPod).delete();
    cluster.admin().services().inNamespace("default").withName(release + "-graceful-runtime-probes").delete();
    await(() -> pods(release).stream().noneMatch(p -> p.getMetadata().getName().equals(testPod)), Duration.ofSeconds(60),
        "the failed test pod gone");
  }

  @Test
  @Order(2)
  void deletedPodWaitsForTheEndpointsThenDrainsAndRecordsEvents() throws InterruptedException {
    Duration withoutGate = deleteAndMeasure("plain", "without readiness gate:");
    withoutGateToNotServing = withoutGate;
    List<String> reasons = cluster.admin().v1().events().inNamespace("default").list().getItems().stream()
        .map(Event::getReason).toList();
    assertTrue(reasons.containsAll(List.of("ShutdownStarted", "EndpointsDrained", "ShutdownCompleted")), reasons.toString());
    assertTrue(withoutGate.toMillis() < 10_000, "serving=false took " + withoutGate.toMillis() + " ms");
  }

  @Test
  @Order(3)
  void aServiceCreatedAfterThePodsStartedHoldsTheirDrainToo() throws InterruptedException {
    // A second Service over the same pods, created while they run (as a blue-green switch or a new Service does):
    // the pods learned their Services at start, so only the re-read at SIGTERM knows this one.
    Pod victim = pods("plain").stream().filter(ClusterScenarios::ready).findFirst().orElseThrow();
    io.fabric8.kubernetes.api.model.Service chartService = cluster.admin().services().inNamespace("default")
        .withName("plain-graceful-runtime").get();
    cluster.admin().services().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
        .withNewMetadata().withName("plain-late").endMetadata()
        .withNewSpec().withSelector(chartService.getSpec().getSelector())
        .addNewPort().withName("http").withPort(8080).withNewTargetPort("http").endPort().endSpec()
        .build()).create();
    await(() -> endpointOf("plain-late", victim).map(e -> Boolean.TRUE.equals(e.getConditions().getServing())).orElse(false),
        Duration.ofSeconds(30), "the late Service's slice to list the pod serving");
    cluster.admin().pods().inNamespace("default").withName(victim.getMetadata().getName()).delete();
    await(() -> cluster.terminated().stream().anyMatch(t -> t.pod().endsWith("/" + victim.getMetadata().getName())),
        Duration.ofSeconds(60), "the pod to be gone");
    PodTimeline t = cluster.terminated().stream()
        .filter(x -> x.pod().endsWith("/" + victim.getMetadata().getName())).findFirst().orElseThrow();
    JsonObject summary = summary(t);
    JsonObject wait = summary.getJsonObject("phases").getJsonObject("pre-drain-wait");
    cluster.admin().services().inNamespace("default").withName("plain-late").delete();
    assertEquals(0, t.exitCode(), t.logs());
    assertEquals("drained", wait.getString("outcome"), summary.encode());
    assertTrue(wait.getJsonArray("services").contains("plain-late"), "the wait must cover the late Service: " + summary.encode());
    assertTrue(wait.getJsonArray("services").contains("plain-graceful-runtime"), summary.encode());
  }

  @Test
  @Order(4)
  void readinessGateTakesThePodOutSooner() throws InterruptedException {
    install("gated", true);
    await(() -> pods("gated").size() == 2 && pods("gated").stream().allMatch(ClusterScenarios::ready),
        Duration.ofSeconds(120), "2 ready gated pods");
    io.fabric8.kubernetes.api.model.Probe probe = pods("gated").get(0).getSpec().getContainers().get(0).getReadinessProbe();
    Duration withGate = deleteAndMeasure("gated", "with readiness gate:");
    long without = withoutGateToNotServing.toMillis();
    figures.put("readiness gate: serving=false sooner after SIGTERM by", (without - withGate.toMillis()) + " ms");
    if (cluster.readinessGateActsWhileTerminating()) {
      // Without the gate it takes the readiness probe's period x failure threshold (1 s x 2); with it, one API round trip.
      assertTrue(withGate.toMillis() < without, "the gate must take the pod out sooner: " + withGate.toMillis() + " ms vs " + without + " ms");
    } else {
      // A real kubelet ignores the gate while it stops the container: the probe takes the pod out, gate or not,
      // within its period x failure threshold plus a status write, the endpoint controller and this watch.
      long bound = probe.getPeriodSeconds() * probe.getFailureThreshold() * 1000L + 2000;
      assertTrue(withGate.toMillis() < bound && without < bound, "the readiness probe must take the pod out within "
          + bound + " ms of SIGTERM: " + withGate.toMillis() + " ms with the gate, " + without + " ms without");
    }
  }

  @Test
  @Order(5)
  void rollingRestartsUnderLoadFailNoRequest() throws Exception {
    rollOutWithoutFailure("rolled", false, "defaults ");
  }

  @Test
  @Order(6)
  void rollingRestartsWithTheReadinessGateFailNoRequestEither() throws Exception {
    rollOutWithoutFailure("rolled-gate", true, "gate ");
  }

  private void rollOutWithoutFailure(String release, boolean gate, String label) throws Exception {
    install(release, gate, 3);
    Rollouts result = rolloutsUnderLoad(release, label);
    uninstall(release);
    assertNoCallFailed(result);
  }

  @Test
  @Order(7)
  void anUnchangedVertxAppOnTheBaseImageFailsNoRequestEither() throws Exception {
    // The naive server's routes as a plain verticle with its own servers, started through GRACEFUL_VERTICLES: the
    // runtime drains servers it did not create.
    install("unchanged", cluster.image(TestCluster.Image.UNCHANGED_APP), true, 3);
    Rollouts result = rolloutsUnderLoad("unchanged", "unchanged app ");
    uninstall("unchanged");
    assertNoCallFailed(result);
    for (PodTimeline t : cluster.terminated()) {
      if (t.pod().contains("/unchanged-")) {
        JsonObject summary = summary(t);
        assertEquals("clean", summary.getString("outcome"), summary.encode());
        List<String> servers = summary.getJsonObject("phases").getJsonObject("drain").getJsonArray("servers").stream()
            .map(o -> ((JsonObject) o).getString("server")).toList();
        assertTrue(servers.stream().anyMatch(s -> s.endsWith(":8080")) && servers.stream().anyMatch(s -> s.endsWith(":9090")),
            "the report lists the application's own servers: " + servers);
      }
    }
  }

  @Test
  @Order(8)
  void theProofCanFailANaiveServerLosesRequestsUnderTheSameRollout() throws Exception {
    install("naive", cluster.image(TestCluster.Image.NAIVE), false, 3);
    Rollouts result = rolloutsUnderLoad("naive", "naive ");
    long failed = result.loads().stream().mapToLong(Load::failed).sum() + result.tools().stream().mapToLong(ToolLoad::failed).sum();
    figures.put("naive vertx.close(): failed calls in total", String.valueOf(failed));
    assertTrue(failed > 0, "the naive server lost nothing: the rollout test could not tell the difference " + result);
  }

  @Test
  @Order(9)
  void shortGracePeriodStillFinishesTheRequestInFlight() throws Exception {
    install("short", true, 1);
    await(() -> pods("short").size() == 1 && ready(pods("short").get(0)), Duration.ofSeconds(120), "1 ready pod");
    Pod pod = pods("short").get(0);
    String name = pod.getMetadata().getName();
    InetSocketAddress app = cluster.reach(pod, 8080);
    InetSocketAddress management = cluster.reach(pod, 9000);
    Vertx vertx = Vertx.vertx();
    try {
      HttpClient client = vertx.createHttpClient();
      Future<String> slow = client.request(HttpMethod.GET, app.getPort(), app.getHostString(), "/delay?ms=3000")
          .compose(req -> req.send()).compose(resp -> resp.body().map(b -> resp.statusCode() + " " + b.toString().trim()));
      await(() -> metrics(client, management).contains("graceful_requests_in_flight{kind=\"http\",server=\"http\"} 1.0"),
          Duration.ofSeconds(10), "the request to be in flight");
      Instant deleted = Instant.now();
      cluster.admin().pods().inNamespace("default").withName(name).withGracePeriod(5).delete();
      assertEquals("200 delayed 3000 ms", slow.toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS));
      await(() -> cluster.admin().pods().inNamespace("default").withName(name).get() == null, Duration.ofSeconds(10), "the pod to go");
      PodTimeline t = cluster.terminated().stream().filter(x -> x.pod().endsWith("/" + name)).findFirst().orElseThrow();
      figures.put("--grace-period=5 with a 3 s request: pod gone after", Duration.between(deleted, Instant.now()).toMillis() + " ms");
      // The runtime's part ends when its container exits; removing the pod object afterwards is the node's and the
      // API server's work, and on a loaded machine can take a few hundred milliseconds more.
      Duration exited = Duration.between(deleted, t.exited());
      figures.put("--grace-period=5 with a 3 s request: container exited after", exited.toMillis() + " ms");
      figures.put("--grace-period=5 with a 3 s request: SIGTERM after", Duration.between(deleted, t.sigterm()).toMillis() + " ms");
      // The node's SIGKILL is due 5 s after its SIGTERM, as the kubelet times it.
      Duration afterSigterm = Duration.between(t.sigterm(), t.exited());
      assertTrue(afterSigterm.toMillis() <= 5000, "the container outlived its 5 s grace period: exited "
          + afterSigterm.toMillis() + " ms after SIGTERM");
      assertFalse(t.killed(), "SIGKILL was needed:\n" + t.logs());
      assertEquals(0, t.exitCode(), t.logs());
      JsonObject deadline = summary(t).getJsonObject("phases").getJsonObject("deadline");
      assertEquals("deletionGracePeriodSeconds", deadline.getString("source"), deadline.encode());
      assertEquals("signal", deadline.getString("killTimer"), "the chart's pod has no preStop hook: " + deadline.encode());
      List<String> reasons = cluster.admin().v1().events().inNamespace("default").list().getItems().stream()
          .filter(e -> name.equals(e.getInvolvedObject().getName())).map(Event::getReason).toList();
      assertTrue(reasons.containsAll(List.of("ShutdownStarted", "ShutdownCompleted")), reasons.toString());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  private static String metrics(HttpClient client, InetSocketAddress management) {
    try {
      return client.request(HttpMethod.GET, management.getPort(), management.getHostString(), "/metrics").compose(req -> req.send()).compose(r -> r.body())
          .toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS).toString();
    } catch (Exception e) {
      return "";
    }
  }

  /** Every load served calls, and none failed. */
  private static void assertNoCallFailed(Rollouts result) {
    for (Load load : result.loads()) {
      assertTrue(load.ok() > 0, load.toString());
      assertEquals(0, load.failed(), load + "\n" + String.join("\n", load.timeline()));
    }
    for (ToolLoad tool : result.tools()) {
      assertTrue(tool.ok() > 0, tool.toString());
      assertEquals(0, tool.failed(), tool.toString());
    }
  }

  /** The loads of one rollout scenario, stopped. */
  private record Rollouts(List<Load> loads, List<ToolLoad> tools) {
  }

  /** How long wrk and h2load run: long enough to cover both rollouts of 3 pods here. */
  private static final Duration TOOL_DURATION = Duration.ofSeconds(70);
  /** How long after an EndpointSlice change the L7 hop follows it: less than the runtime's 2 s propagation delay. */
  static final Duration INGRESS_DELAY = Duration.ofSeconds(1);

  /**
   * Runs the loads while the Deployment is restarted twice: {@link MixedLoad} over HTTP/1.1, HTTP/2 and gRPC (unary
   * and server streams) through the service proxy and again through the L7 hop where the cluster has one, until the
   * rollouts end; wrk, h2load and ghz through the service proxy for a fixed window covering them.
   */
  private Rollouts rolloutsUnderLoad(String release, String label) throws Exception {
    String deployment = release + "-graceful-runtime";
    await(() -> pods(release).size() == 3 && pods(release).stream().allMatch(ClusterScenarios::ready),
        Duration.ofSeconds(120), "3 ready pods");
    Vertx vertx = Vertx.vertx();
    List<ToolLoad> started = List.of();
    Optional<HaproxyIngress> ingress = Optional.empty();
    try (TestCluster.ServiceAccess service = cluster.openService("default", deployment, List.of("http", "grpc"))) {
      Map<String, Integer> ports = service.ports();
      await(() -> service.routableEndpoints() == 3, Duration.ofSeconds(30), "the service to route to 3 endpoints");
      // Installs HAProxy too.
      String ghz = E2eEnvironment.script("e2e/load/ensure-tools.sh").lines().filter(l -> l.startsWith("ghz-path="))
          .map(l -> l.substring("ghz-path=".length())).findFirst().orElseThrow(() -> new IllegalStateException("ensure-tools.sh named no ghz"));
      ingress = cluster.openIngress("default", deployment, INGRESS_DELAY,
          java.nio.file.Files.createTempDirectory("graceful-ingress-" + release + "-"));
      if (ingress.isPresent()) {
        HaproxyIngress hop = ingress.get();
        await(() -> hop.routableEndpoints() == 3, Duration.ofSeconds(30), "the L7 hop to route to 3 endpoints");
      } else {
        figures.put(label + "L7 hop", "not on this cluster (the host cannot reach its pods' addresses)");
      }
      String host = service.host();
      List<ToolLoad> tools = List.of(ToolLoad.wrk(host, ports.get("http"), TOOL_DURATION),
          ToolLoad.h2load(host, ports.get("http"), TOOL_DURATION), ToolLoad.ghz(ghz, host, ports.get("grpc"), TOOL_DURATION));
      started = tools;
      List<Load> loads = new java.util.ArrayList<>();
      for (MixedLoad.Protocol protocol : MixedLoad.Protocol.values()) {
        loads.addAll(MixedLoad.start(vertx, protocol, "", host, ports.get("http"), ports.get("grpc"), 6, 10));
        if (ingress.isPresent()) {
          Map<String, Integer> hop = ingress.get().ports();
          loads.addAll(MixedLoad.start(vertx, protocol, "L7 hop: ", "127.0.0.1", hop.get("http"), hop.get("grpc"), 3, 10));
        }
      }
      Instant start = Instant.now();
      for (int round = 1; round <= 2; round++) {
        Instant began = Instant.now();
        cluster.admin().apps().deployments().inNamespace("default").withName(deployment).rolling().restart();
        awaitRolledOut(deployment, release);
        figures.put(label + "rollout " + round + " duration", Duration.between(began, Instant.now()).toMillis() + " ms");
      }
      Duration loadTime = Duration.between(start, Instant.now());
      for (Load load : loads) {
        load.stop();
        figures.put(label + "load " + load.name(), load.toString());
      }
      figures.put(label + "load duration", loadTime.toMillis() + " ms");
      for (ToolLoad tool : tools) {
        tool.await();
        figures.put(label + "load " + tool.name(), tool.toString());
      }
      ingress.ifPresent(hop -> {
        figures.put(label + "L7 hop changes applied", String.valueOf(hop.changes().size()));
        String errors = hop.log().lines().filter(l -> !l.contains("UP/READY") && !l.contains("maintenance")).limit(5)
            .reduce((a, b) -> a + " | " + b).orElse("none");
        figures.put(label + "L7 hop error lines (first 5)", errors);
        assertEquals(List.of(), hop.applyFailures(), "the L7 hop could not follow the EndpointSlices");
      });
      cluster.terminated().stream().filter(t -> t.pod().contains("/" + release + "-")).forEach(t -> figures.put(
          label + "pod " + t.pod() + " SIGTERM to exit", Duration.between(t.sigterm(), t.exited()).toMillis() + " ms, exit "
              + t.exitCode() + inFlightAtDrain(t)));
      return new Rollouts(loads, tools);
    } finally {
      started.forEach(ToolLoad::kill); // a no-op for tools that finished; ends them if the scenario failed first
      ingress.ifPresent(HaproxyIngress::close);
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  /** ", N in flight at drain start" from the runtime's summary, or nothing for a server that writes none. */
  private static String inFlightAtDrain(PodTimeline t) {
    if (!t.logs().contains("\"event\":\"shutdown-complete\"")) {
      return "";
    }
    int inFlight = summary(t).getJsonObject("phases").getJsonObject("drain").getJsonArray("servers").stream()
        .mapToInt(o -> ((JsonObject) o).getInteger("inFlightAtStart", 0)).sum();
    return ", " + inFlight + " in flight at drain start";
  }

  private void awaitRolledOut(String deployment, String release) throws InterruptedException {
    await(() -> cluster.rolledOut("default", deployment, release), Duration.ofMinutes(3), "the rollout of " + deployment);
  }

  @Test
  @Order(10)
  void withoutItsRoleThePodStillDrainsAndExitsByItsDeadline() throws Exception {
    install("norole", false, 1);
    await(() -> pods("norole").size() == 1 && ready(pods("norole").get(0)), Duration.ofSeconds(120), "1 ready pod");
    // The role goes once the pod has read itself (readiness no longer waits for that read): what is lost is the
    // endpoint wait at shutdown, not the start-time facts.
    String name = pods("norole").get(0).getMetadata().getName();
    await(() -> cluster.logs("default", name).contains("kubernetes: pod default/" + name), Duration.ofSeconds(30),
        "the pod read of " + name);
    cluster.admin().rbac().roleBindings().inNamespace("default").withName("norole-graceful-runtime").delete();
    await(() -> cluster.admin().rbac().roleBindings().inNamespace("default").withName("norole-graceful-runtime").get() == null,
        Duration.ofSeconds(10), "the RoleBinding to go");
    PodTimeline t = deleteAndAwaitGone("norole");
    assertEquals(0, t.exitCode(), t.logs());
    assertFalse(t.killed(), t.logs());
    assertTrue(t.logs().contains("403 Forbidden"), "one warning must name the 403:\n" + t.logs());
    JsonObject wait = summary(t).getJsonObject("phases").getJsonObject("pre-drain-wait");
    assertEquals("fallback", wait.getString("outcome"), wait.encode());
    figures.put("Role removed: SIGTERM to exit (fixed-delay fallback)", Duration.between(t.sigterm(), t.exited()).toMillis() + " ms");
  }

  @Test
  @Order(11)
  void withTheApiServerStoppedThePodStillDrainsAndExitsByItsDeadline() throws Exception {
    TestCluster.ApiServerFaults faults = cluster.apiServerFaults().orElse(null);
    Assumptions.assumeTrue(faults != null, cluster.name() + " cannot stop its API server apart from its kubelet");
    install("noapi", false, 1);
    await(() -> pods("noapi").size() == 1 && ready(pods("noapi").get(0)), Duration.ofSeconds(120), "1 ready pod");
    String name = pods("noapi").get(0).getMetadata().getName();
    await(() -> cluster.logs("default", name).contains("kubernetes: pod default/" + name), Duration.ofSeconds(30),
        "the pod read of " + name);
    // The API server goes away after the deletion and before the SIGTERM, so the runtime's read of its pod at
    // SIGTERM must fail (stopping it after the signal races with that read).
    faults.stopApiServerBeforeSigterm(name);
    cluster.admin().pods().inNamespace("default").withName(name).delete();
    try {
      await(() -> cluster.signalled().contains(name), Duration.ofSeconds(20), "SIGTERM");
      await(() -> cluster.terminated().stream().anyMatch(x -> x.pod().endsWith("/" + name)), Duration.ofSeconds(40), "the exit");
    } finally {
      faults.restoreApiServer();
    }
    PodTimeline t = cluster.terminated().stream().filter(x -> x.pod().endsWith("/" + name)).findFirst().orElseThrow();
    assertEquals(0, t.exitCode(), t.logs());
    assertFalse(t.killed(), t.logs());
    assertTrue(Duration.between(t.sigterm(), t.exited()).toMillis() < 20_000, "exited after its deadline");
    JsonObject summary = summary(t);
    assertEquals("terminationGracePeriodSeconds", summary.getJsonObject("phases").getJsonObject("deadline").getString("source"));
    assertEquals("fallback", summary.getJsonObject("phases").getJsonObject("pre-drain-wait").getString("outcome"));
    figures.put("API server stopped: SIGTERM to exit (fixed-delay fallback)", Duration.between(t.sigterm(), t.exited()).toMillis() + " ms");
  }

  private PodTimeline deleteAndAwaitGone(String release) throws InterruptedException {
    String name = pods(release).get(0).getMetadata().getName();
    cluster.admin().pods().inNamespace("default").withName(name).delete();
    await(() -> cluster.terminated().stream().anyMatch(x -> x.pod().endsWith("/" + name)), Duration.ofSeconds(40), "the pod to go");
    return cluster.terminated().stream().filter(x -> x.pod().endsWith("/" + name)).findFirst().orElseThrow();
  }
}
