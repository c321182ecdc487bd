package dev.graceful.runtime.sidecar;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;

/**
 * Polls the proxy's readiness URL until it answers 2xx, bounded by {@code GRACEFUL_SIDECAR_READY_TIMEOUT}. Before the
 * proxy listens the connection is refused, while it starts it answers 503: both mean "not yet". Runs on timers and
 * non-blocking requests only, so it never holds an event loop.
 */
final class ProxyReadinessWait {

  /** Between two polls: proxies get ready in a second or two; a few requests per second cost them nothing. */
  static final Duration POLL_INTERVAL = Duration.ofMillis(200);
  /** Bound on one poll, so one stalled answer cannot eat the whole timeout. */
  static final Duration POLL_TIMEOUT = Duration.ofSeconds(1);

  /** The proxy did not report ready in time; the message names it, its URL, the timeout and the last answer. */
  static final class NotReadyException extends RuntimeException {
    NotReadyException(String message) {
      super(message, null, false, false);
    }
  }

  private final Vertx vertx;
  private final HttpClient client;
  private final MeshSidecar proxy;
  private final Duration timeout;
  private final String timeoutSetting;

  ProxyReadinessWait(Vertx vertx, HttpClient client, MeshSidecar proxy, Duration timeout, String timeoutSetting) {
    this.vertx = vertx;
    this.client = client;
    this.proxy = proxy;
    this.timeout = timeout;
    this.timeoutSetting = timeoutSetting;
  }

  /** Completes with the time waited once the proxy is ready; fails with {@link NotReadyException} at the timeout. */
  Future<Duration> await() {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    Promise<Duration> result = Promise.promise();
    String[] last = {"no answer yet"};
    long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), id -> result.tryFail(new NotReadyException(
        "sidecar " + proxy.container() + " did not report ready at " + proxy.readyUrl() + " within "
            + timeout.toMillis() + " ms (" + timeoutSetting + "); last answer: " + last[0])));
    poll(deadline, last, result);
    return result.future().onComplete(ar -> vertx.cancelTimer(timer)).map(v -> Duration.ofNanos(System.nanoTime() - start));
  }

  private void poll(long deadline, String[] last, Promise<Duration> result) {
    if (result.future().isComplete()) {
      return;
    }
    long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
    long bound = Math.min(POLL_TIMEOUT.toMillis(), left);
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(proxy.readyUrl().toString())
        .setConnectTimeout(bound).setIdleTimeout(bound);
    client.request(options)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> resp.statusCode()))
        .onComplete(ar -> {
          if (ar.succeeded() && ar.result() / 100 == 2) {
            result.tryComplete();
            return;
          }
          last[0] = ar.succeeded() ? "HTTP " + ar.result() : describe(ar.cause());
          vertx.setTimer(POLL_INTERVAL.toMillis(), id -> poll(deadline, last, result));
        });
  }

  private static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root instanceof java.net.ConnectException) {
      return "connection refused";
    }
    return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
  }
}
