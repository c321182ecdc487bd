package dev.graceful.runtime.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.transport.Transport;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every server listening on the application's Vert.x instance, whoever created it (the runtime, a verticle, a module),
 * with its connections and the requests in flight on them. Two public Vert.x SPIs feed it: the transport, which
 * configures every server socket ({@link ListenerTransport}: listeners and connections), and the metrics, which core
 * calls at every request's begin and end whatever handlers the application installs ({@link RequestTracking}).
 * Build the Vert.x instance with {@link #transport()} and {@link #metricsFactory(Optional)}.
 */
public final class ServerRegistry {

  private final List<BoundServer> servers = new CopyOnWriteArrayList<>();
  /** Names the runtime gave its own servers, by bound port. */
  private final Map<Integer, ServerSpec> ownServers = new ConcurrentHashMap<>();

  /** The transport to build the application's Vert.x with: NIO, reporting every listener here. */
  public Transport transport() {
    return new ListenerTransport(Transport.NIO, this);
  }

  /**
   * The metrics to build the application's Vert.x with: request tracking, delegating everything to {@code also}'s
   * metrics (Micrometer's, with {@code GRACEFUL_VERTX_METRICS}) when present.
   */
  public VertxMetricsFactory metricsFactory(Optional<VertxMetricsFactory> also) {
    return options -> {
      VertxMetrics delegate = also.map(f -> f.metrics(options)).orElse(null);
      return new RequestTracking(this, delegate);
    };
  }

  /** The runtime's own server on {@code port}: reported under its name and kind rather than its address. */
  void own(int port, ServerSpec spec) {
    ownServers.put(port, spec);
  }

  Optional<ServerSpec> ownServer(int port) {
    return Optional.ofNullable(ownServers.get(port));
  }

  /** Every server that has listened, in the order they bound; drained ones stay, for the report. */
  public List<BoundServer> servers() {
    return List.copyOf(servers);
  }

  /** The server whose listener accepted a connection with this local address, if it is one of ours. */
  Optional<BoundServer> serverFor(SocketAddress local) {
    if (local == null) {
      return Optional.empty();
    }
    for (BoundServer server : servers) {
      if (server.accepts(local)) {
        return Optional.of(server);
      }
    }
    return Optional.empty();
  }

  /** The parent-channel handler {@link ListenerTransport} installs on a new server socket. */
  ChannelHandler listenerHandler(boolean http) {
    return new ListenerHandler(http);
  }

  /** Registers the listener once it is bound, and hands every accepted channel to its server. */
  private final class ListenerHandler extends ChannelInboundHandlerAdapter {

    private final boolean http;
    private BoundServer server;

    ListenerHandler(boolean http) {
      this.http = http;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      // Registered before the bind completes, so a server is known by the time its listen() succeeds; a listener
      // that never binds has no address and no connections, and the drain passes over it.
      server = new BoundServer(ServerRegistry.this, ctx.channel(), http);
      servers.add(server);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (server != null && msg instanceof Channel child) {
        // Counted once registered with its event loop: Netty may close an accepted channel that never registers
        // without completing its close future, which would hold the drain.
        child.pipeline().addFirst(new Registered(server));
      }
      super.channelRead(ctx, msg);
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
