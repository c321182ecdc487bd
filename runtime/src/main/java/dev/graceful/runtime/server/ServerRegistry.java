package dev.graceful.runtime.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.transport.Transport;
import java.util.List;
import java.util.Optional;
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
  /** Set when the drain begins: a server that binds from then on is closed at once (no new listener at shutdown). */
  private volatile boolean draining;

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
      return new RequestTracking(delegate);
    };
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
      if (draining) {
        // Nothing may start listening once the drain has begun: its listen() fails, and no client is cut.
        ctx.channel().close();
        return;
      }
      // Registered before the bind completes, so a server is known by the time its listen() succeeds; a listener
      // that never binds is closed, has no connections, and is forgotten.
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
