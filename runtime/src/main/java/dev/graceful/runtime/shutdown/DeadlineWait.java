package dev.graceful.runtime.shutdown;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How long the process waits for its shutdown: until the budget's deadline, wherever a phase has moved it since the
 * signal (on Kubernetes the pod's own deadline replaces the configured budget), then a small grace.
 */
public final class DeadlineWait {

  /** How often the deadline is re-read while waiting: it can move later (a longer grace period) or earlier. */
  private static final Duration STEP = Duration.ofMillis(100);

  private final ShutdownBudget budget;
  private final Duration grace;

  /**
   * @param budget the shutdown's budget, as the phases see it
   * @param grace  time allowed past the deadline
   */
  public DeadlineWait(ShutdownBudget budget, Duration grace) {
    this.budget = budget;
    this.grace = grace;
  }

  /**
   * Waits for {@code done} until the deadline (or a second signal), then for at most the grace.
   *
   * @throws TimeoutException when {@code done} has not completed by then
   */
  public <T> T await(CompletableFuture<T> done) throws InterruptedException, ExecutionException, TimeoutException {
    Duration left;
    while (!(left = budget.remaining(Duration.ZERO)).isZero()) {
      try {
        return done.get(Math.max(1, Math.min(left.toMillis(), STEP.toMillis())), TimeUnit.MILLISECONDS);
      } catch (TimeoutException notYet) {
        // Not done: re-read the deadline, a phase may have moved it.
      }
    }
    return done.get(grace.toMillis(), TimeUnit.MILLISECONDS);
  }
}
