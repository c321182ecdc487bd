package dev.graceful.runtime.server;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.net.BindException;
import java.util.logging.Logger;

/**
 * One HTTP or gRPC server run by the runtime: a verticle, so it gets its own event loop. It is drained like every
 * other server on the application's Vert.x ({@link BoundServer}); the registry only learns its name and kind here.
 */
public final class ManagedServer extends VerticleBase {

  private static final Logger LOG = Logger.getLogger(ManagedServer.class.getName());

  private final ServerSpec spec;
  private final ServerRegistry registry;
  private volatile int actualPort = -1;
  private HttpServer server;

  public ManagedServer(ServerSpec spec, ServerRegistry registry) {
    this.spec = spec;
    this.registry = registry;
  }

  public String name() {
    return spec.name();
  }

  public String kind() {
    return spec.kind();
  }

  /** The bound port, or -1 before the server listens. */
  public int port() {
    return actualPort;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions(spec.options());
    options.getInitialSettings().setMaxConcurrentStreams(registry.limits().http2MaxConcurrentStreams());
    server = vertx.createHttpServer(options);
    server.requestHandler(spec.handler().apply(vertx));
    return server.listen()
        .recover(cause -> Future.failedFuture(new ServerStartException(spec, cause)))
        .onSuccess(s -> {
          registry.own(s.actualPort(), spec);
          actualPort = s.actualPort();
          // Logged as it binds: the runtime is not ready yet (the pod read, the mesh proxy and checks may be awaited).
          LOG.info(spec.kind() + " server '" + spec.name() + "' listening on port " + actualPort);
        });
  }

  @Override
  public Future<?> stop() {
    // Normally drained already; this covers an undeploy without a drain (e.g. rollback of a failed start).
    return server == null ? Future.succeededFuture() : server.close();
  }

  /** A server could not listen; the message names the server, the address and the cause. */
  public static final class ServerStartException extends RuntimeException {
    ServerStartException(ServerSpec spec, Throwable cause) {
      super(spec.kind() + " server '" + spec.name() + "' could not listen on " + spec.host() + ":" + spec.port()
          + ": " + describe(cause), cause);
    }

    private static String describe(Throwable cause) {
      if (cause instanceof BindException || String.valueOf(cause.getMessage()).contains("Address already in use")) {
        return "port already in use";
      }
      return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
  }
}
