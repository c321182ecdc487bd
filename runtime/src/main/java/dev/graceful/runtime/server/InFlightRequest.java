package dev.graceful.runtime.server;

import java.util.concurrent.TimeUnit;

/**
 * One request being answered: on HTTP/1.x from its decoded head to its response's last content handed to the codec
 * (a WebSocket's {@code 101} included; a tunnel's, CONNECT or {@code toNetSocket()}, stays in flight while the tunnel
 * is open), on HTTP/2 from its first HEADERS to its stream's close (see {@link TrackedConnection}).
 */
final class InFlightRequest {

  final TrackedConnection connection;
  /** As the codec decoded them (HTTP/2: its header values, not copied into Strings on the request path). */
  final CharSequence method;
  /** The client's, unescaped: escape before logging. */
  final CharSequence uri;
  final boolean http2;
  private final long startNanos;
  /** The connection's {@link InFlightList}: the next older request (read from any thread, through its VarHandle). */
  InFlightRequest next;
  /** The next newer request; event loop only. */
  InFlightRequest prev;
  /** Out of the list: ended, or its connection closed; event loop only. */
  boolean unlinked;

  InFlightRequest(TrackedConnection connection, CharSequence method, CharSequence uri, boolean http2, long startNanos) {
    this.connection = connection;
    this.startNanos = startNanos;
    this.method = method;
    this.uri = uri;
    this.http2 = http2;
  }

  /** Method, URI and age for the cut list; the URI is the client's, so it is escaped (no control characters). */
  String describe(long nowNanos) {
    return LogText.escape(String.valueOf(method)) + " " + LogText.escape(uri == null ? "" : uri.toString()) + " (" + TimeUnit.NANOSECONDS.toMillis(nowNanos - startNanos)
        + " ms, " + LogText.escape(connection.remote()) + ")";
  }
}
