package dev.graceful.runtime.support;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Bounded waits on Vert.x futures from a test thread. */
public final class Await {

  public static final Duration DEFAULT = Duration.ofSeconds(20);
  private static final Duration POLL_PAUSE = Duration.ofMillis(10);

  private Await() {
  }

  public static <T> T result(Future<T> future) {
    return result(future, DEFAULT);
  }

  public static <T> T result(Future<T> future, Duration timeout) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("future failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new AssertionError("future not completed within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted");
    }
  }

  /**
   * A short pause between two polls of something that has no event to wait on (a port, a scrape): spinning instead
   * would take a whole core from the runtime under test on a 2-core machine.
   */
  public static void pause() {
    try {
      Thread.sleep(POLL_PAUSE.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted");
    }
  }

  /** Polls {@code condition} until it holds, at most {@link #DEFAULT}; fails naming {@code what} it waited for. */
  public static void until(java.util.function.BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + DEFAULT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      pause();
    }
  }

  /** The failure of a future that must fail within the default timeout. */
  public static Throwable failure(Future<?> future) {
    try {
      future.toCompletionStage().toCompletableFuture().get(DEFAULT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      throw new AssertionError("future not completed within " + DEFAULT.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted");
    }
    throw new AssertionError("future succeeded but a failure was expected");
  }
}
