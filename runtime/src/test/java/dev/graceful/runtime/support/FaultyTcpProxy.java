package dev.graceful.runtime.support;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy in front of a test server that can misbehave on demand: refuse connections (server down),
 * swallow requests (server too slow), delay requests (a server some distance away), or cut every open connection
 * (a watch closed mid-stream).
 */
public final class FaultyTcpProxy implements AutoCloseable {

  /** How new connections are treated. */
  public enum Mode { FORWARD, HOLD, DROP }

  private final Vertx vertx;
  private final NetClient client;
  private final int targetPort;
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private volatile Mode mode = Mode.FORWARD;
  private volatile long latencyMs;
  private NetServer server;
  private int port;

  public FaultyTcpProxy(Vertx vertx, int targetPort) {
    this.vertx = vertx;
    this.targetPort = targetPort;
    this.client = vertx.createNetClient();
  }

  public FaultyTcpProxy start() {
    return listen(0);
  }

  private FaultyTcpProxy listen(int onPort) {
    server = vertx.createNetServer().connectHandler(this::accept);
    port = Await.result(server.listen(onPort, "127.0.0.1")).actualPort();
    return this;
  }

  public int port() {
    return port;
  }

  public void mode(Mode mode) {
    this.mode = mode;
  }

  /**
   * Delays what clients send by {@code latency} before it reaches the server; a client that closes its connection
   * meanwhile loses what was still on the way, as when its process exits.
   */
  public FaultyTcpProxy latency(java.time.Duration latency) {
    this.latencyMs = latency.toMillis();
    return this;
  }

  /** Closes every proxied connection: clients see their streams end. */
  public void cutAll() {
    open.forEach(NetSocket::close);
  }

  /**
   * Stops listening and cuts every connection: new connections are refused. Returns once the connections are closed,
   * so a client's next call meets a closed connection (unreachable), not one still closing (a call that never answers).
   */
  public void down() {
    Await.result(server.close());
    Await.result(io.vertx.core.Future.join(open.stream().map(NetSocket::close).toList()));
  }

  /** Keeps open connections working while every new one is accepted and hung up at once: reconnecting fails. */
  public void refuseNew() {
    // Not server.close(): in Vert.x 5 that also closes the connections it accepted, which are to stay open.
    mode = Mode.DROP;
  }

  /** Listens again on the same port. */
  public void up() {
    listen(port);
  }

  private void accept(NetSocket downstream) {
    open.add(downstream);
    downstream.closeHandler(v -> open.remove(downstream));
    if (mode == Mode.HOLD) {
      downstream.pause(); // accept and never answer
      return;
    }
    if (mode == Mode.DROP) {
      downstream.close(); // accept and hang up at once: every new connection fails, open ones carry on
      return;
    }
    downstream.pause();
    client.connect(targetPort, "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        downstream.close();
        return;
      }
      NetSocket upstream = ar.result();
      open.add(upstream);
      upstream.closeHandler(v -> {
        open.remove(upstream);
        downstream.close();
      });
      downstream.closeHandler(v -> {
        open.remove(downstream);
        upstream.close();
      });
      downstream.handler(data -> {
        long delay = latencyMs;
        if (delay <= 0) {
          upstream.write(data);
        } else {
          vertx.setTimer(delay, id -> upstream.write(data)); // same delay for each chunk: order is kept
        }
      });
      upstream.pipeTo(downstream);
      downstream.resume();
    });
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
    cutAll();
  }
}
