package dev.graceful.runtime;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Start-up work that the critical path needs only later, begun on a thread of its own so it overlaps the creation of
 * the Vert.x instances instead of adding to it (the idea of Spring Boot's BackgroundPreinitializer). A cold JVM
 * spends most of its start loading classes; on two cores the Prometheus registry and Jackson's ObjectMapper load in
 * parallel with Netty and Vert.x. bench/run.sh startup measures the effect.
 */
final class BackgroundStart {

  private BackgroundStart() {
  }

  /** Runs {@code work} on a new daemon thread; the future completes with its result or its failure. */
  static <T> CompletableFuture<T> begin(String what, Supplier<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread thread = new Thread(() -> {
      try {
        result.complete(work.get());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    }, "graceful-start-" + what);
    thread.setDaemon(true);
    thread.start();
    return result;
  }

  /**
   * Loads Vert.x's JSON codec (Jackson databind when it is on the class path, as fabric8 puts it there): the first
   * probe answer would otherwise pay for it on the management event loop, while the kubelet waits.
   */
  static void warmJson() {
    begin("json", () -> new JsonObject().put("status", "UP").encode());
  }
}
