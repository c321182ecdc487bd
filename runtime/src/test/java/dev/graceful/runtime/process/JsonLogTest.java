package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.graceful.runtime.fixtures.UnhandledExceptionVerticle;
import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.Http;
import dev.graceful.runtime.support.Management;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@code GRACEFUL_LOG_FORMAT=json} in a child JVM: every line the process writes, from start to exit, is one JSON
 * record in the Elastic Common Schema, whoever wrote it (the runtime, Vert.x, a stray println), and the shutdown
 * report's facts are fields.
 */
class JsonLogTest {

  private static final Duration EXIT_BOUND = Duration.ofSeconds(20);

  /** Every line of the child's output as JSON; fails naming the first line that is not. */
  private static List<JsonObject> records(ChildRuntime child) {
    List<JsonObject> records = new ArrayList<>();
    for (String line : child.lines()) {
      if (line.equals("<eof>")) {
        continue;
      }
      try {
        JsonObject record = new JsonObject(line);
        for (String field : List.of("@timestamp", "log.level", "log.logger", "message")) {
          assertTrue(record.containsKey(field), "no " + field + " in " + line);
        }
        records.add(record);
      } catch (DecodeException e) {
        fail("not one JSON record: " + line + "\nwhole output:\n" + child.output());
      }
    }
    return records;
  }

  /** Polls the readiness probe until it answers 200, within {@link #EXIT_BOUND}. */
  private static void awaitReady(int managementPort) {
    long deadline = System.nanoTime() + EXIT_BOUND.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (Http.getWithJdk(managementPort, "/health/ready").status() == 200) {
          return;
        }
      } catch (RuntimeException notYet) {
        // not listening yet
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    fail("not ready within " + EXIT_BOUND);
  }

  @Test
  void aWholeStartDrainExitRunIsJsonLineByLineWithTheReportAsFields() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_LOG_FORMAT", "json", "GRACEFUL_DRAIN_DELAY", "200ms"))) {
      HttpClient client = vertx.createHttpClient();
      CompletableFuture<Http.Reply> inFlight = Http.get(client, child.httpPort, "/delay?ms=1500")
          .toCompletionStage().toCompletableFuture();
      Management.awaitInFlight(client, child.managementPort, "http", "http", 1);
      child.signal("TERM");
      assertEquals(200, inFlight.get().status());
      assertEquals(0, child.awaitExit(EXIT_BOUND), child.output());

      List<JsonObject> records = records(child);
      assertTrue(records.stream().anyMatch(r -> r.getString("message").equals("lifecycle: READY")), child.output());
      JsonObject report = records.stream().filter(r -> r.containsKey("graceful")).findFirst()
          .orElseThrow(() -> new AssertionError("no record with the report's fields:\n" + child.output()));
      assertEquals("dev.graceful.runtime.ShutdownSequence", report.getString("log.logger"));
      assertTrue(report.getString("message").startsWith("shutdown complete: clean in "), report.encode());
      JsonObject fields = report.getJsonObject("graceful");
      assertEquals("shutdown-complete", fields.getString("event"));
      assertEquals("clean", fields.getString("outcome"));
      assertEquals(0, fields.getInteger("exitCode"), "numbers stay numbers");
      assertEquals(1, fields.getInteger("requestsInFlightAtDrainStart"));
      assertTrue(fields.getJsonObject("phases").getJsonObject("drain").getInteger("ms") >= 0);
      assertFalse(child.output().contains("SLF4J"), "fabric8's SLF4J has a provider:\n" + child.output());
    } finally {
      vertx.close();
    }
  }

  @Test
  void anExceptionVertxLogsHasTheErrorFields() {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_LOG_FORMAT", "json",
        "GRACEFUL_VERTICLES", UnhandledExceptionVerticle.class.getName()))) {
      child.awaitLine("timer failed (fixture)");
      child.signal("TERM");
      assertEquals(0, child.awaitExit(EXIT_BOUND), child.output());
      JsonObject error = records(child).stream().filter(r -> r.containsKey("error.type")).findFirst()
          .orElseThrow(() -> new AssertionError("no record with error.type:\n" + child.output()));
      assertEquals("java.lang.IllegalStateException", error.getString("error.type"));
      assertEquals("timer failed (fixture)", error.getString("error.message"));
      assertTrue(error.getString("error.stack_trace").contains("UnhandledExceptionVerticle"), error.encode());
      assertTrue(error.getString("log.logger").startsWith("io.vertx"), "Vert.x's own logger: " + error.encode());
    }
  }

  @Test
  void aConfigurationErrorIsOneJsonRecordWhateverTheLevel() {
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_LOG_FORMAT", "json", "GRACEFUL_HTTP_PORT", "70000",
        "GRACEFUL_LOG_LEVEL", "off"))) {
      assertEquals(ExitCode.BAD_CONFIGURATION.code(), child.awaitExit(EXIT_BOUND), child.output());
      List<JsonObject> records = records(child);
      assertEquals(1, records.size(), child.output());
      assertEquals("graceful-runtime: configuration error: GRACEFUL_HTTP_PORT='70000': port out of range; use 0-65535",
          records.get(0).getString("message"));
      assertEquals("SEVERE", records.get(0).getString("log.level"));
    }
  }

  @Test
  void theLevelAppliesToEveryLoggerAndABadFormatOrLevelIsNamed() {
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_LOG_LEVEL", "warn", "GRACEFUL_DRAIN_DELAY", "0"))) {
      // Nothing at INFO is written, so readiness is seen on the probe, not in the log.
      awaitReady(child.managementPort);
      child.signal("TERM");
      assertEquals(0, child.awaitExit(EXIT_BOUND), child.output());
      assertFalse(child.output().contains(" INFO "), child.output());
    }
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_LOG_FORMAT", "yaml"))) {
      assertEquals(ExitCode.BAD_CONFIGURATION.code(), child.awaitExit(EXIT_BOUND), child.output());
      assertTrue(child.output().contains("graceful-runtime: configuration error: GRACEFUL_LOG_FORMAT='yaml': use text or json"),
          child.output());
    }
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_LOG_LEVEL", "verbose"))) {
      assertEquals(ExitCode.BAD_CONFIGURATION.code(), child.awaitExit(EXIT_BOUND), child.output());
      assertTrue(child.output().contains("GRACEFUL_LOG_LEVEL='verbose': use error, warn, info, debug, trace or off"), child.output());
    }
  }
}
