package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.kubernetes.MockCluster;
import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.FakeProxyAdmin;
import dev.graceful.runtime.support.Http;
import dev.graceful.runtime.support.Management;
import dev.graceful.runtime.support.PodFixtures;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A signal at each moment of the start, to the real {@code Main} in a child JVM: before any server binds (held by a
 * mesh proxy that never turns ready), while the pod is read (held by a slow API server), while a verticle starts,
 * while the readiness checks are awaited. Each time the start is abandoned at once: the runtime never turns READY,
 * never sets its readiness gate True, stops what had started, exits long before its 20 s budget, and its exit code is
 * the one its report gives. A second signal forces at once.
 */
@ExtendWith(VertxExtension.class)
class SignalDuringStartTest {

  /** Nothing to drain: the whole shutdown takes well under a second; the budget it must stay far below is 20 s. */
  private static final Duration QUICK_EXIT = Duration.ofSeconds(8);
  private static final String POD_STATUS = "/api/v1/namespaces/" + MockCluster.NAMESPACE + "/pods/" + MockCluster.POD + "/status";

  private MockCluster cluster;
  private FakeProxyAdmin proxy;
  private Path kubeconfig;

  @BeforeEach
  void setUp(Vertx vertx, @TempDir Path dir) throws IOException {
    cluster = new MockCluster();
    proxy = FakeProxyAdmin.start(vertx);
    kubeconfig = Files.writeString(dir.resolve("kubeconfig"), cluster.kubeconfig());
  }

  @AfterEach
  void tearDown() {
    proxy.close();
    cluster.close();
  }

  /** The runtime "in a pod" of the mock cluster, with the readiness gate on, on a 20 s budget. */
  private ChildRuntime inPod(String fixture, String... overrides) {
    cluster.pod(PodFixtures.load(fixture));
    Map<String, String> env = new HashMap<>(Map.of(
        "POD_NAME", MockCluster.POD, "POD_NAMESPACE", MockCluster.NAMESPACE, "KUBECONFIG", kubeconfig.toString(),
        "GRACEFUL_KUBERNETES", "true", "GRACEFUL_READINESS_GATE", "graceful.dev/serving",
        "GRACEFUL_SHUTDOWN_TIMEOUT", "20s", "GRACEFUL_DRAIN_DELAY", "5s"));
    for (int i = 0; i < overrides.length; i += 2) {
      env.put(overrides[i], overrides[i + 1]);
    }
    return ChildRuntime.start(env);
  }

