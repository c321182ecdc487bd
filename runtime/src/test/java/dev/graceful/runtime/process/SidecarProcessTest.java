package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.kubernetes.MockCluster;
import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.FakeProxyAdmin;
import dev.graceful.runtime.support.PodFixtures;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
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
 * The real {@code Main} in a child JVM "in a pod" (a kubeconfig to the mock API server, which serves a pod spec as a
 * mesh injects it), with a fake proxy admin server on loopback: the exit asks the proxy to quit exactly when the pod
 * runs to completion.
 */
@ExtendWith(VertxExtension.class)
class SidecarProcessTest {

  private static final Duration EXIT_BOUND = Duration.ofSeconds(20);

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

  private ChildRuntime child(String fixture, String... overrides) {
    cluster.pod(PodFixtures.load(fixture));
    Map<String, String> env = new HashMap<>(Map.of(
        "POD_NAME", MockCluster.POD, "POD_NAMESPACE", MockCluster.NAMESPACE, "KUBECONFIG", kubeconfig.toString(),
        "GRACEFUL_KUBERNETES", "true",
        "GRACEFUL_SIDECAR_READY_URL", proxy.readyUrl(), "GRACEFUL_SIDECAR_QUIT_URL", proxy.quitUrl()));
    for (int i = 0; i < overrides.length; i += 2) {
      env.put(overrides[i], overrides[i + 1]);
    }
    return ChildRuntime.start(env);
  }

  @Test
  void aJobsPodAsksTheProxyToQuitOnceAtExit() {
    proxy.ready(true);
    try (ChildRuntime child = child("istio-job.yaml")) {
      child.awaitLine("lifecycle: READY");
      assertEquals(0, proxy.quits(), "not before the exit");
      child.signal("TERM");
      assertEquals(ExitCode.CLEAN.code(), child.awaitExit(EXIT_BOUND), child.output());
      assertEquals(1, proxy.quits(), child.output());
      assertTrue(child.output().contains("sidecar istio-proxy asked to exit (POST " + proxy.quitUrl()
          + ": HTTP 200; the pod belongs to Job nightly-report-28734120)"), child.output());
      assertFalse(child.output().contains("stops forwarding"), "terminationDrainDuration 30s covers the budget: no warning");
    }
  }

  @Test
  void aDeploymentsPodLeavesTheProxyAloneAndIsWarnedAboutItsShortDrain() {
    proxy.ready(true);
    try (ChildRuntime child = child("istio-classic.yaml")) {
      child.awaitLine("lifecycle: READY");
      child.signal("TERM");
      assertEquals(ExitCode.CLEAN.code(), child.awaitExit(EXIT_BOUND), child.output());
      assertEquals(0, proxy.quits(), child.output());
      assertTrue(child.output().contains("sidecar istio-proxy (Istio, classic sidecar) stops forwarding in both directions 5000 ms after SIGTERM"),
          child.output());
      assertTrue(child.output().contains("not asking istio-proxy to exit: the pod is not run to completion"), child.output());
    }
  }

  @Test
  void aProxyNeverReadyEndsTheStartWithExit3AndOneLineAndTheJobsProxyIsStillAskedToQuit() {
    try (ChildRuntime child = child("istio-job.yaml", "GRACEFUL_SIDECAR_READY_TIMEOUT", "2s")) {
      long start = System.nanoTime();
      assertEquals(ExitCode.START_FAILED.code(), child.awaitExit(EXIT_BOUND), child.output());
      String line = child.awaitLine("graceful-runtime: start failed:");
      assertEquals("graceful-runtime: start failed: sidecar istio-proxy did not report ready at " + proxy.readyUrl()
          + " within 2000 ms (GRACEFUL_SIDECAR_READY_TIMEOUT); last answer: HTTP 503", line);
      assertFalse(child.output().contains("lifecycle: READY"), child.output());
      assertEquals(1, proxy.quits(), "a Job's pod must complete even when the start failed: " + child.output());
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      assertTrue(tookMs < 15_000, "exited after " + tookMs + " ms");
    }
  }
}
