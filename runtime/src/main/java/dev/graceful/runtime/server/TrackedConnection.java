package dev.graceful.runtime.server;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the drain knows about one connection, kept on its channel: its server, the requests in flight on it, and its
 * history (a request began on it; it was told about the shutdown), which its pipeline alone cannot tell.
 */
final class TrackedConnection {

  static final AttributeKey<TrackedConnection> KEY = AttributeKey.valueOf("graceful.connection");

  final BoundServer server;
  final Channel channel;
  final Set<InFlightRequest> inFlight = ConcurrentHashMap.newKeySet();
  /** A request began on it: closing it is never closing "a connection with no request". */
  volatile boolean sawRequest;
  /** HTTP/2: it got the shutdown's first GOAWAY and PING. */
  volatile boolean announced;

  TrackedConnection(BoundServer server, Channel channel) {
    this.server = server;
    this.channel = channel;
  }

  static TrackedConnection of(Channel channel) {
    return channel == null ? null : channel.attr(KEY).get();
  }
}
