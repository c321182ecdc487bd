package dev.graceful.runtime.kubernetes;

import static dev.graceful.runtime.kubernetes.MockCluster.IDENTITY;
import static dev.graceful.runtime.kubernetes.MockCluster.NAMESPACE;
import static dev.graceful.runtime.kubernetes.MockCluster.POD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.GracefulRuntime;
import dev.graceful.runtime.RuntimeBuilder;
import dev.graceful.runtime.config.ConfigLoader;
import dev.graceful.runtime.demo.DemoRouter;
import dev.graceful.runtime.fixtures.FailingStartVerticle;
import dev.graceful.runtime.fixtures.HangingStopVerticle;
import dev.graceful.runtime.lifecycle.LifecycleState;
import dev.graceful.runtime.shutdown.ShutdownReport;
import dev.graceful.runtime.support.Await;
import dev.graceful.runtime.support.FaultyTcpProxy;
import dev.graceful.runtime.support.Http;
import dev.graceful.runtime.support.LogCapture;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The whole runtime with the Kubernetes features on, against the mock API server. */
@ExtendWith(VertxExtension.class)
class KubernetesRuntimeTest {

  private static final String GATE = "graceful.dev/serving";

  private MockCluster cluster;
  private KubernetesClient client;
  private GracefulRuntime runtime;

  @BeforeEach
  void cluster() {
    cluster = new MockCluster();
    client = MockCluster.clientAt(cluster.server.getPort());
  }

  @AfterEach
  void close() {
    if (runtime != null) {
      Await.result(runtime.close());
    }
    client.close();
    cluster.close();
  }

  private RuntimeBuilder runtime(String... overrides) {
    return runtime(client, overrides);
  }

  private RuntimeBuilder runtime(KubernetesClient using, String... overrides) {
    Map<String, String> env = new HashMap<>(Map.of(
        "GRACEFUL_HOST", "127.0.0.1", "GRACEFUL_HTTP_PORT", "0", "GRACEFUL_GRPC_PORT", "0", "GRACEFUL_MANAGEMENT_PORT", "0",
        "GRACEFUL_DRAIN_DELAY", "5s", "GRACEFUL_SHUTDOWN_TIMEOUT", "20s", "GRACEFUL_STOP_TIMEOUT", "2s",
        "GRACEFUL_PROPAGATION_DELAY", "100ms", "GRACEFUL_KUBERNETES", "true", "GRACEFUL_READINESS_GATE", GATE));
    for (int i = 0; i < overrides.length; i += 2) {
      env.put(overrides[i], overrides[i + 1]);
    }
    return GracefulRuntime.builder().config(ConfigLoader.load(env)).kubernetes(using, IDENTITY);
  }

  private Optional<String> gate() {
    return Optional.ofNullable(cluster.admin.pods().inNamespace(NAMESPACE).withName(POD).get().getStatus())
        .flatMap(s -> s.getConditions().stream().filter(c -> GATE.equals(c.getType())).findFirst())
        .map(PodCondition::getStatus);
  }

  private List<String> eventReasons() {
    return cluster.admin.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(e -> POD.equals(e.getInvolvedObject().getName()) && "Pod".equals(e.getInvolvedObject().getKind()))
        .map(Event::getReason).toList();
  }

