package dev.graceful.runtime;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Ends a Vert.x instance's threads without its close: for after a forced shutdown, or a close past its bound. Vert.x's
 * close undeploys every verticle first and waits for each stop, so a verticle whose stop never completes keeps its
 * event loops and workers, none of them daemon threads, alive for good, and with them the JVM of a host whose
 * {@code main} returns. Uses Vert.x internals (VertxInternal, WorkerPool); EmbeddingHostTest shows the JVM ending.
 */
final class VertxHalt {

  private static final Logger LOG = Logger.getLogger(VertxHalt.class.getName());

  private VertxHalt() {
  }

  /** Interrupts the worker pools and ends the event loops now; a thread stuck in a busy loop cannot be ended. */
  static void halt(Vertx vertx, Duration bound) {
    if (!(vertx instanceof VertxInternal internal)) {
      return;
    }
    try {
      internal.workerPool().executor().shutdownNow();
      internal.internalWorkerPool().executor().shutdownNow();
      var acceptors = internal.acceptorEventLoopGroup().shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      var loops = internal.nettyEventLoopGroup().shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      long ms = Math.max(1, bound.toMillis());
      if (!acceptors.await(ms) || !loops.await(ms)) {
        LOG.warning("Vert.x's event loops did not end within " + ms + " ms: a handler is stuck on one of them");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warning("could not end Vert.x's threads: " + e);
    }
  }
}
