package dev.graceful.runtime.server;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.util.concurrent.TimeUnit;

/**
 * One request being answered, from Vert.x's request-begin to its response-end or reset (see {@link RequestTracking}).
 */
final class InFlightRequest {

  private final HttpServerRequest request;
  private final long startNanos = System.nanoTime();

  InFlightRequest(HttpServerRequest request) {
    this.request = request;
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
