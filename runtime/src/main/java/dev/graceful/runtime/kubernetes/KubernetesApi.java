package dev.graceful.runtime.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * Runs blocking fabric8 calls on worker threads, each bounded by the API timeout, and turns failures into one
 * readable cause: {@code 403 Forbidden: pods "x" is forbidden: ...}, {@code API server unreachable: ...}.
 */
final class KubernetesApi {

  static final String UNREACHABLE = "API server unreachable";
  static final String TOO_SLOW = "API server too slow";
  static final String NO_ANSWER = "no answer within";

  private final CompletableFuture<KubernetesClient> client;
  private final Vertx vertx;
  private final Duration timeout;

  /**
   * @param client the client, possibly still being built on a thread of its own (a cold JVM takes a while to load
   *               it); calls wait for it on their worker thread
   */
  KubernetesApi(CompletableFuture<KubernetesClient> client, Vertx vertx, Duration timeout) {
    this.client = client;
    this.vertx = vertx;
    this.timeout = timeout;
  }

  /** The client; blocks while it is still being built, so only on a worker thread or once a call has answered. */
  KubernetesClient client() {
    return client.join();
  }

  /** Closes the client once it is built (at once when it is). */
  void close() {
    client.thenAccept(KubernetesClient::close);
  }

  Duration timeout() {
    return timeout;
  }

  /** Runs {@code call} off the event loop; fails with a {@link KubernetesCallException} naming {@code what}. */
  <T> Future<T> call(String what, Callable<T> call) {
    return call(what, call, timeout);
  }

  /** As {@link #call(String, Callable)}, bounded by {@code bound} instead of the API timeout. */
  <T> Future<T> call(String what, Callable<T> call, Duration bound) {
    Promise<T> result = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, bound.toMillis()), id -> result.tryFail(
        new KubernetesCallException(what, NO_ANSWER + " " + bound.toMillis() + " ms", null, true)));
    vertx.<T>executeBlocking(call, false).onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        result.tryComplete(ar.result());
      } else {
        String why = describe(ar.cause());
        result.tryFail(new KubernetesCallException(what, why, ar.cause(), why.startsWith(UNREACHABLE) || why.startsWith(TOO_SLOW)));
      }
    });
    return result.future();
  }

  /**
   * Waits for {@code pending}, work begun elsewhere (the client's build, the first pod read), without holding a
   * worker thread; fails like {@link #call} at {@code bound} or with the work's own failure.
   */
  <T> Future<T> await(String what, CompletableFuture<T> pending, Duration bound) {
    Promise<T> result = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, bound.toMillis()), id -> result.tryFail(
        new KubernetesCallException(what, NO_ANSWER + " " + bound.toMillis() + " ms", null, true)));
    pending.whenComplete((value, error) -> vertx.runOnContext(v -> {
      vertx.cancelTimer(timer);
      if (error == null) {
        result.tryComplete(value);
      } else {
        String why = describe(error);
        result.tryFail(new KubernetesCallException(what, why, error, why.startsWith(UNREACHABLE) || why.startsWith(TOO_SLOW)));
      }
    }));
    return result.future();
  }

  /** Completes once the client is built (at once when it is), within {@code bound}. */
  Future<KubernetesClient> built(Duration bound) {
    return await("build the Kubernetes client", client, bound);
  }

  static String describe(Throwable t) {
    if (t instanceof KubernetesCallException k) {
      return k.getMessage();
    }
    // Look through wrappers (CompletionException, ...) for the cause a reader can act on.
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof KubernetesClientException k && k.getCode() > 0) {
        String reason = k.getStatus() != null && k.getStatus().getMessage() != null ? k.getStatus().getMessage() : k.getMessage();
        return k.getCode() + (k.getCode() == 403 ? " Forbidden: " : k.getCode() == 404 ? " Not Found: " : ": ") + reason;
      }
      // A connection closed or reset before the answer (EOF, RST) is as transient as a refused one.
      if (c instanceof java.net.SocketException || c instanceof java.net.UnknownHostException || c instanceof java.io.EOFException
          || c instanceof java.net.http.HttpConnectTimeoutException || c instanceof java.nio.channels.ClosedChannelException) {
        return UNREACHABLE + " (" + c.getClass().getSimpleName() + ")";
      }
      if (c instanceof TimeoutException || c instanceof java.net.http.HttpTimeoutException) {
        return TOO_SLOW + " (" + c.getClass().getSimpleName() + ")";
      }
      if (c instanceof KubernetesCallException k) {
        return k.getMessage();
      }
    }
    Throwable root = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  /** Why {@code t} failed, without which call it was: what tells one fault from another. */
  static String reason(Throwable t) {
    return t instanceof KubernetesCallException k ? k.why : describe(t);
  }

  /** A call to the API server failed; the message says which call and why. */
  static final class KubernetesCallException extends RuntimeException {

    private final String why;
    private final boolean transientFailure;

    KubernetesCallException(String what, String why, Throwable cause) {
      this(what, why, cause, false);
    }

    KubernetesCallException(String what, String why, Throwable cause, boolean transientFailure) {
      super(what + " failed: " + why, cause);
      this.why = why;
      this.transientFailure = transientFailure;
    }

    /** A timeout or an unreachable server: worth another try. A 403 or 404 is not. */
    boolean isTransient() {
      return transientFailure;
    }
  }
}
