package dev.graceful.runtime.server;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * What the drain knows about one connection, kept on its channel: its server, the requests in flight on it, and its
 * history (a request began on it; it was told about the shutdown), which its pipeline alone cannot tell.
 *
 * <p>Requests are seen in the connection's Netty pipeline, below every handler of the application: HTTP/1.x by
 * {@link ConnectionGuard} (decoded heads in, responses out), HTTP/2 by {@link Http2Requests} (Netty's stream
 * lifecycle). Not through Vert.x's metrics SPI, which tracked them before: with an HTTP server metrics object present,
 * Vert.x counts bytes and takes its connection's lock on every read, write and request, and the steady benchmark
 * measured that at 5% of the CPU per HTTP/1.1 request and 3.5% per HTTP/2 request.
 */
final class TrackedConnection {

  static final AttributeKey<TrackedConnection> KEY = AttributeKey.valueOf("graceful.connection");

  final BoundServer server;
  final Channel channel;
  /** Read from any thread (the metrics, the report); changed on the event loop only. */
  final InFlightList inFlight = new InFlightList();
  /** HTTP/1.x requests in the order their answers go out (pipelining); event loop only. */
  private final ArrayDeque<InFlightRequest> http1 = new ArrayDeque<>(2);
  /** A request began on it: closing it is never closing "a connection with no request". */
  volatile boolean sawRequest;
  /** HTTP/2: it got the shutdown's first GOAWAY and PING. */
  volatile boolean announced;
  /** When the bytes being read now came, noted at the first request they carry; event loop only. */
  private long readNanos = NOT_NOTED;

  private static final long NOT_NOTED = Long.MIN_VALUE;

  TrackedConnection(BoundServer server, Channel channel) {
    this.server = server;
    this.channel = channel;
  }

  static TrackedConnection of(Channel channel) {
    return channel == null ? null : channel.attr(KEY).get();
  }

  /** The client's address as {@code host:port}. */
  String remote() {
    SocketAddress address = channel.remoteAddress();
    return address instanceof InetSocketAddress inet ? inet.getHostString() + ":" + inet.getPort() : String.valueOf(address);
  }

  /** ConnectionGuard: the connection is reading new bytes. */
  void newRead() {
    readNanos = NOT_NOTED;
  }

  /**
   * When the bytes being read came: one clock read per read that begins requests, not one per request (an HTTP/2
   * read often carries many streams' HEADERS).
   */
  long readTime() {
    if (readNanos == NOT_NOTED) {
      readNanos = System.nanoTime();
    }
    return readNanos;
  }

  // ---- HTTP/1.x, from ConnectionGuard on the event loop ----

  /** A request head was decoded and goes on to Vert.x; its first byte came at {@code startNanos}. */
  void http1Began(HttpRequest request, long startNanos) {
    InFlightRequest entry = new InFlightRequest(this, request.method().name(), request.uri(), false, startNanos);
    http1.addLast(entry);
    began(entry);
  }

  /** A request head Vert.x reads and discards unanswered (see ConnectionGuard): counted, not in flight. */
  void http1Discarded() {
    server.discardedRequests.increment();
  }

  /**
   * The head of the oldest request's final answer goes out. During the drain it gets {@code Connection: close}, so the
   * client closes the connection after this answer instead of reusing it while the server goes away, whatever the
   * application's handlers do; not on an answer that turns the connection into a tunnel, which the header would break.
   */
  void http1Answers(HttpResponse response) {
    InFlightRequest entry = http1.peekFirst();
    if (entry != null && server.announcing() && !switchesProtocol(entry, response)) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
  }

  private static boolean switchesProtocol(InFlightRequest request, HttpResponse response) {
    return response.status().code() == 101 || HttpMethod.CONNECT.name().contentEquals(request.method)
        || response.headers().contains(HttpHeaderNames.UPGRADE);
  }

  /** The oldest request's answer was handed to the codec whole. */
  void http1Ended() {
    InFlightRequest entry = http1.pollFirst();
    if (entry != null) {
      ended(entry);
    }
  }

  // ---- both protocols ----

  void began(InFlightRequest entry) {
    if (!sawRequest) {
      sawRequest = true; // a volatile write costs a fence: once per connection, not per request
    }
    inFlight.add(entry);
    server.requestBegan(this, entry);
  }

  void ended(InFlightRequest entry) {
    inFlight.remove(entry);
  }

  /** The connection closed: whatever it still had goes with it rather than stay counted for ever. */
  void closed() {
    inFlight.clear();
  }
}
