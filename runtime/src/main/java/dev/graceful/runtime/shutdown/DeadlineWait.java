package dev.graceful.runtime.shutdown;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How long the process waits for its shutdown: until the budget's deadline, wherever a phase has moved it since the
 * signal (on Kubernetes the pod's own deadline replaces the configured budget), then one small grace. That grace is
 * all the process takes past the deadline: the last phase's report, the mesh proxy's quit and closing Vert.x share it.
 */
public final class DeadlineWait {

  /** How often the deadline is re-read while waiting: it can move later (a longer grace period) or earlier. */
  private static final Duration STEP = Duration.ofMillis(100);

  private final ShutdownBudget budget;
  private final Duration grace;
  private volatile long graceEndsNanos;
  private volatile boolean graceFixed;

  /**
   * @param budget the shutdown's budget, as the phases see it
   * @param grace  time allowed past the deadline, in all, before the process exits
   */
  public DeadlineWait(ShutdownBudget budget, Duration grace) {
    this.budget = budget;
    this.grace = grace;
  }

  /**
   * Waits for {@code done} until the deadline (or a second signal), then for at most half the grace, so what comes
   * after (the proxy's quit, closing Vert.x) keeps at least the other half.
   *
   * @throws TimeoutException when {@code done} has not completed by then
   */
  public <T> T await(CompletableFuture<T> done) throws InterruptedException, ExecutionException, TimeoutException {
    try {
      Duration left;
      while (!(left = budget.remaining(Duration.ZERO)).isZero()) {
        try {
          return done.get(Math.max(1, Math.min(left.toMillis(), STEP.toMillis())), TimeUnit.MILLISECONDS);
        } catch (TimeoutException notYet) {
          // Not done: re-read the deadline, a phase may have moved it.
        }
      }
      fixGraceEnd();
      return done.get(grace.dividedBy(2).toMillis(), TimeUnit.MILLISECONDS);
    } finally {
      fixGraceEnd();
    }
  }

  /**
   * Time left until the deadline plus the grace, the deadline as it stood when {@link #await} ended: what the steps
   * after it may still take. Zero once used up.
   */
  public Duration graceLeft() {
    fixGraceEnd();
    long left = graceEndsNanos - System.nanoTime();
    return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
  }

  private synchronized void fixGraceEnd() {
    if (!graceFixed) {
      graceEndsNanos = System.nanoTime() + budget.remaining(Duration.ZERO).toNanos() + grace.toNanos();
      graceFixed = true;
    }
  }
}
