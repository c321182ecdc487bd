package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.kubernetes.MockCluster;
import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.PodFixtures;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The timeline of docs/lifecycle.md in the forced case: a pod being deleted, a verticle whose stop never completes, so the
 * shutdown is forced at the deadline, and an API server slow to take the last Events. The process, report, events and
 * close included, is gone before the moment the kubelet would send SIGKILL (the deletionTimestamp; test and child
 * share this machine's clock).
 */
class PodDeadlineExitTest {

  private MockCluster cluster;
  private Path kubeconfig;

  @BeforeEach
  void setUp(@TempDir Path dir) throws IOException {
    cluster = new MockCluster();
    kubeconfig = Files.writeString(dir.resolve("kubeconfig"), cluster.kubeconfig());
  }

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void aForcedShutdownExitsBeforeTheKubeletsSigkill() {
    cluster.pod(PodFixtures.load("plain.yaml"));
    try (ChildRuntime child = ChildRuntime.startReady(Map.of(
        "POD_NAME", MockCluster.POD, "POD_NAMESPACE", MockCluster.NAMESPACE, "KUBECONFIG", kubeconfig.toString(),
        "GRACEFUL_KUBERNETES", "true", "GRACEFUL_VERTICLES", "dev.graceful.runtime.fixtures.DemoPlusHangingStop"))) {
      // As kubectl delete --grace-period=5 would set it; whole seconds, as the API server writes it.
      cluster.deleting(Instant.now().plusSeconds(5).truncatedTo(ChronoUnit.SECONDS), 5);
      // An API server slow to take Events: the last ones (ShutdownForced) must not push the exit past SIGKILL.
      cluster.slowAnswers(path -> path.contains("/events") ? Duration.ofSeconds(10) : Duration.ZERO);
      // The pod's container has no preStop hook: the kubelet sends SIGKILL 5 s after its SIGTERM.
      Instant sigkill = Instant.now().plusSeconds(5);
      child.signal("TERM");
      int code = child.awaitExit(Duration.ofSeconds(15));
      Instant exited = Instant.now();
      JsonObject report = new JsonObject(child.lines().stream().filter(l -> l.contains("\"event\":\"shutdown-complete\""))
          .map(l -> l.substring(l.indexOf('{'))).findFirst().orElseThrow(() -> new AssertionError(child.output())));
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), code, child.output());
      assertEquals(code, report.getInteger("exitCode"), report.encode());
      // What the runtime controls: the moment it returns its exit code, logged by the child on this machine's clock.
      // It must leave the JVM at least 100 ms before SIGKILL to exit (the hooks take a few ms; the rest of half the
      // margin is there for a starved CPU). That this test sees the exit is measured too, with a bound that absorbs
      // its own thread waking late on a loaded machine (CI once saw it 6 ms past the timestamp).
      String last = child.lines().stream().filter(l -> l.contains("GracefulRuntime - exit code 4")).findFirst()
          .orElseThrow(() -> new AssertionError("no exit line:\n" + child.output()));
      Instant decided = java.time.LocalDateTime.parse(last.substring(0, last.indexOf(' ')))
          .atZone(java.time.ZoneId.systemDefault()).toInstant();
      assertTrue(decided.isBefore(sigkill.minusMillis(100)), "the runtime returned its exit code "
          + Duration.between(decided, sigkill).toMillis() + " ms before SIGKILL (at least 100 needed):\n" + child.output());
      assertTrue(exited.isBefore(sigkill.plusSeconds(1)), "exited " + Duration.between(sigkill, exited).toMillis()
          + " ms after the kubelet's SIGKILL time:\n" + child.output());
    }
  }
}
