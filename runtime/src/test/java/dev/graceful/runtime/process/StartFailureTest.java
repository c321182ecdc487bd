package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.fixtures.FailingStartVerticle;
import dev.graceful.runtime.fixtures.NeverStartingVerticle;
import dev.graceful.runtime.fixtures.ThrowingConstructorVerticle;
import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.support.ChildRuntime;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A start that cannot succeed ends the process with one clear line and a documented exit code, never a hang. */
class StartFailureTest {

  private static final Duration EXIT_BOUND = Duration.ofSeconds(20);

  @Test
  void takenPortFailsTheStartNamingThePort() throws IOException {
    try (ServerSocket squatter = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int port = squatter.getLocalPort();
      try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_HTTP_PORT", String.valueOf(port)))) {
        assertEquals(ExitCode.START_FAILED.code(), child.awaitExit(EXIT_BOUND), child.output());
        String line = child.awaitLine("graceful-runtime: start failed:");
        assertTrue(line.contains("http server 'http' could not listen on 127.0.0.1:" + port + ": port already in use"), line);
        assertFalse(child.output().contains("lifecycle: READY"), child.output());
        // The gRPC server, which could listen, was stopped before the failure was reported, not merely by the exit.
        List<String> lines = child.lines();
        int rollback = indexOf(lines, "start failed; stopped what had started: grpc server 'grpc'");
        assertTrue(rollback >= 0 && rollback < lines.indexOf(line), child.output());
      }
    }
  }

  @Test
  void verticleWhoseStartFailsIsNamed() {
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_VERTICLES", FailingStartVerticle.class.getName()))) {
      assertEquals(ExitCode.START_FAILED.code(), child.awaitExit(EXIT_BOUND), child.output());
      String line = child.awaitLine("graceful-runtime: start failed:");
      assertTrue(line.contains(FailingStartVerticle.class.getName()) && line.contains("database unreachable (fixture)"), line);
    }
  }

  @Test
  void startTimeoutNamesWhatIsStillStarting() {
    try (ChildRuntime child = ChildRuntime.start(Map.of(
        "GRACEFUL_VERTICLES", NeverStartingVerticle.class.getName(), "GRACEFUL_START_TIMEOUT", "1s"))) {
      assertEquals(ExitCode.START_FAILED.code(), child.awaitExit(EXIT_BOUND), child.output());
      String line = child.awaitLine("graceful-runtime: start failed:");
      assertTrue(line.contains("start timeout (1000 ms)") && line.contains(NeverStartingVerticle.class.getName()), line);
    }
  }

  @Test
  void malformedSettingFailsBeforeAnyPortIsBound() {
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_SHUTDOWN_TIMEOUT", "-5s"))) {
      assertEquals(ExitCode.BAD_CONFIGURATION.code(), child.awaitExit(EXIT_BOUND), child.output());
      String line = child.awaitLine("graceful-runtime: configuration error:");
      assertTrue(line.contains("GRACEFUL_SHUTDOWN_TIMEOUT='-5s'"), line);
      assertFalse(child.output().contains("listening"), child.output());
    }
  }

  @Test
  void httpPortOutOfRangeFailsBeforeAnyPortIsBoundWithOneLine() {
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_HTTP_PORT", "70000"))) {
      assertEquals(ExitCode.BAD_CONFIGURATION.code(), child.awaitExit(EXIT_BOUND), child.output());
      assertOneConfigurationLine(child,
          "graceful-runtime: configuration error: GRACEFUL_HTTP_PORT='70000': port out of range; use 0-65535");
    }
  }

  @Test
  void verticleWhoseConstructorThrowsIsAConfigurationErrorNamingTheClassAndTheCause() {
    String type = ThrowingConstructorVerticle.class.getName();
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_VERTICLES", type))) {
      assertEquals(ExitCode.BAD_CONFIGURATION.code(), child.awaitExit(EXIT_BOUND), child.output());
      assertOneConfigurationLine(child, "graceful-runtime: configuration error: GRACEFUL_VERTICLES='" + type
          + "': cannot create " + type + ": java.lang.IllegalStateException: no credentials file (fixture)");
    }
  }

  private static int indexOf(List<String> lines, String contains) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(contains)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The process said exactly {@code expected} about its configuration, with no stack trace, and never bound a port
   * (each server logs "listening" when it does; checking the ports after the exit would prove nothing).
   */
  static void assertOneConfigurationLine(ChildRuntime child, String expected) {
    List<String> lines = child.lines();
    assertEquals(List.of(expected), lines.stream().filter(l -> l.contains("configuration error")).toList(), child.output());
    assertFalse(lines.stream().anyMatch(l -> l.contains("Exception in") || l.startsWith("\tat ")), child.output());
    assertFalse(lines.stream().anyMatch(l -> l.contains("listening")), child.output());
  }

  @Test
  void unknownVerticleClassIsAConfigurationError() {
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_VERTICLES", "com.example.Missing"))) {
      assertEquals(ExitCode.BAD_CONFIGURATION.code(), child.awaitExit(EXIT_BOUND), child.output());
      assertTrue(child.awaitLine("graceful-runtime: configuration error:").contains("class com.example.Missing not found"), child.output());
    }
  }
}
