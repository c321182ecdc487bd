package dev.graceful.runtime.shutdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.support.Await;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The process's wait for its shutdown follows the budget as phases move it, and stops one grace past the deadline. */
class DeadlineWaitTest {

  private static final Duration GRACE = Duration.ofMillis(400);

  private Vertx vertx;

  @BeforeEach
  void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void close() {
    Await.result(vertx.close());
  }

  @Test
  void aDeadlineMovedLaterAfterTheWaitBeganIsHonoured() throws Exception {
    ShutdownBudget budget = new ShutdownBudget(vertx, Duration.ofMillis(300));
    CompletableFuture<String> report = new CompletableFuture<>();
    // As the Kubernetes phase does: the pod's deadline turns out longer than the configured budget.
    vertx.setTimer(100, id -> budget.setTotal(Duration.ofMillis(3000)));
    vertx.setTimer(1500, id -> report.complete("drained"));
    long start = System.nanoTime();
    assertEquals("drained", new DeadlineWait(budget, GRACE).await(report));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(tookMs >= 1400, "returned after " + tookMs + " ms, before the report");
  }

  @Test
  void aDeadlineMovedEarlierEndsTheWaitThen() {
    ShutdownBudget budget = new ShutdownBudget(vertx, Duration.ofSeconds(30));
    vertx.setTimer(100, id -> budget.setTotal(Duration.ofMillis(300)));
    long start = System.nanoTime();
    assertThrows(TimeoutException.class, () -> new DeadlineWait(budget, GRACE).await(new CompletableFuture<>()));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    // 300 ms deadline + half the grace; the margin is for a busy machine, far below the 30 s first configured.
    assertTrue(tookMs >= 450 && tookMs < 2000, "gave up after " + tookMs + " ms");
  }

  @Test
  void theGraceIsSharedByEverythingPastTheDeadline() {
    ShutdownBudget budget = new ShutdownBudget(vertx, Duration.ofMillis(200));
    DeadlineWait wait = new DeadlineWait(budget, GRACE);
    assertThrows(TimeoutException.class, () -> wait.await(new CompletableFuture<>()));
    Duration left = wait.graceLeft();
    assertTrue(left.compareTo(GRACE.dividedBy(2)) <= 0, "after waiting half the grace for the report, " + left.toMillis() + " ms left");
    Await.result(vertx.timer(left.toMillis() + 10));
    assertEquals(Duration.ZERO, wait.graceLeft());
  }

  @Test
  void aSecondSignalEndsTheWaitAtOnce() {
    ShutdownBudget budget = new ShutdownBudget(vertx, Duration.ofSeconds(30));
    vertx.setTimer(100, id -> budget.force());
    long start = System.nanoTime();
    assertThrows(TimeoutException.class, () -> new DeadlineWait(budget, GRACE).await(new CompletableFuture<>()));
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertTrue(tookMs < 2000, "gave up " + tookMs + " ms after a forced shutdown");
  }

  @Test
  void doneBeforeTheDeadlineLeavesTheRestOfTheBudgetPlusTheGrace() throws Exception {
    ShutdownBudget budget = new ShutdownBudget(vertx, Duration.ofSeconds(30));
    DeadlineWait wait = new DeadlineWait(budget, GRACE);
    assertEquals("drained", wait.await(CompletableFuture.completedFuture("drained")));
    Duration left = wait.graceLeft();
    assertTrue(left.compareTo(Duration.ofSeconds(29)) > 0 && left.compareTo(Duration.ofSeconds(30).plus(GRACE)) <= 0,
        left.toMillis() + " ms");
  }
}
