package dev.graceful.runtime.server;

import io.netty.channel.Channel;
import io.netty.channel.unix.DomainSocketAddress;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * One listening socket on the application's Vert.x, whoever opened it: its connections and the requests in flight on
 * them, and its drain in three steps.
 * <ol>
 *   <li>{@link #announce}: clients are told to go elsewhere while the listener still accepts. HTTP/1.x answers carry
 *   {@code Connection: close} (those in flight whose head is not written yet, and every one that begins from now on),
 *   so a client reusing a pooled connection is told on its answer and closes it itself; every HTTP/2 connection (gRPC
 *   too) gets a GOAWAY with the largest stream id and a PING, whose answer proves the client has seen it (RFC 9113,
 *   6.8), including connections whose first request comes during the window.</li>
 *   <li>{@link #drain}: the listener closes; connections on which no request has begun are closed (after a short look
 *   for a first request already on the wire); WebSockets get their closing handshake; every other one gets Vert.x's
 *   own graceful close (HTTP/1.x after its current response, HTTP/2 once its streams end, streams opened meanwhile
 *   still accepted, a NetSocket's shutdownHandler is called, an upgraded or CONNECT tunnel included).</li>
 *   <li>{@link #cutOff}: whatever is still open is closed, counted and described.</li>
 * </ol>
 */
public final class BoundServer {

  private enum Phase { SERVING, ANNOUNCING, DRAINING }

  /** How long a connection with no request yet gets, once the listener is closed, to show its first one. */
  private static final Duration SILENT_GRACE = Duration.ofMillis(250);
  /** How long an HTTP/2 client announced only at the drain gets to answer the PING before its connection closes. */
  private static final Duration ANNOUNCE_ROUND_TRIP = Duration.ofSeconds(1);
  /** How long an HTTP/2 connection stays open for streams still on the wire once its client has seen the GOAWAY. */
  private static final Duration HTTP2_LINGER = Duration.ofMillis(250);

  private final ServerRegistry registry;
  private final Channel listener;
  private final boolean http;
  private final Map<Channel, TrackedConnection> connections = new ConcurrentHashMap<>();
  private final Promise<Void> drained = Promise.promise();
  private volatile Phase phase = Phase.SERVING;
  /** HTTP/1.x request heads Vert.x read and discarded unanswered (pipelined after a close or the drain's shutdown). */
  final LongAdder discardedRequests = new LongAdder();
  private volatile long discardedBeforeDrain;
  /** The runtime's own server on this listener, once its listen() succeeded. */
  private volatile ServerSpec own;

  BoundServer(ServerRegistry registry, Channel listener, boolean http) {
    this.registry = registry;
    this.listener = listener;
    this.http = http;
    listener.closeFuture().addListener(f -> forgetIfDone());
  }

  /** The bound address; empty before the bind completes, after a failed one, or for a domain socket. */
  public Optional<InetSocketAddress> address() {
    return listener.localAddress() instanceof InetSocketAddress a ? Optional.of(a) : Optional.empty();
  }

  /** The runtime's name for its own servers, else the address the application bound ({@code 0.0.0.0:8081}). */
  public String name() {
    ServerSpec spec = own;
    if (spec != null) {
      return spec.name();
    }
    SocketAddress bound = listener.localAddress();
    if (bound instanceof InetSocketAddress a) {
      return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
    return bound instanceof DomainSocketAddress d ? "unix:" + d.path() : "unbound";
  }

  /** {@code http} or {@code grpc} for the runtime's servers; {@code http} or {@code tcp} for the application's. */
  public String kind() {
    ServerSpec spec = own;
    return spec != null ? spec.kind() : http ? "http" : "tcp";
  }

  /** True for servers the runtime created itself (the demo's, the builder's). */
  public boolean own() {
    return own != null;
  }

  void own(ServerSpec spec) {
    this.own = spec;
  }

  /** Still open (bound, or binding), or it has connections left to drain. */
  public boolean active() {
    return listener.isOpen() || !connections.isEmpty();
  }

  public int openConnections() {
    return connections.size();
  }

  /**
   * HTTP/1.x requests pipelined after a request that closes the connection, or read after the drain told the connection
   * to close: Vert.x discards them unanswered, and their clients send them again on a new connection (RFC 9112 9.3.2).
   */
  public long discardedRequests() {
    return discardedRequests.sum();
  }

  /** {@link #discardedRequests()} since the drain began: requests its clients must send again elsewhere. */
  public int discardedSinceDrainBegan() {
    return (int) Math.min(Integer.MAX_VALUE, discardedRequests.sum() - discardedBeforeDrain);
  }

  public int inFlightRequests() {
    int n = 0;
    for (TrackedConnection c : connections.values()) {
      n += c.inFlight.size();
    }
    return n;
  }

  /** The open connections themselves, for tests of the drain's effect on each. */
  Set<Channel> channels() {
    return Set.copyOf(connections.keySet());
  }

  /** Phases only move forward: a cutoff that fires before the drain begins is not undone by it. */
  private synchronized void advance(Phase to) {
    if (to.ordinal() > phase.ordinal()) {
      phase = to;
    }
  }

  /** A closed listener with no connections left is of no more interest to the registry (the report has its copy). */
  private void forgetIfDone() {
    if (!listener.isOpen() && connections.isEmpty()) {
      registry.forget(this);
    }
  }

  // ---- fed by ListenerTransport, ConnectionGuard and Http2Requests, on event loops ----

  /** A new connection, registered with its event loop (and running on it). */
  void accepted(Channel channel) {
    TrackedConnection connection = new TrackedConnection(this, channel);
    channel.attr(TrackedConnection.KEY).set(connection);
    connections.put(channel, connection);
    channel.closeFuture().addListener(f -> {
      connections.remove(channel);
      connection.closed();
      if (phase == Phase.DRAINING && connections.isEmpty()) {
        drained.tryComplete();
      }
      forgetIfDone();
    });
    if (phase == Phase.DRAINING) {
      // Accepted as the listener closed: no request has been read from it, so it is closed like one never used.
      channel.close();
    }
  }

  /** A request began on {@code connection} (its event loop). */
  void requestBegan(TrackedConnection connection, InFlightRequest entry) {
    if (entry.http2 && phase != Phase.SERVING && !connection.announced) {
      // A connection opened during the window: its first stream is accepted, and it is told like the others (after
      // the frame that opened the stream is decoded, not in the middle of it).
      connection.announced = true;
      connection.channel.eventLoop().execute(() -> VertxChannels.announceHttp2(connection.channel));
    }
  }

  /** From the announcement on: HTTP/1.x answers carry {@code Connection: close}. */
  boolean announcing() {
    return phase != Phase.SERVING;
  }

  // ---- the drain ----

  /**
   * Step 1: tells every client to go elsewhere; completes when the HTTP/2 clients have answered the PING and the
   * HTTP/1.x clients have closed their connections, or after {@code bound}.
   */
  public Future<Void> announce(Vertx timers, Duration bound) {
    discardedBeforeDrain = discardedRequests.sum();
    advance(Phase.ANNOUNCING); // from now on HTTP/1.x answers carry Connection: close (see TrackedConnection.http1Answers)
    List<Future<?>> answered = new ArrayList<>();
    for (TrackedConnection connection : connections.values()) {
      Promise<Void> done = Promise.promise();
      answered.add(done.future());
      Channel channel = connection.channel;
      channel.eventLoop().execute(() -> {
        switch (VertxChannels.protocol(channel, http)) {
          case HTTP_2 -> {
            if (connection.announced) {
              done.tryComplete();
            } else {
              connection.announced = true;
              VertxChannels.announceHttp2(channel).onComplete(ar -> done.tryComplete());
            }
          }
          // HTTP/1.x: the client closes once it has read an answer with Connection: close.
          case HTTP_1 -> channel.closeFuture().addListener(f -> done.tryComplete());
          default -> done.tryComplete();
        }
      });
    }
    if (answered.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    long timer = timers.setTimer(Math.max(1, bound.toMillis()), id -> done.tryComplete());
    Future.join(answered).onComplete(ar -> {
      timers.cancelTimer(timer);
      done.tryComplete();
    });
    return done.future();
  }

  /**
   * Step 2: stops listening and starts Vert.x's graceful close on every connection; completes once every connection
   * is closed. {@code backstop} is when Vert.x closes what is left by itself: later than the runtime's cutoff.
   */
  public Future<Void> drain(Duration backstop) {
    advance(Phase.DRAINING);
    listener.close();
    for (TrackedConnection connection : connections.values()) {
      connection.channel.eventLoop().execute(() -> drain(connection, backstop, true));
    }
    if (connections.isEmpty()) {
      drained.tryComplete();
    }
    return drained.future();
  }

  /** One connection's part of step 2, on its event loop. */
  private void drain(TrackedConnection connection, Duration backstop, boolean firstLook) {
    Channel channel = connection.channel;
    switch (VertxChannels.protocol(channel, http)) {
      case HTTP_UNDETECTED -> {
        if (connection.sawRequest) {
          // After a request it is an upgraded or CONNECT tunnel, the application's own protocol: told like a NetSocket.
          VertxChannels.shutdown(channel, backstop);
        } else if (firstLook) {
          // No request has begun on it. A client that connected a moment ago may have its first one on the wire:
          // look again shortly, and close it only if it is still silent.
          channel.eventLoop().schedule(() -> drain(connection, backstop, false), SILENT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } else {
          channel.close();
        }
      }
      case WEBSOCKET -> channel.close();
      case HTTP_2 -> {
        // Vert.x closes an HTTP/2 connection the moment it has no stream left; a client may still have a stream on
        // the wire that it committed to before it read the GOAWAY (the PING's answer is written by the client's
        // codec ahead of such writes). So the close comes a moment later, and such a stream is served, not lost.
        Runnable close = once(() -> channel.eventLoop().schedule(() -> VertxChannels.shutdown(channel, backstop),
            HTTP2_LINGER.toMillis(), TimeUnit.MILLISECONDS));
        if (connection.announced) {
          close.run();
        } else {
          // Opened during the announce window, no stream yet: announce it first, close once the client has seen it.
          connection.announced = true;
          VertxChannels.announceHttp2(channel).onComplete(ar -> channel.eventLoop().execute(close));
          channel.eventLoop().schedule(close, ANNOUNCE_ROUND_TRIP.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
      default -> VertxChannels.shutdown(channel, backstop);
    }
  }

  private static Runnable once(Runnable action) {
    AtomicBoolean done = new AtomicBoolean();
    return () -> {
      if (done.compareAndSet(false, true)) {
        action.run();
      }
    };
  }

  /**
   * Step 3, at the deadline: closes every connection still open; returns what was cut, one line per request in
   * flight (a tunnel's, CONNECT or toNetSocket, included), or per connection where no request is known (a NetSocket,
   * a WebSocket).
   */
  public DrainOutcome cutOff(int inFlightAtStart) {
    advance(Phase.DRAINING);
    listener.close();
    List<TrackedConnection> open = new ArrayList<>(connections.values());
    long now = System.nanoTime();
    List<String> cut = new ArrayList<>();
    for (TrackedConnection connection : open) {
      // One walk: a request that ends between an emptiness check and the walk must not leave the connection unlisted.
      int before = cut.size();
      connection.inFlight.forEach(r -> cut.add(r.describe(now)));
      if (cut.size() == before) {
        cut.add(kind() + " connection from " + LogText.escape(connection.remote()));
      }
    }
    open.forEach(c -> c.channel.close());
    return new DrainOutcome(name(), kind(), inFlightAtStart, open.size(), cut, discardedSinceDrainBegan());
  }
}
