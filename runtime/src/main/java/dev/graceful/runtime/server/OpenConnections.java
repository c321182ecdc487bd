package dev.graceful.runtime.server;

import io.vertx.core.Future;
import io.vertx.core.http.HttpConnection;
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

  /** Closes every open connection at once; returns how many there were. */
  Future<Integer> closeAll() {
    List<HttpConnection> open = new ArrayList<>(connections);
    List<Future<Void>> closed = new ArrayList<>();
    open.forEach(c -> closed.add(c.close()));
    return Future.join(closed).map(open.size()).otherwise(open.size());
  }
}
