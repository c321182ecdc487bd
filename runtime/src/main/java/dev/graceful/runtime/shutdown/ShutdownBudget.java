package dev.graceful.runtime.shutdown;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * The one deadline every shutdown phase shares. Phases ask for a {@link #cutoff(Duration) cutoff}: a future that
 * completes when only a given reserve of the budget is left, or at once when the shutdown is
 * {@link #force() forced} (a second signal).
 */
public final class ShutdownBudget {

  private final Vertx timers;
  private final long startNanos;
  private final Duration configured;
  private volatile long deadlineNanos;
  private final Promise<Void> forced = Promise.promise();

  /**
   * @param timers a Vert.x instance whose event loop is not busy with application traffic
   * @param total  time from now to the hard deadline
   */
  public ShutdownBudget(Vertx timers, Duration total) {
    this(timers, total, System.nanoTime());
  }

  /** @param startNanos when the shutdown was asked for ({@link System#nanoTime()}), e.g. the signal's arrival */
  public ShutdownBudget(Vertx timers, Duration total, long startNanos) {
    this.timers = timers;
    this.startNanos = startNanos;
    this.configured = total;
    this.deadlineNanos = startNanos + total.toNanos();
  }

  /**
   * Moves the deadline to {@code total} after the start of the shutdown: the platform knows it better than the
   * configuration (Kubernetes' SIGKILL time). Affects cutoffs asked for from now on.
   */
  public void setTotal(Duration total) {
    this.deadlineNanos = startNanos + total.toNanos();
  }

  /**
   * A configured duration (a wait, a reserve) shrunk in proportion when the deadline leaves less time than the
   * configured budget, so a short grace period still leaves every phase its share.
   */
  public Duration scaled(Duration configuredPart) {
    long total = deadlineNanos - startNanos;
    if (total >= configured.toNanos() || configured.isZero()) {
      return configuredPart;
    }
    return Duration.ofNanos((long) (configuredPart.toNanos() * ((double) total / configured.toNanos())));
  }

  public Duration total() {
    return Duration.ofNanos(deadlineNanos - startNanos);
  }

  public Duration elapsed() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** Time left before the deadline minus {@code reserve}; never negative, zero once forced. */
  public Duration remaining(Duration reserve) {
    if (isForced()) {
      return Duration.ZERO;
    }
    long left = deadlineNanos - reserve.toNanos() - System.nanoTime();
    return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
  }

  /** Completes when only {@code reserve} of the budget is left, or as soon as the shutdown is forced. */
  public Future<Void> cutoff(Duration reserve) {
    return after(remaining(reserve));
  }

  /** Completes after {@code delay}, or earlier at the cutoff for {@code reserve}, or when forced. */
  public Future<Void> sleep(Duration delay, Duration reserve) {
    Duration left = remaining(reserve);
    return after(delay.compareTo(left) < 0 ? delay : left);
  }

  /** A timer that a forced shutdown ends at once. */
  private Future<Void> after(Duration delay) {
    if (delay.toMillis() <= 0) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    long timer = timers.setTimer(delay.toMillis(), id -> done.tryComplete());
    forced.future().onComplete(ar -> {
      timers.cancelTimer(timer);
      done.tryComplete();
    });
    return done.future();
  }

  /** Skips every remaining wait: what a second signal does. */
  public void force() {
    forced.tryComplete();
  }

  public boolean isForced() {
    return forced.future().isComplete();
  }
}
