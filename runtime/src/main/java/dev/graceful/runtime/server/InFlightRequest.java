package dev.graceful.runtime.server;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.util.concurrent.TimeUnit;

/**
 * One request being answered, from Vert.x's request-begin to its response-end or reset (see {@link RequestTracking}).
 * It is also the request's metric object, the one Vert.x hands back at each later report, so tracking a request
 * costs one allocation.
 */
final class InFlightRequest {

  /** Its connection; null when the connection is not one the runtime tracks (then only {@link #also} matters). */
  final TrackedConnection connection;
  final HttpServerRequest request;
  /** The delegate's metric for this request (Micrometer's, with {@code GRACEFUL_VERTX_METRICS}), or null. */
  final Object also;
  private final long startNanos;

  InFlightRequest(TrackedConnection connection, HttpServerRequest request, Object also) {
    this.connection = connection;
    this.request = request;
    this.also = also;
    this.startNanos = connection == null ? 0 : System.nanoTime();
  }

  boolean http2() {
    return request.version() == HttpVersion.HTTP_2;
  }

  /**
   * Adds {@code Connection: close} to this HTTP/1.x request's response, so the client closes the connection after this
   * answer instead of reusing it while the server goes away (HTTP/2 forbids the header; GOAWAY does this job there).
   * Called from Vert.x's response-begin report, which comes just before the head is encoded: every answer that begins
   * during the drain carries it, whatever the application's handlers do.
   */
  void askToClose(HttpServerResponse response) {
    try {
      response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    } catch (IllegalStateException headWritten) {
      // cannot happen from response-begin; a head already out goes without it, and the drain closes the connection
    }
  }

  /** Method, URI and age for the cut list; the URI is the client's, so it is escaped (no control characters). */
  String describe(long nowNanos) {
    return request.method() + " " + LogText.escape(request.uri()) + " (" + TimeUnit.NANOSECONDS.toMillis(nowNanos - startNanos)
        + " ms, " + LogText.escape(String.valueOf(request.remoteAddress())) + ")";
  }
}
