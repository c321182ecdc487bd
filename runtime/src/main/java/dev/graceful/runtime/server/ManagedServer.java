package dev.graceful.runtime.server;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import java.net.BindException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One HTTP or gRPC server run by the runtime: a verticle, so it gets its own event loop, that the runtime
 * can drain before Vert.x undeploys it (undeploying alone closes connections by force).
 */
public final class ManagedServer extends VerticleBase {

  /** Extra time given to Vert.x's own shutdown timer, so the runtime's cutoff always fires first. */
  private static final Duration BACKSTOP = Duration.ofSeconds(2);

  private final ServerSpec spec;
  private final InFlightRequests inFlight = new InFlightRequests();
  private final OpenConnections connections = new OpenConnections();
  private volatile boolean draining;
  private volatile int actualPort = -1;
  private HttpServer server;

  public ManagedServer(ServerSpec spec) {
    this.spec = spec;
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

  public int inFlightRequests() {
    return inFlight.count();
  }

  public int openConnections() {
    return connections.count();
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(spec.options());
    server.connectionHandler(connections::add);
    server.requestHandler(inFlight.track(spec.handler().apply(vertx), () -> draining));
    return server.listen()
        .recover(cause -> Future.failedFuture(new ServerStartException(spec, cause)))
        .onSuccess(s -> actualPort = s.actualPort());
  }

  /**
   * Tells clients to go elsewhere before the listener closes: from now on every HTTP/1.x response carries
   * {@code Connection: close} (including those in flight whose head is not written yet), and every HTTP/2 client
   * (so gRPC too) gets a first GOAWAY and a PING. Completes when the responses are stamped, the PONGs are back and
   * the HTTP/1.x clients have closed their connections, or after {@code bound}.
   */
  public Future<Void> beginDrain(Duration bound) {
    draining = true;
    return Future.join(inFlight.askAllToClose(), connections.announceShutdown(vertx, bound)).mapEmpty();
  }

  /**
   * Stops accepting connections and lets in-flight requests finish (HTTP/2 and gRPC get a GOAWAY).
   * When {@code cutoff} completes first, whatever is still open is closed by force and reported.
   *
   * @param cutoff  completes at the drain's deadline, or at once when the shutdown is forced
   * @param timeout the time until that deadline, handed to Vert.x as a backstop
   */
  public Future<DrainOutcome> drain(Future<Void> cutoff, Duration timeout) {
    draining = true;
    int atStart = inFlight.count();
    if (server == null) {
      return Future.succeededFuture(new DrainOutcome(spec.name(), 0, 0, List.of()));
    }
    Promise<DrainOutcome> outcome = Promise.promise();
    // Whichever comes first decides: a clean finish, or the cutoff. Closing connections at the cutoff also
    // completes Vert.x's shutdown, which must then not be mistaken for a clean drain.
    AtomicBoolean decided = new AtomicBoolean();
    server.shutdown(timeout.plus(BACKSTOP).toMillis(), TimeUnit.MILLISECONDS).onComplete(ar -> {
      if (decided.compareAndSet(false, true)) {
        outcome.complete(new DrainOutcome(spec.name(), atStart, 0, List.of()));
      }
    });
    cutoff.onComplete(ar -> {
      if (decided.compareAndSet(false, true)) {
        List<String> cut = inFlight.describe();
        connections.closeAll().onComplete(closed ->
            outcome.complete(new DrainOutcome(spec.name(), atStart, closed.result(), cut)));
      }
    });
    return outcome.future();
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
