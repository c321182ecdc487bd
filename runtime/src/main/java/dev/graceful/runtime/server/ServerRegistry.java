package dev.graceful.runtime.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.transport.Transport;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;
import dev.graceful.runtime.config.ServerLimits;

/**
 * Every server listening on the application's Vert.x instance, whoever created it (the runtime, a verticle, a module),
 * with its connections and the requests in flight on them. Vert.x's transport SPI feeds it: it configures every server
 * socket ({@link ListenerTransport}), and the handlers it adds see every connection accepted and, in the connection's
 * pipeline below any handler of the application, every request and answer ({@link ConnectionGuard},
 * {@link Http2Requests}). Build the Vert.x instance with {@link #transport()}.
 */
public final class ServerRegistry {

  private final List<BoundServer> servers = new CopyOnWriteArrayList<>();
  private final ServerLimits limits;
  private final int maxConnections;
  private final AtomicInteger connections = new AtomicInteger();
  private final boolean evictOldestWhenFull;
  /** Open connections, oldest first; kept only when evicting. */
  private final java.util.concurrent.ConcurrentLinkedDeque<Channel> oldestFirst = new java.util.concurrent.ConcurrentLinkedDeque<>();
  private final LongAdder refusedConnections = new LongAdder();
  private final ConnectionGuard.Counts guarded = new ConnectionGuard.Counts();
  private volatile long lastRefusalWarningNanos = System.nanoTime() - REFUSAL_WARNING_EVERY.toNanos();
  /** Set when the drain begins: a server that binds from then on is closed at once (no new listener at shutdown). */
  private volatile boolean draining;

  private static final Logger LOG = Logger.getLogger(ServerRegistry.class.getName());
  private static final java.time.Duration REFUSAL_WARNING_EVERY = java.time.Duration.ofMinutes(1);

  /** With the default limits: for tests. */
  public ServerRegistry() {
    this(ServerLimits.DEFAULTS);
  }

  public ServerRegistry(ServerLimits limits) {
    this(limits, false);
  }

  /**
   * @param evictOldestWhenFull at the limit, close the oldest connection to make room instead of the new one: for the
   *                            management port, whose clients (the kubelet, a scraper) open fresh connections and must
   *                            get through while a flood holds the slots
   */
  public ServerRegistry(ServerLimits limits, boolean evictOldestWhenFull) {
    this.limits = limits;
    this.maxConnections = limits.maxConnections().orElseGet(DescriptorBudget::connectionsAllowed);
    this.evictOldestWhenFull = evictOldestWhenFull;
  }

  public ServerLimits limits() {
    return limits;
  }

  /** Connections the application's servers may hold at once (the setting, or from the descriptor limit). */
  public int maxConnections() {
    return maxConnections;
  }

  /** Open connections on the application's servers. */
  public int connections() {
    return connections.get();
  }

  /** Connections closed on accept because {@link #maxConnections()} were open. */
  public long refusedConnections() {
    return refusedConnections.sum();
  }

  /** HTTP/1.x connections closed for a request head not complete in time. */
  public long headerTimeouts() {
    return guarded.headerTimeouts.sum();
  }

  /** Requests answered 400 for ambiguous framing (Content-Length with Transfer-Encoding, or a coding not chunked). */
  public long ambiguousFraming() {
    return guarded.ambiguousFraming.sum();
  }

  /** The transport to build the application's Vert.x with: NIO, reporting every listener here. */
  public Transport transport() {
    return new ListenerTransport(Transport.NIO, this);
  }

  /** The runtime's own server listening on {@code port}: reported under its name and kind rather than its address. */
  void own(int port, ServerSpec spec) {
    servers.stream().filter(s -> s.active() && s.address().map(a -> a.getPort() == port).orElse(false))
        .forEach(s -> s.own(spec));
  }

  /** The servers that listen or still have connections, in the order they bound. */
  public List<BoundServer> servers() {
    return servers.stream().filter(BoundServer::active).toList();
  }

  /** From now on, a server that starts to listen is closed at once. */
  public void beginDrain() {
    draining = true;
  }

  void forget(BoundServer server) {
    servers.remove(server);
  }

  /** The parent-channel handler {@link ListenerTransport} installs on a new server socket. */
  /** @param http the server's options when it is an HTTP server, else null */
  ChannelHandler listenerHandler(io.vertx.core.http.HttpServerOptions http) {
    return new ListenerHandler(http);
  }

  /** Registers the listener once it is bound, and hands every accepted channel to its server. */
  private final class ListenerHandler extends ChannelInboundHandlerAdapter {

    private final io.vertx.core.http.HttpServerOptions http;
    private BoundServer server;

    ListenerHandler(io.vertx.core.http.HttpServerOptions http) {
      this.http = http;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      if (draining) {
        // Nothing may start listening once the drain has begun: its listen() fails, and no client is cut.
        ctx.channel().close();
        return;
      }
      // Registered before the bind completes, so a server is known by the time its listen() succeeds; a listener
      // that never binds is closed, has no connections, and is forgotten.
      server = new BoundServer(ServerRegistry.this, ctx.channel(), http != null);
      servers.add(server);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (server != null && msg instanceof Channel child) {
        // Counted here, at accept: a burst is accepted faster than its channels register.
        if (connections.incrementAndGet() > maxConnections) {
          connections.decrementAndGet();
          refusedConnections.increment();
          warnRefusal();
          Channel oldest = evictOldestWhenFull ? oldestFirst.pollFirst() : null;
          if (oldest == null) {
            // Full: closed before it costs more than its descriptor, so descriptors remain for the probes.
            child.unsafe().closeForcibly();
            return;
          }
          oldest.close(); // its slot is freed when its close completes; the new one takes it now
          connections.incrementAndGet();
        }
        if (evictOldestWhenFull) {
          oldestFirst.addLast(child);
        }
        child.closeFuture().addListener(f -> {
          connections.decrementAndGet();
          if (evictOldestWhenFull) {
            oldestFirst.remove(child);
          }
        });
        // Counted once registered with its event loop: Netty may close an accepted channel that never registers
        // without completing its close future, which would hold the drain.
        child.pipeline().addFirst(new Registered(server));
        if (http != null) {
          child.pipeline().addFirst(ConnectionGuard.front(limits, http, guarded));
        }
      }
      super.channelRead(ctx, msg);
    }
  }

  private void warnRefusal() {
    long now = System.nanoTime();
    long last = lastRefusalWarningNanos;
    if (now - last >= REFUSAL_WARNING_EVERY.toNanos()) {
      lastRefusalWarningNanos = now;
      LOG.warning("connection limit reached (" + maxConnections + " open, GRACEFUL_MAX_CONNECTIONS): new connections are"
          + " closed on accept; " + refusedConnections.sum() + " so far (graceful_connections_refused_total)");
    }
  }

  /** Hands a new connection to its server once it runs on its event loop, then leaves the pipeline. */
  private static final class Registered extends ChannelInboundHandlerAdapter {

    private final BoundServer server;

    Registered(BoundServer server) {
      this.server = server;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.pipeline().remove(this);
      server.accepted(ctx.channel());
    }
  }
}