  @Test
  void readinessGateFollowsTheLifecycleAndEventsTellTheShutdown(Vertx vertx) {
    cluster.pod(30, GATE);
    cluster.service("web", Map.of("app", "web"), false);
    cluster.slice("web-a", "web", true, true);
    runtime = runtime().http(DemoRouter::create).build();
    Await.result(runtime.start());
    assertEquals(Optional.of("True"), gate(), "the gate turns True when the runtime is ready");

    // Stand in for the EndpointSlice controller: once the gate is False, the pod is neither ready nor serving.
    runtime.lifecycle().onChange(state -> {
      if (state == LifecycleState.DRAINING) {
        vertx.setPeriodic(50, id -> {
          if (gate().equals(Optional.of("False"))) {
            vertx.cancelTimer(id);
            cluster.flip("web-a", "web", false, false);
          }
        });
      }
    });
    Future<Http.Reply> inFlight = Http.get(vertx.createHttpClient(), runtime.port("http"), "/delay?ms=300");
    ShutdownReport report = Await.result(runtime.shutdown());
    assertEquals(200, Await.result(inFlight).status());

    assertFalse(report.forced(), report.toJson().encode());
    assertEquals(List.of("readiness-down", "readiness-gate", "deadline", "pre-drain-wait", "drain", "stop-verticles"),
        List.copyOf(report.phases().keySet()));
    assertEquals(Optional.of("False"), gate());
    assertEquals("drained", report.detail("pre-drain-wait", "outcome"));
    assertTrue(report.phases().get("pre-drain-wait").duration().toMillis() < 5000,
        "the watch, not the 5 s fixed delay, ended the wait: " + report.toJson().encode());
    // No deletion in this test: the configured 20 s stays the cap under the pod's 30 s grace period.
    assertEquals("configured", report.detail("deadline", "source"), report.toJson().encode());
    assertTrue(eventReasons().containsAll(List.of("ShutdownStarted", "EndpointsDrained", "ShutdownCompleted")), eventReasons().toString());
  }

  @Test
  void serversListenWhileThePodReadIsSlowAndReadinessWaitsForIt(Vertx vertx) throws Exception {
    cluster.pod(30);
    try (HeldApi api = heldApi(vertx)) {
      KubernetesClient slow = api.client();
      Map<String, String> env = new HashMap<>(Map.of(
          "GRACEFUL_HOST", "127.0.0.1", "GRACEFUL_HTTP_PORT", "0", "GRACEFUL_GRPC_PORT", "0", "GRACEFUL_MANAGEMENT_PORT", "0",
          "GRACEFUL_KUBERNETES", "true", "GRACEFUL_KUBERNETES_TIMEOUT", "300ms"));
      runtime = GracefulRuntime.builder().config(ConfigLoader.load(env)).kubernetes(slow, IDENTITY)
          .http(DemoRouter::create).build();
      Future<Void> started = runtime.start();
      // The API does not answer, yet the server comes up and serves; only readiness waits for the pod read.
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (runtime.port("http") <= 0) {
        assertTrue(System.nanoTime() < deadline, "the server did not start while the pod read was pending");
        Thread.sleep(20);
      }
      // The JDK's client: Vert.x 5.0.7's sometimes never completed these on a loaded machine (see Http.getWithJdk).
      assertEquals(200, Http.getWithJdk(runtime.port("http"), "/delay?ms=0").status());
      assertEquals(503, Http.getWithJdk(runtime.managementPort(), "/health/ready").status());
      assertFalse(started.isComplete(), "ready before the pod was read");
      api.release();
      Await.result(started);
      assertEquals(200, Http.getWithJdk(runtime.managementPort(), "/health/ready").status());
    }
  }

  /** The mock API server behind a proxy that holds every call, as a silent API server does, until released. */
  private HeldApi heldApi(Vertx vertx) {
    FaultyTcpProxy proxy = new FaultyTcpProxy(vertx, cluster.server.getPort()).start();
    proxy.mode(FaultyTcpProxy.Mode.HOLD);
    return new HeldApi(proxy, MockCluster.clientAt(proxy.port()));
  }

  private record HeldApi(FaultyTcpProxy proxy, KubernetesClient client) implements AutoCloseable {

    /** From now on calls go through; those held so far are cut, and the client tries them again. */
    void release() {
      proxy.mode(FaultyTcpProxy.Mode.FORWARD);
      proxy.cutAll();
    }

    @Override
    public void close() {
      client.close();
      proxy.close();
    }
  }

  /** The chart passes the mesh annotations in; both empty: no mesh injected a proxy, so READY needs no pod read. */
  private static final String[] NO_MESH = {"GRACEFUL_KUBERNETES", "auto", "GRACEFUL_READINESS_GATE", "",
      "POD_ANNOTATION_ISTIO_STATUS", "", "POD_ANNOTATION_LINKERD_PROXY_VERSION", ""};

