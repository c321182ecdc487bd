package dev.graceful.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graceful.runtime.support.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.LoggerHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** Request tracking cannot leak, whatever handlers the application installs. */
class RequestTrackingTest {

  private static final int REQUESTS = 100_000;
  private static final int CONCURRENCY = 64;

  @Test
  void routerWithHandlersThatReplaceTheEndHandlerLeavesNothingBehind() {
    // LoggerHandler logs every request: keep the test's output readable.
    Logger.getLogger("io.vertx.ext.web.handler.impl.LoggerHandlerImpl").setLevel(Level.WARNING);
    ServerRegistry registry = new ServerRegistry();
    Vertx vertx = Vertx.builder().with(new VertxOptions()).withTransport(registry.transport())
        .withMetrics(registry.metricsFactory(Optional.empty())).build();
    try {
      // TimeoutHandler and LoggerHandler call addEndHandler on every request, which takes over the response's end
      // handler: the slot the handler-based tracker relied on.
      Router router = Router.router(vertx);
      router.route().handler(TimeoutHandler.create(5000)).handler(LoggerHandler.create());
      router.get("/").handler(ctx -> ctx.response().end("ok"));
      HttpServer server = Await.result(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
      BoundServer bound = registry.servers().stream().filter(s -> s.address().get().getPort() == server.actualPort())
          .findFirst().orElseThrow();

      Vertx clientVertx = Vertx.vertx();
      try {
        HttpClient client = clientVertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(8));
        int sent = 0;
        while (sent < REQUESTS) {
          List<Future<Integer>> batch = new ArrayList<>();
          for (int i = 0; i < CONCURRENCY && sent < REQUESTS; i++, sent++) {
            batch.add(client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
                .compose(req -> req.send()).compose(resp -> resp.body().map(b -> resp.statusCode())));
          }
          for (Future<Integer> f : batch) {
            assertEquals(200, Await.result(f));
          }
        }
        assertEquals(0, bound.inFlightRequests(), "entries left behind after " + REQUESTS + " requests");
      } finally {
        Await.result(clientVertx.close());
      }
    } finally {
      Await.result(vertx.close());
    }
  }
}
