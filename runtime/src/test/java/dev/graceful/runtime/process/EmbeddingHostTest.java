package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.support.ChildRuntime;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A host whose {@code main} goes on after {@code run()} returns (fixtures.EmbeddingHost): nothing of the runtime keeps
 * its JVM alive afterwards, forced or not, and the JVM's own signal handling is back.
 */
class EmbeddingHostTest {

  private static final String HOST = "dev.graceful.runtime.fixtures.EmbeddingHost";
  /** The JVM's own answer to SIGTERM: 128 + 15. */
  private static final int JVM_SIGTERM_EXIT = 143;

  private static ChildRuntime host(String mode) {
    return ChildRuntime.startReady(HOST, Map.of("HOST_MODE", mode, "GRACEFUL_KUBERNETES", "false",
        "GRACEFUL_SHUTDOWN_TIMEOUT", "3s", "GRACEFUL_STOP_TIMEOUT", "1s", "GRACEFUL_DRAIN_DELAY", "0s"));
  }

  @Test
  void afterAForcedShutdownTheHostsMainReturnsAndTheJvmEnds() {
    try (ChildRuntime child = host("hang-stop")) {
      child.signal("TERM");
      child.awaitLine("host: run() returned " + ExitCode.SHUTDOWN_FORCED.code());
      // main has returned: the JVM ends when no non-daemon thread is left (Vert.x's event loops and workers are not daemon)
      assertEquals(0, child.awaitExit(Duration.ofSeconds(5)), child.output());
      assertTrue(child.output().contains("fixture: HangingStopVerticle stop called"), child.output());
    }
  }

  @Test
  void afterACleanShutdownTheHostsMainReturnsAndTheJvmEnds() {
    try (ChildRuntime child = host("")) {
      child.signal("TERM");
      child.awaitLine("host: run() returned " + ExitCode.CLEAN.code());
      assertEquals(0, child.awaitExit(Duration.ofSeconds(5)), child.output());
    }
  }

  @Test
  void afterRunReturnsASignalGetsTheJvmsOwnHandlingAgain() {
    try (ChildRuntime child = host("hang-stop,linger")) {
      child.signal("TERM");
      child.awaitLine("host: run() returned " + ExitCode.SHUTDOWN_FORCED.code());
      child.signal("TERM");
      assertEquals(JVM_SIGTERM_EXIT, child.awaitExit(Duration.ofSeconds(10)), child.output());
      assertFalse(child.output().contains("shutdown already in progress"), "the runtime's trap is gone: " + child.output());
    }
  }
}