  private static String[] with(String[] base, String... more) {
    String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  @Test
  void withoutAMeshReadinessDoesNotWaitForThePodReadAndASignalThenWaitsForIt(Vertx vertx) {
    cluster.pod(30);
    try (HeldApi api = heldApi(vertx)) {
      KubernetesClient slow = api.client();
      runtime = runtime(slow, with(NO_MESH, "GRACEFUL_KUBERNETES_TIMEOUT", "3s")).http(DemoRouter::create).build();
      // READY although the API server holds every call: nothing in this pod's configuration needs its answer to serve.
      Await.result(runtime.start());
      assertEquals(200, Http.getWithJdk(runtime.managementPort(), "/health/ready").status());
      // A signal while the read is under way: the shutdown waits for it (up to the API timeout), then has the pod's
      // deadline, which only the read can give.
      Future<ShutdownReport> shutdown = runtime.shutdown();
      api.release();
      ShutdownReport report = Await.result(shutdown);
      assertFalse(report.forced(), report.toJson().encode());
      assertTrue(report.phases().containsKey("deadline"), "the shutdown used the pod's facts: " + report.toJson().encode());
      assertEquals("endpoints", report.detail("pre-drain-wait", "kind"), "the endpoint wait, not the fixed delay: " + report.toJson().encode());
    }
  }

  @Test
  void aSignalWhileThePodReadNeverAnswersFallsBackToTheFixedDelayAndSaysWhy(Vertx vertx) {
    cluster.pod(30);
    try (HeldApi api = heldApi(vertx)) {
      KubernetesClient slow = api.client();
      runtime = runtime(slow, with(NO_MESH, "GRACEFUL_KUBERNETES_TIMEOUT", "500ms", "GRACEFUL_DRAIN_DELAY", "200ms"))
          .http(DemoRouter::create).build();
      Await.result(runtime.start());
      long began = System.nanoTime();
      ShutdownReport report = Await.result(runtime.shutdown());
      long tookMs = Duration.ofNanos(System.nanoTime() - began).toMillis();
      assertFalse(report.forced(), report.toJson().encode());
      assertEquals("fixed", report.detail("pre-drain-wait", "kind"), report.toJson().encode());
      assertEquals("pod read pending", report.detail("pre-drain-wait", "reason"), report.toJson().encode());
      // The deadline phase still tries the pod's deletion itself (and here meets the same silent API server).
      assertEquals("configured", report.detail("deadline", "source"), report.toJson().encode());
      assertTrue(tookMs >= 500 && tookMs < 10_000, "waited for the read about the API timeout, then the fixed delay: " + tookMs + " ms");
    }
  }

  @Test
  void withAGateAndNoMeshASignalBeforeThePodReadAnswersIsNotHeldAndTheGateNeverTurnsTrue(Vertx vertx) throws Exception {
    cluster.pod(30, GATE);
    String podStatus = "/api/v1/namespaces/" + NAMESPACE + "/pods/" + POD + "/status";
    try (HeldApi api = heldApi(vertx)) {
      KubernetesClient slow = api.client();
      // A 10 s bound on the start-time read (10 x 1 s): a shutdown held by it would take that long.
      runtime = runtime(slow, with(NO_MESH, "GRACEFUL_READINESS_GATE", GATE, "GRACEFUL_KUBERNETES_TIMEOUT", "1s",
          "GRACEFUL_DRAIN_DELAY", "200ms")).http(DemoRouter::create).build();
      Future<Void> started = runtime.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (runtime.managementPort() <= 0 || Http.getWithJdk(runtime.managementPort(), "/health/ready").status() != 200) {
        assertTrue(System.nanoTime() < deadline, "readiness did not turn UP while the pod read was pending");
        Thread.sleep(20);
      }
      assertFalse(started.isComplete(), "the start ends with the gate, which waits for the pod read");
      long began = System.nanoTime();
      Future<ShutdownReport> shutdown = runtime.shutdown();
      // The read answers once the shutdown has begun: the gate's True must not follow the shutdown's False.
      api.release();
      ShutdownReport report = Await.result(shutdown);
      long tookMs = Duration.ofNanos(System.nanoTime() - began).toMillis();
      assertFalse(report.forced(), report.toJson().encode());
      assertTrue(tookMs < 8_000, "the shutdown was held by the start's gate step: " + tookMs + " ms");
      assertEquals(Optional.of("False"), gate(), report.toJson().encode());
      assertEquals(1, cluster.received(podStatus), "one write of the gate, the False: the True was skipped");
    }
  }

  @Test
  void aMeshAnnotationKeepsReadinessWaitingForThePodRead(Vertx vertx) throws Exception {
    cluster.pod(30);
    try (HeldApi api = heldApi(vertx)) {
      KubernetesClient slow = api.client();
      runtime = runtime(slow, with(NO_MESH, "GRACEFUL_KUBERNETES_TIMEOUT", "2s",
          "POD_ANNOTATION_ISTIO_STATUS", "{\"containers\":[\"istio-proxy\"]}")).http(DemoRouter::create).build();
      Future<Void> started = runtime.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (runtime.port("http") <= 0) {
        assertTrue(System.nanoTime() < deadline, "the server did not start while the pod read was pending");
        Thread.sleep(20);
      }
      assertEquals(503, Http.getWithJdk(runtime.managementPort(), "/health/ready").status());
      assertFalse(started.isComplete(), "ready before the pod read that may find the injected proxy");
      api.release();
      Await.result(started);
      assertEquals(200, Http.getWithJdk(runtime.managementPort(), "/health/ready").status());
    }
  }

  @Test
  void aFailedStartIsRecordedOnThePod() {
    cluster.pod(30);
    runtime = runtime("GRACEFUL_READINESS_GATE", "").verticle("failing", FailingStartVerticle::new).build();
    Await.failure(runtime.start());
    // Events are sent in the background; the runtime's run() waits for them before exiting.
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!eventReasons().contains("StartFailed")) {
      assertTrue(System.nanoTime() < deadline, "no StartFailed event: " + eventReasons());
    }
    Event event = cluster.admin.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
        .filter(e -> "StartFailed".equals(e.getReason())).findFirst().orElseThrow();
    assertEquals("Warning", event.getType());
    assertTrue(event.getMessage().contains("database unreachable (fixture)"), event.getMessage());
  }