  /** Signals, then checks the exit: quick, clean, never ready, the report's code the process's. */
  private JsonObject assertQuickCleanStopNeverReady(ChildRuntime child) {
    long signalled = System.nanoTime();
    child.signal("TERM");
    int code = child.awaitExit(QUICK_EXIT);
    Duration took = Duration.ofNanos(System.nanoTime() - signalled);
    JsonObject report = report(child);
    assertEquals(ExitCode.CLEAN.code(), code, child.output());
    assertEquals(code, report.getInteger("exitCode"), "the process's exit code is the report's: " + report);
    assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "exit " + took.toMillis() + " ms after the signal: " + child.output());
    assertFalse(child.output().contains("lifecycle: READY"), child.output());
    assertEquals("none", report.getJsonObject("phases").getJsonObject("pre-drain-wait").getString("kind"),
        "never ready, so nothing to wait for: " + report);
    return report;
  }

  private static JsonObject report(ChildRuntime child) {
    return new JsonObject(child.lines().stream().filter(l -> l.contains("\"event\":\"shutdown-complete\""))
        .map(l -> l.substring(l.indexOf('{'))).findFirst()
        .orElseThrow(() -> new AssertionError("no shutdown report: " + child.output())));
  }

  @Test
  void aSignalBeforeAnyServerBindsEndsTheStartAtOnce() {
    proxy.ready(false); // the mesh proxy never turns ready, and the servers wait for it
    try (ChildRuntime child = inPod("istio-classic.yaml", "GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES", "true",
        "GRACEFUL_SIDECAR_READY_URL", proxy.readyUrl(), "GRACEFUL_SIDECAR_QUIT_URL", proxy.quitUrl())) {
      child.awaitLine("sidecar: waiting for");
      assertFalse(Http.accepts(child.httpPort), "no server binds before the proxy is ready");
      assertQuickCleanStopNeverReady(child);
      assertFalse(child.output().contains("listening on port " + child.httpPort), child.output());
      assertEquals(0, cluster.received(POD_STATUS), "the readiness gate was never written");
    }
  }

  @Test
  void aSignalWhileThePodIsReadStopsTheServersAlreadyListening() {
    cluster.slowAnswers(path -> path.equals("/api/v1/namespaces/" + MockCluster.NAMESPACE + "/pods/" + MockCluster.POD)
        ? Duration.ofSeconds(60) : Duration.ZERO);
    try (ChildRuntime child = inPod("plain.yaml", "GRACEFUL_KUBERNETES_TIMEOUT", "5s")) {
      child.awaitLine("kubernetes: reading pod");
      child.awaitLine("server 'http' listening on port " + child.httpPort); // the servers do not wait for the read
      assertQuickCleanStopNeverReady(child);
      assertTrue(child.lines().stream().anyMatch(l -> l.contains("stopping what had started:") && l.contains("http server 'http'")),
          child.output());
      assertFalse(Http.accepts(child.httpPort));
      assertEquals(0, cluster.received(POD_STATUS), "the readiness gate was never written");
    }
  }

  @Test
  void aSignalWhileAVerticleIsStartingLeavesNothingRunning() {
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_KUBERNETES", "false", "GRACEFUL_SHUTDOWN_TIMEOUT", "20s",
        "GRACEFUL_VERTICLES", "dev.graceful.runtime.demo.DemoModule,dev.graceful.runtime.fixtures.NeverStartingVerticle"))) {
      child.awaitLine("server 'http' listening on port " + child.httpPort);
      assertQuickCleanStopNeverReady(child);
      assertTrue(child.output().contains("start abandoned while still starting: verticle "
          + "dev.graceful.runtime.fixtures.NeverStartingVerticle"), child.output());
    }
  }

  @Test
  void aSignalWhileReadinessChecksAreAwaitedNeverTurnsReadyNorSetsTheGate() {
    try (ChildRuntime child = inPod("plain.yaml", "GRACEFUL_VERTICLES", "dev.graceful.runtime.fixtures.NeverReadyModule")) {
      child.awaitLine("kubernetes: pod");
      child.awaitLine("fixture: readiness check asked");
      assertEquals(503, Http.getWithJdk(child.managementPort, "/health/ready").status());
      assertQuickCleanStopNeverReady(child);
      assertEquals(0, cluster.received(POD_STATUS), "the readiness gate was never written");
    }
  }

  @Test
  void aSecondSignalDuringTheStartForcesAtOnceAndTheExitCodeIsTheReports(Vertx vertx) throws Exception {
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_KUBERNETES", "false", "GRACEFUL_SHUTDOWN_TIMEOUT", "20s",
        "GRACEFUL_VERTICLES", "dev.graceful.runtime.fixtures.NeverReadyModule"))) {
      child.awaitLine("fixture: readiness check asked");
      Socket client = new Socket("127.0.0.1", child.httpPort);
      // Not ready, but listening: a client that knows the port is served, and its request must be counted.
      client.getOutputStream().write("GET /delay?ms=20000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", "http", 1);
      child.signal("TERM");
      child.awaitLine("drain: told the clients");
      long second = System.nanoTime();
      child.signal("TERM");
      int code = child.awaitExit(QUICK_EXIT);
      Duration took = Duration.ofNanos(System.nanoTime() - second);
      JsonObject report = report(child);
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), code, child.output());
      assertEquals(code, report.getInteger("exitCode"), "the process's exit code is the report's: " + report);
      assertEquals(1, report.getInteger("requestsInFlightAtDrainStart"), report.encode());
      assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, "exit " + took.toMillis() + " ms after the second signal");
      assertFalse(child.output().contains("lifecycle: READY"), child.output());
      assertEquals(-1, client.getInputStream().read(), "the cut request got no answer, only the connection's close");
    }
  }
}
