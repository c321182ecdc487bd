package dev.graceful.runtime.shutdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.support.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ShutdownCoordinatorTest {

  private Vertx vertx;

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() {
    Await.result(vertx.close());
  }

  private static ShutdownPhase phase(String name, java.util.function.Function<ShutdownBudget, Future<PhaseResult>> body) {
    return new ShutdownPhase() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Future<PhaseResult> run(ShutdownBudget budget) {
        return body.apply(budget);
      }
    };
  }

  @Test
  void runsPhasesInOrderAndRecordsEachDuration() {
    List<String> order = new ArrayList<>();
    Map<String, Duration> timed = new ConcurrentHashMap<>();
    ShutdownCoordinator coordinator = new ShutdownCoordinator(List.of(
        phase("a", b -> {
          order.add("a");
          return b.sleep(Duration.ofMillis(100), Duration.ZERO).map(PhaseResult.completed());
        }),
        phase("b", b -> {
          order.add("b");
          return Future.succeededFuture(PhaseResult.completed(new JsonObject().put("k", 1)));
        })), timed::put);
    ShutdownReport report = Await.result(coordinator.run(new ShutdownBudget(vertx, Duration.ofSeconds(5))));
    assertEquals(List.of("a", "b"), order);
    assertEquals(List.of("a", "b"), List.copyOf(report.phases().keySet()));
    assertTrue(report.phases().get("a").duration().toMillis() >= 100);
    assertEquals(1, report.detail("b", "k"));
    assertFalse(report.forced());
    assertEquals(0, report.exitCode().code());
    assertEquals(timed.keySet(), report.phases().keySet());
  }

  @Test
  void aCutOffPhaseMakesTheShutdownForcedAndLaterPhasesStillRun() {
    List<String> order = new ArrayList<>();
    ShutdownCoordinator coordinator = new ShutdownCoordinator(List.of(
        phase("drain", b -> Future.succeededFuture(new PhaseResult(true, new JsonObject()))),
        phase("stop", b -> {
          order.add("stop");
          return Future.succeededFuture(PhaseResult.completed());
        })), (n, d) -> { });
    ShutdownReport report = Await.result(coordinator.run(new ShutdownBudget(vertx, Duration.ofSeconds(5))));
    assertEquals(List.of("stop"), order);
    assertTrue(report.forced());
    assertEquals(4, report.exitCode().code());
    assertEquals("forced", report.toJson().getString("outcome"));
  }

  @Test
  void aFailingOrThrowingPhaseIsRecordedAndDoesNotStopTheShutdown() {
    ShutdownCoordinator coordinator = new ShutdownCoordinator(List.of(
        phase("fails", b -> Future.failedFuture(new IllegalStateException("boom"))),
        phase("throws", b -> {
          throw new IllegalStateException("bang");
        }),
        phase("last", b -> Future.succeededFuture(PhaseResult.completed()))), (n, d) -> { });
    ShutdownReport report = Await.result(coordinator.run(new ShutdownBudget(vertx, Duration.ofSeconds(5))));
    assertEquals(List.of("fails", "throws", "last"), List.copyOf(report.phases().keySet()));
    assertTrue(report.forced());
    assertTrue(String.valueOf(report.detail("fails", "error")).contains("boom"));
  }

  @Test
  void forcingEndsWaitsAtOnce() {
    ShutdownBudget budget = new ShutdownBudget(vertx, Duration.ofSeconds(60));
    Future<Void> cutoff = budget.cutoff(Duration.ZERO);
    Future<Void> sleep = budget.sleep(Duration.ofSeconds(30), Duration.ZERO);
    assertFalse(cutoff.isComplete());
    budget.force();
    Await.result(cutoff, Duration.ofSeconds(1));
    Await.result(sleep, Duration.ofSeconds(1));
    assertTrue(budget.isForced());
    assertEquals(Duration.ZERO, budget.remaining(Duration.ZERO));
  }

  @Test
  void cutoffKeepsTheReserve() {
    ShutdownBudget budget = new ShutdownBudget(vertx, Duration.ofMillis(600));
    long start = System.nanoTime();
    Await.result(budget.cutoff(Duration.ofMillis(400)), Duration.ofSeconds(2));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(tookMs >= 150 && tookMs < 450, "cutoff with 400 ms reserved of 600 ms fired after " + tookMs + " ms");
    assertTrue(budget.cutoff(Duration.ofSeconds(1)).isComplete(), "a reserve larger than what is left cuts off at once");
  }

  @Test
  void sleepIsCappedByTheReserve() {
    ShutdownBudget budget = new ShutdownBudget(vertx, Duration.ofMillis(500));
    long start = System.nanoTime();
    Await.result(budget.sleep(Duration.ofSeconds(30), Duration.ofMillis(300)), Duration.ofSeconds(2));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(tookMs < 450, "a 30 s sleep in a 500 ms budget with 300 ms reserved took " + tookMs + " ms");
  }
}