  @Test
  void aShutdownCutOffByItsDeadlineIsRecordedOnThePod(Vertx vertx) {
    cluster.pod(4); // a 4 s grace period less a 2 s margin: the budget is 2 s, and the hanging stop outlives it
    // An API server 100 ms away: the ShutdownForced POST is still on its way when the budget is spent, and is written
    // within the half of the margin's half that the last Events get past the deadline (500 ms here).
    try (FaultyTcpProxy api = new FaultyTcpProxy(vertx, cluster.server.getPort()).start().latency(Duration.ofMillis(100));
         KubernetesClient own = MockCluster.clientAt(api.port())) {
      runtime = runtime(own, "GRACEFUL_READINESS_GATE", "", "GRACEFUL_DEADLINE_MARGIN", "2s").http(DemoRouter::create)
          .verticle("hanging", HangingStopVerticle::new).build();
      Await.result(runtime.start());
      ShutdownReport report = Await.result(runtime.shutdown());
      own.close(); // as close() does with a client of the runtime's own, before the process exits
      assertTrue(report.forced(), report.toJson().encode());
      assertEquals(Boolean.TRUE, report.phases().get("stop-verticles").result().cutOff(), report.toJson().encode());
      Event forced = cluster.admin.v1().events().inNamespace(NAMESPACE).list().getItems().stream()
          .filter(e -> "ShutdownForced".equals(e.getReason())).findFirst()
          .orElseThrow(() -> new AssertionError("no ShutdownForced event: " + eventReasons()));
      assertEquals("Warning", forced.getType());
      assertTrue(forced.getMessage().contains("stop-verticles"), forced.getMessage());
    }
  }

