package dev.graceful.runtime.probes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.lifecycle.Lifecycle;
import dev.graceful.runtime.lifecycle.LifecycleState;
import dev.graceful.runtime.support.Await;
import dev.graceful.runtime.support.Http;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The kubelet's probes are never held by a scrape, however slow the registry is to render. */
class ManagementServerTest {

  @Test
  void aSlowScrapeDoesNotDelayTheProbes() throws Exception {
    // Like the runtime's control instance: one event loop, two workers.
    Vertx control = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2));
    CountDownLatch scraping = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try {
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      // A meter that takes as long as the test says to render: a registry with hundreds of thousands of series.
      Gauge.builder("slow.to.render", () -> {
        scraping.countDown();
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return 1;
      }).register(registry);
      Lifecycle lifecycle = new Lifecycle();
      lifecycle.moveTo(LifecycleState.READY);
      int port = Await.result(new ManagementServer(control, new HealthProbes(control, lifecycle), registry, () -> { })
          .listen("127.0.0.1", 0));
      CompletableFuture<Http.Reply> scrape = CompletableFuture.supplyAsync(() -> Http.getWithJdk(port, "/metrics"));
      assertTrue(scraping.await(10, TimeUnit.SECONDS), "the scrape began");
      long start = System.nanoTime();
      assertEquals(200, Http.getWithJdk(port, "/health/live").status());
      assertEquals(200, Http.getWithJdk(port, "/health/ready").status());
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      assertFalse(scrape.isDone(), "the scrape is still rendering");
      assertTrue(tookMs < 1000, "probes took " + tookMs + " ms during a scrape");
      release.countDown();
      assertTrue(scrape.get(20, TimeUnit.SECONDS).body().contains("slow_to_render 1.0"));
    } finally {
      release.countDown();
      control.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
