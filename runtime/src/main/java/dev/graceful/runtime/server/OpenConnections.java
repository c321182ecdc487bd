package dev.graceful.runtime.server;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The connections a server holds open, so the ones still open at the deadline can be closed and counted. */
final class OpenConnections {

  private final Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();

  void add(HttpConnection connection) {
    connections.add(connection);
    connection.closeHandler(v -> connections.remove(connection));
  }

  int count() {
    return connections.size();
  }

  /**
   * The first half of an HTTP/2 graceful shutdown (RFC 9113, 6.8): a GOAWAY with the largest stream id tells each
   * client to open no new streams while every stream it already sent is still accepted; a PING round trip then
   * proves the client has seen it, so the real GOAWAY that follows cannot refuse a stream in flight.
   * HTTP/1.x connections are left alone. Completes when every PONG is back or {@code bound} passed.
   */
  Future<Void> announceShutdown(Vertx vertx, Duration bound) {
    List<Future<Buffer>> pongs = new ArrayList<>();
    for (HttpConnection c : connections) {
      try {
        c.goAway(0, Integer.MAX_VALUE);
        pongs.add(c.ping(Buffer.buffer("shutdown")));
      } catch (UnsupportedOperationException | IllegalStateException notHttp2) {
        // HTTP/1.x: Connection: close does this job
      }
    }
    if (pongs.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, bound.toMillis()), id -> done.tryComplete());
    Future.join(pongs).onComplete(ar -> {
      vertx.cancelTimer(timer);
      done.tryComplete();
    });
    return done.future();
  }

  /** Closes every open connection at once; returns how many there were. */
  Future<Integer> closeAll() {
    List<HttpConnection> open = new ArrayList<>(connections);
    List<Future<Void>> closed = new ArrayList<>();
    open.forEach(c -> closed.add(c.close()));
    return Future.join(closed).map(open.size()).otherwise(open.size());
  }
}