  @Test
  void anApiOutageAtShutdownWarnsOnceNamingTheCause(Vertx vertx) {
    cluster.pod(30, GATE);
    cluster.service("web", Map.of("app", "web"), false);
    cluster.slice("web-a", "web", true, true);
    try (FaultyTcpProxy api = new FaultyTcpProxy(vertx, cluster.server.getPort()).start();
         KubernetesClient viaProxy = MockCluster.clientAt(api.port())) {
      runtime = runtime(viaProxy, "GRACEFUL_DRAIN_DELAY", "1s").http(DemoRouter::create).build();
      Await.result(runtime.start());
      api.down();
      ShutdownReport report;
      try (LogCapture log = LogCapture.start()) {
        report = Await.result(runtime.shutdown());
        // Gate, deadline, endpoint wait and events all met the outage: one warning, the rest say "same cause".
        List<String> warnings = log.at(Level.WARNING).stream().map(LogCapture.Captured::message).toList();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("API server unreachable"), warnings.get(0));
        long sameCause = log.records().stream().filter(c -> c.message().endsWith("(same cause as above)")).count();
        assertTrue(sameCause >= 2, "the other phases still log what they fell back to: " + log.records());
      }
      assertFalse(report.forced(), report.toJson().encode());
      assertEquals("fallback", report.detail("pre-drain-wait", "outcome"), report.toJson().encode());
      assertEquals("terminationGracePeriodSeconds", report.detail("deadline", "source"));
    }
  }

  @Test
  void anApiServerDownAtStartIsReportedAsUnreachableNotAsATimeoutOfZero(Vertx vertx) {
    cluster.pod(30, GATE);
    try (FaultyTcpProxy api = new FaultyTcpProxy(vertx, cluster.server.getPort()).start();
         KubernetesClient viaProxy = MockCluster.clientAt(api.port())) {
      api.down();
      // A 1 s bound on the start-time read (10 x 100 ms): every retry meets a refused connection until it runs out.
      runtime = runtime(viaProxy, "GRACEFUL_KUBERNETES_TIMEOUT", "100ms").http(DemoRouter::create).build();
      Throwable failure = Await.failure(runtime.start());
      String message = failure.getMessage();
      assertTrue(message.contains("API server unreachable"), message);
      assertFalse(message.contains("no answer within 0 ms"), message);
    }
  }

  @Test
  void forbiddenEventsAndReadinessGateNeitherHangNorFailTheShutdown() {
    cluster.pod(30, GATE);
    runtime = runtime().http(DemoRouter::create).build();
    Await.result(runtime.start());
    assertEquals(Optional.of("True"), gate());
    // A Role without the rules for events and pods/status.
    cluster.forbidden = path -> path.endsWith("/events") || path.endsWith("/pods/" + POD + "/status");
    try (LogCapture log = LogCapture.start()) {
      ShutdownReport report = Await.result(runtime.shutdown());
      assertFalse(report.forced(), report.toJson().encode());
      assertTrue(report.total().toMillis() < 5000, "took " + report.total().toMillis() + " ms");
      assertTrue(String.valueOf(report.detail("readiness-gate", "error")).contains("403 Forbidden"), report.toJson().encode());
      assertEquals(List.of("readiness-down", "readiness-gate", "deadline", "pre-drain-wait", "drain", "stop-verticles"),
          List.copyOf(report.phases().keySet()), "every phase ran");
      cluster.forbidden = path -> false; // the test's own reads
      assertEquals(Optional.of("True"), gate(), "the patch was refused");
      assertEquals(List.of(), eventReasons());
      List<String> warnings = log.at(Level.WARNING).stream().map(LogCapture.Captured::message).toList();
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(warnings.get(0).contains("403 Forbidden"), warnings.get(0));
    }
  }
}
