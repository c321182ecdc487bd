package dev.graceful.runtime.server;

import dev.graceful.runtime.server.VertxChannels.Protocol;
import io.netty.channel.Channel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One listening socket on the application's Vert.x, whoever opened it: its connections and the requests in flight on
 * them, and its drain in three steps.
 * <ol>
 *   <li>{@link #announce}: clients are told to go elsewhere while the listener still accepts. HTTP/1.x answers carry
 *   {@code Connection: close} (those in flight whose head is not written yet, and every one that begins from now on),
 *   so a client reusing a pooled connection is told on its answer and closes it itself; every HTTP/2 connection (gRPC
 *   too) gets a GOAWAY with the largest stream id and a PING, whose answer proves the client has seen it (RFC 9113,
 *   6.8), including connections whose first request comes during the window.</li>
 *   <li>{@link #drain}: the listener closes; connections on which no request can be in flight (an HTTP connection
 *   whose first bytes never came) are closed; WebSockets get their closing handshake; every other one gets Vert.x's
 *   own graceful close (HTTP/1.x after its current response, HTTP/2 a final GOAWAY with the last stream it accepted
 *   while its streams run on, a NetSocket's shutdownHandler is called).</li>
 *   <li>{@link #cutOff}: whatever is still open is closed, counted and described.</li>
 * </ol>
 */
public final class BoundServer {

  private enum Phase { SERVING, ANNOUNCING, DRAINING }

  private final ServerRegistry registry;
  private final Channel listener;
  private final boolean http;
  private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
  private final Map<InFlightRequest, Boolean> inFlight = new ConcurrentHashMap<>();
  private final Set<HttpConnection> announced = ConcurrentHashMap.newKeySet();
  private final Promise<Void> drained = Promise.promise();
  private volatile Phase phase = Phase.SERVING;

  BoundServer(ServerRegistry registry, Channel listener, boolean http) {
    this.registry = registry;
    this.listener = listener;
    this.http = http;
  }

  /** The bound address; empty before the bind completes, after a failed one, or for a domain socket. */
  public Optional<InetSocketAddress> address() {
    return listener.localAddress() instanceof InetSocketAddress a ? Optional.of(a) : Optional.empty();
  }

  /** The runtime's name for its own servers, else the address the application bound ({@code 0.0.0.0:8081}). */
  public String name() {
    Optional<InetSocketAddress> address = address();
    return address.flatMap(a -> registry.ownServer(a.getPort())).map(ServerSpec::name)
        .orElseGet(() -> address.map(a -> a.getAddress().getHostAddress() + ":" + a.getPort()).orElse("unbound"));
  }

  /** {@code http} or {@code grpc} for the runtime's servers; {@code http} or {@code tcp} for the application's. */
  public String kind() {
    return address().flatMap(a -> registry.ownServer(a.getPort())).map(ServerSpec::kind).orElse(http ? "http" : "tcp");
  }

  /** True for servers the runtime created itself (the demo's, the builder's). */
  public boolean own() {
    return address().flatMap(a -> registry.ownServer(a.getPort())).isPresent();
  }

  /** Bound, or it has connections left to drain. */
  public boolean active() {
    return listener.isActive() || !connections.isEmpty();
  }

  public int openConnections() {
    return connections.size();
  }

  public int inFlightRequests() {
    return inFlight.size();
  }

  /** The open connections themselves, for tests of the drain's effect on each. */
  Set<Channel> channels() {
    return Set.copyOf(connections);
  }

  boolean accepts(SocketAddress local) {
    Optional<InetSocketAddress> bound = address();
    if (bound.isEmpty() || local.port() != bound.get().getPort()) {
      return false;
    }
    return bound.get().getAddress().isAnyLocalAddress() || bound.get().getAddress().getHostAddress().equals(local.hostAddress());
  }

  // ---- fed by ListenerTransport and RequestTracking, on event loops ----

  /** A new connection, registered with its event loop (and running on it). */
  void accepted(Channel channel) {
    connections.add(channel);
    channel.closeFuture().addListener(f -> {
      connections.remove(channel);
      if (phase == Phase.DRAINING && connections.isEmpty()) {
        drained.tryComplete();
      }
    });
    if (phase == Phase.DRAINING) {
      // Accepted as the listener closed: no request has been read from it, so it is closed like one never used.
      channel.close();
    }
  }

  void requestBegan(InFlightRequest entry, HttpServerRequest request) {
    inFlight.put(entry, Boolean.TRUE);
    if (phase != Phase.SERVING && entry.http2()) {
      announce(request.connection()); // a connection opened during the window: its first stream is accepted
    }
  }

  void responseBegins(InFlightRequest entry, HttpServerResponse response) {
    if (phase != Phase.SERVING && !entry.http2()) {
      entry.askToClose(response);
    }
  }

  void requestEnded(InFlightRequest entry) {
    inFlight.remove(entry);
  }

  // ---- the drain ----

  /**
   * Step 1: tells every client to go elsewhere; completes when the HTTP/2 clients have answered the PING and the
   * HTTP/1.x clients have closed their connections, or after {@code bound}.
   */
  public Future<Void> announce(Vertx timers, Duration bound) {
    phase = Phase.ANNOUNCING; // from now on HTTP/1.x answers carry Connection: close (see responseBegins)
    List<Future<?>> answered = new ArrayList<>();
    for (Channel channel : connections) {
      Promise<Void> done = Promise.promise();
      answered.add(done.future());
      channel.eventLoop().execute(() -> {
        switch (VertxChannels.protocol(channel, http)) {
          case HTTP_2 -> VertxChannels.announceHttp2(channel).onComplete(ar -> done.tryComplete());
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

  /** GOAWAY with the largest stream id, then a PING; once per connection. Event loop of the connection. */
  private Future<?> announce(HttpConnection connection) {
    // Only during the drain, one entry per HTTP/2 connection: bounded by the connections open then.
    if (!announced.add(connection)) {
      return Future.succeededFuture();
    }
    try {
      connection.goAway(0, Integer.MAX_VALUE);
      return connection.ping(Buffer.buffer("shutdown"));
    } catch (RuntimeException closing) {
      return Future.succeededFuture();
    }
  }

  /**
   * Step 2: stops listening and starts Vert.x's graceful close on every connection; completes once every connection
   * is closed. {@code backstop} is when Vert.x closes what is left by itself: later than the runtime's cutoff.
   */
  public Future<Void> drain(Duration backstop) {
    phase = Phase.DRAINING;
    listener.close();
    for (Channel channel : connections) {
      channel.eventLoop().execute(() -> {
        switch (VertxChannels.protocol(channel, http)) {
          case HTTP_UNDETECTED, WEBSOCKET -> channel.close();
          case HTTP_2 -> {
            VertxChannels.finalGoAway(channel);
            VertxChannels.shutdown(channel, backstop);
          }
          default -> VertxChannels.shutdown(channel, backstop);
        }
      });
    }
    if (connections.isEmpty()) {
      drained.tryComplete();
    }
    return drained.future();
  }

  /**
   * Step 3, at the deadline: closes every connection still open; returns what was cut, one line per request in
   * flight (or per connection, where no request is known: a NetSocket, a WebSocket).
   */
  public DrainOutcome cutOff(int inFlightAtStart) {
    phase = Phase.DRAINING;
    listener.close();
    List<Channel> open = new ArrayList<>(connections);
    long now = System.nanoTime();
    List<String> cut = new ArrayList<>();
    inFlight.keySet().forEach(r -> cut.add(r.describe(now)));
    if (cut.isEmpty()) {
      open.forEach(c -> cut.add(kind() + " connection from " + LogText.escape(String.valueOf(c.remoteAddress()))));
    }
    open.forEach(Channel::close);
    return new DrainOutcome(name(), kind(), inFlightAtStart, open.size(), cut);
  }
}
