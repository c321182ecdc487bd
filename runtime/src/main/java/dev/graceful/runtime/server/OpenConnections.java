package dev.graceful.runtime.server;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The connections a server holds open, so the ones still open at the deadline can be closed and counted. */
final class OpenConnections {

  /** Each open connection, with a future completed when it closes. */
  private final Map<HttpConnection, Promise<Void>> connections = new ConcurrentHashMap<>();

  void add(HttpConnection connection) {
    Promise<Void> closed = Promise.promise();
    connections.put(connection, closed);
    connection.closeHandler(v -> {
      connections.remove(connection);
      closed.tryComplete();
    });
  }

  int count() {
    return connections.size();
  }

  /**
   * Tells every client to go elsewhere before the listener closes, and waits for them, at most {@code bound}.
   * HTTP/2 (RFC 9113, 6.8): a GOAWAY with the largest stream id tells each client to open no new streams while every
   * stream it already sent is still accepted; a PING round trip then proves the client has seen it, so the real GOAWAY
   * that follows cannot refuse a stream in flight. HTTP/1.x has no such frame: the next response on each connection
   * carries {@code Connection: close} (see InFlightRequests), so a client reusing a pooled connection is told on its
   * answer and closes it itself. Closing an idle keep-alive connection instead races with the request a client may be
   * sending on it, which then fails; so the drain waits for these connections to close, and closes only those that
   * stayed unused for the whole bound.
   */
  Future<Void> announceShutdown(Vertx vertx, Duration bound) {
    List<Future<?>> answered = new ArrayList<>();
    connections.forEach((c, closed) -> {
      try {
        c.goAway(0, Integer.MAX_VALUE);
        answered.add(c.ping(Buffer.buffer("shutdown")));
      } catch (UnsupportedOperationException | IllegalStateException notHttp2) {
        answered.add(closed.future());
      }
    });
    if (answered.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, bound.toMillis()), id -> done.tryComplete());
    Future.join(answered).onComplete(ar -> {
      vertx.cancelTimer(timer);
      done.tryComplete();
    });
    return done.future();
  }

  /** Closes every open connection at once; returns how many there were. */
  Future<Integer> closeAll() {
    List<HttpConnection> open = new ArrayList<>(connections.keySet());
    List<Future<Void>> closed = new ArrayList<>();
    open.forEach(c -> closed.add(c.close()));
    return Future.join(closed).map(open.size()).otherwise(open.size());
  }
}
