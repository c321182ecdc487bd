package dev.graceful.runtime.probes;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;

/**
 * The kubelet's and Prometheus' port: {@code /health/live}, {@code /health/ready}, {@code /health/started},
 * {@code /metrics}. It runs on its own Vert.x instance so it keeps answering while the application's event
 * loops are saturated or draining.
 */
public final class ManagementServer {

  private final Vertx vertx;
  private final HealthProbes probes;
  private final PrometheusMeterRegistry registry;
  private final Runnable beforeScrape;

  /** @param beforeScrape brings the meters up to date before each scrape (servers come and go) */
  public ManagementServer(Vertx vertx, HealthProbes probes, PrometheusMeterRegistry registry, Runnable beforeScrape) {
    this.vertx = vertx;
    this.probes = probes;
    this.registry = registry;
    this.beforeScrape = beforeScrape;
  }

  public Future<Integer> listen(String host, int port) {
    Router router = Router.router(vertx);
    router.get("/health/live").handler(HealthCheckHandler.createWithHealthChecks(probes.liveness()));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(probes.readiness()));
    router.get("/health/started").handler(HealthCheckHandler.createWithHealthChecks(probes.startup()));
    // The scrape runs on a worker, one at a time, never on the event loop that answers the kubelet's probes: a
    // registry with many series (GRACEFUL_VERTX_METRICS) took seconds to scrape and held /health/live beyond the
    // probe's timeout. Concurrent scrapes wait in line (ordered), so they cannot take both workers either.
    router.get("/metrics").handler(ctx -> vertx.<String>executeBlocking(() -> {
      beforeScrape.run();
      return registry.scrape();
    }, true).onComplete(ar -> {
      if (ar.succeeded()) {
        ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(ar.result());
      } else {
        ctx.fail(ar.cause());
      }
    }));
    return vertx.createHttpServer().requestHandler(router).listen(port, host)
        .recover(e -> Future.failedFuture(new IllegalStateException(
            "management server could not listen on " + host + ":" + port + ": "
                + (String.valueOf(e.getMessage()).contains("Address already in use") ? "port already in use" : e.toString()), e)))
        .map(HttpServer::actualPort);
  }
}
