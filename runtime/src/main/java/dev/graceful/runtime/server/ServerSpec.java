package dev.graceful.runtime.server;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.Objects;
import java.util.function.Function;

/**
 * What the runtime needs to know to start and drain one server.
 *
 * @param name    shown in logs, metrics and errors
 * @param kind    {@code http} or {@code grpc}: label only
 * @param host    bind address
 * @param port    bind port, 0 for any free port
 * @param options Vert.x server options (HTTP/2, TLS); host and port are taken from the fields above
 * @param handler builds the request handler on the server's own Vert.x instance (a Router, a GrpcServer, ...)
 */
public record ServerSpec(
    String name,
    String kind,
    String host,
    int port,
    HttpServerOptions options,
    Function<Vertx, ? extends Handler<HttpServerRequest>> handler) {

  public ServerSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(handler, "handler");
    options = new HttpServerOptions(options).setHost(host).setPort(port);
  }
}
