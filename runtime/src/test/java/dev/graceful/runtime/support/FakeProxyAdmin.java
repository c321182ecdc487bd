package dev.graceful.runtime.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A mesh proxy's admin endpoints on 127.0.0.1 and a free port, answering as Istio's do: {@code GET /healthz/ready}
 * 503 until {@link #ready(boolean) made ready}, then 200; {@code POST /quitquitquit} 200 (counted). Tests wait on its
 * events ({@link #polled(int)}, {@link #quitCalled()}), never on sleeps.
 */
public final class FakeProxyAdmin implements AutoCloseable {

  private final HttpServer server;
  private volatile boolean ready;
  private volatile long readyAtNanos;
  private final AtomicInteger polls = new AtomicInteger();
  private final AtomicInteger quits = new AtomicInteger();
  private final List<Waiter> pollWaiters = new CopyOnWriteArrayList<>();
  private final Promise<Void> quitCalled = Promise.promise();

  private record Waiter(int count, Promise<Void> promise) {
  }

  private FakeProxyAdmin(HttpServer server) {
    this.server = server;
  }

  public static FakeProxyAdmin start(Vertx vertx) {
    FakeProxyAdmin[] self = new FakeProxyAdmin[1];
    HttpServer server = vertx.createHttpServer().requestHandler(req -> self[0].handle(req));
    self[0] = new FakeProxyAdmin(server);
    Await.result(server.listen(0, "127.0.0.1"));
    return self[0];
  }

  private void handle(io.vertx.core.http.HttpServerRequest req) {
    if (req.method() == HttpMethod.GET && req.path().equals("/healthz/ready")) {
      int n = polls.incrementAndGet();
      pollWaiters.forEach(w -> {
        if (n >= w.count()) {
          w.promise().tryComplete();
        }
      });
      req.response().setStatusCode(ready ? 200 : 503).end(ready ? "" : "not ready");
    } else if (req.method() == HttpMethod.POST && req.path().equals("/quitquitquit")) {
      quits.incrementAndGet();
      quitCalled.tryComplete();
      req.response().end("OK");
    } else {
      req.response().setStatusCode(404).end();
    }
  }

  public int port() {
    return server.actualPort();
  }

  public String readyUrl() {
    return "http://127.0.0.1:" + port() + "/healthz/ready";
  }

  public String quitUrl() {
    return "http://127.0.0.1:" + port() + "/quitquitquit";
  }

  /** From now on readiness answers 200 (true) or 503 (false). */
  public void ready(boolean value) {
    readyAtNanos = System.nanoTime();
    ready = value;
  }

  /** {@link System#nanoTime()} of the last {@link #ready(boolean)}. */
  public long readyAtNanos() {
    return readyAtNanos;
  }

  /** Completes once readiness has been asked {@code count} times in all. */
  public Future<Void> polled(int count) {
    Promise<Void> promise = Promise.promise();
    pollWaiters.add(new Waiter(count, promise));
    if (polls.get() >= count) {
      promise.tryComplete();
    }
    return promise.future();
  }

  public int polls() {
    return polls.get();
  }

  public int quits() {
    return quits.get();
  }

  public Future<Void> quitCalled() {
    return quitCalled.future();
  }

  @Override
  public void close() {
    Await.result(server.close());
  }
}
