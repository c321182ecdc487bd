package dev.graceful.runtime.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.GracefulRuntime;
import dev.graceful.runtime.StartFailedException;
import dev.graceful.runtime.config.ConfigLoader;
import dev.graceful.runtime.config.RuntimeConfig;
import dev.graceful.runtime.demo.DemoGrpc;
import dev.graceful.runtime.demo.DemoRouter;
import dev.graceful.runtime.demo.grpc.DelayRequest;
import dev.graceful.runtime.demo.grpc.DemoGrpcClient;
import dev.graceful.runtime.demo.grpc.DemoGrpcService;
import dev.graceful.runtime.lifecycle.LifecycleState;
import dev.graceful.runtime.shutdown.ShutdownReport;
import dev.graceful.runtime.support.Await;
import dev.graceful.runtime.support.FreePorts;
import dev.graceful.runtime.support.Grpc;
import dev.graceful.runtime.support.Http;
import dev.graceful.runtime.support.Management;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The runtime embedded as a library, observed from the inside with real clients. */
class EmbeddedRuntimeTest {

  private static Vertx clients;
  private GracefulRuntime runtime;

  @BeforeAll
  static void clientVertx() {
    clients = Vertx.vertx();
  }

  @AfterAll
  static void closeClients() {
    Await.result(clients.close());
  }

  @AfterEach
  void closeRuntime() {
    if (runtime != null) {
      Await.result(runtime.close());
    }
  }

  private static RuntimeConfig config(Map<String, String> overrides) {
    Map<String, String> env = new HashMap<>(Map.of(
        "GRACEFUL_HOST", "127.0.0.1", "GRACEFUL_HTTP_PORT", "0", "GRACEFUL_GRPC_PORT", "0",
        "GRACEFUL_MANAGEMENT_PORT", "0", "GRACEFUL_DRAIN_DELAY", "0", "GRACEFUL_SHUTDOWN_TIMEOUT", "10s",
        "GRACEFUL_STOP_TIMEOUT", "2s"));
    env.putAll(overrides);
    return ConfigLoader.load(env);
  }

  @Test
  void aFailedStartStopsTheServersThatDidStartBeforeReporting() throws IOException {
    try (ServerSocket squatter = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      // Picked after the squatter binds: the kernel may hand a port just given out (and closed) by FreePorts to the
      // squatter's bind, and the gRPC port would then be the squatter's (CI saw it once: it "accepted" on that port).
      int grpcPort = FreePorts.next();
      while (grpcPort == squatter.getLocalPort()) {
        grpcPort = FreePorts.next();
      }
      runtime = GracefulRuntime.builder()
          .config(config(Map.of("GRACEFUL_HTTP_PORT", String.valueOf(squatter.getLocalPort()),
              "GRACEFUL_GRPC_PORT", String.valueOf(grpcPort))))
          .http(DemoRouter::create)
          .grpc(vertx -> DemoGrpcService.of(new DemoGrpc(vertx)))
          .build();
      Throwable failure = Await.failure(runtime.start());
      assertTrue(failure instanceof StartFailedException, String.valueOf(failure));
      assertTrue(failure.getMessage().contains("port already in use"), failure.getMessage());
      // Vert.x's close has completed, but the JDK closes a listening socket registered with a selector only at the
      // acceptor thread's next select(): on a busy machine a connection made at once can still reach it. Bounded: a
      // server really left running fails this.
      assertTrue(Http.awaitRefused(grpcPort, Duration.ofSeconds(5)),
          "the gRPC server that did start must be stopped when the failure is reported");
      assertEquals(LifecycleState.FAILED, runtime.lifecycle().state());
    }
  }

  @Test
  void probesAnswerWhileTheApplicationEventLoopIsBlocked() {
    runtime = GracefulRuntime.builder().config(config(Map.of()))
        .http(vertx -> {
          Router router = Router.router(vertx);
          router.get("/block").handler(ctx -> {
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < until) {
              Thread.onSpinWait(); // a handler that wrongly blocks its event loop
            }
            ctx.response().end("done");
          });
          return router;
        })
        .build();
    Await.result(runtime.start());
    HttpClient client = clients.createHttpClient();
    Future<Http.Reply> blocked = Http.get(client, runtime.port("http"), "/block");
    HttpClient probes = clients.createHttpClient();
    // Once the application loop is stuck, the probe must still answer quickly.
    Management.awaitInFlight(probes, runtime.managementPort(), "http", "http", 1);
    long start = System.nanoTime();
    assertEquals(200, Http.getWithJdk(runtime.managementPort(), "/health/ready").status());
    assertEquals(200, Http.getWithJdk(runtime.managementPort(), "/health/live").status());
    long tookMs = (System.nanoTime() - start) / 1_000_000;
    assertFalse(blocked.isComplete(), "the application loop must still be blocked during the probe");
    assertTrue(tookMs < 1000, "probes took " + tookMs + " ms while the application loop was blocked");
    assertEquals(200, Await.result(blocked).status());
  }

  @Test
  void readinessWaitsForUserChecksAndStartupTurnsUpWithIt() {
    AtomicBoolean databaseUp = new AtomicBoolean();
    runtime = GracefulRuntime.builder().config(config(Map.of()))
        .http(DemoRouter::create)
        .readinessCheck("database", p -> p.complete(databaseUp.get() ? Status.OK() : Status.KO()))
        .livenessCheck("worker", p -> p.complete(Status.OK()))
        .build();
    Future<Void> started = runtime.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (runtime.managementPort() < 0 || runtime.port("http") < 0) {
      assertTrue(System.nanoTime() < deadline, "servers did not listen");
      Await.pause();
    }
    // The HTTP server listens, yet the runtime is not ready: a readiness check is failing.
    assertEquals(200, Await.result(Http.get(clients.createHttpClient(), runtime.port("http"), "/delay?ms=0")).status());
    Http.Reply ready = Http.getWithJdk(runtime.managementPort(), "/health/ready");
    assertEquals(503, ready.status());
    assertTrue(ready.body().contains("\"id\":\"database\",\"status\":\"DOWN\""), ready.body());
    assertEquals(503, Http.getWithJdk(runtime.managementPort(), "/health/started").status());
    assertFalse(started.isComplete());

    databaseUp.set(true);
    Await.result(started);
    assertEquals(200, Http.getWithJdk(runtime.managementPort(), "/health/ready").status());
    assertEquals(200, Http.getWithJdk(runtime.managementPort(), "/health/started").status());
    Http.Reply live = Http.getWithJdk(runtime.managementPort(), "/health/live");
    assertTrue(live.body().contains("\"id\":\"worker\",\"status\":\"UP\""), live.body());
  }

  @Test
  void severalServersDrainInParallelAndPhaseDurationsAreExported() {
    int second = FreePorts.next();
    runtime = GracefulRuntime.builder().config(config(Map.of()))
        .http(DemoRouter::create)
        .http("admin", second, DemoRouter::create)
        .build();
    Await.result(runtime.start());
    HttpClient client = clients.createHttpClient();
    Future<Http.Reply> a = Http.get(client, runtime.port("http"), "/delay?ms=1500");
    Future<Http.Reply> b = Http.get(client, second, "/delay?ms=1500");
    HttpClient probes = clients.createHttpClient();
    Management.awaitMetrics(probes, runtime.managementPort(), Duration.ofSeconds(10),
        "graceful_requests_in_flight{kind=\"http\",server=\"http\"} 1.0",
        "graceful_requests_in_flight{kind=\"http\",server=\"admin\"} 1.0");
    ShutdownReport report = Await.result(runtime.shutdown());
    assertEquals(200, Await.result(a).status());
    assertEquals(200, Await.result(b).status());
    assertFalse(report.forced());
    assertEquals(2, report.detail("drain", "requestsInFlightAtStart"));
    long drainMs = report.phases().get("drain").duration().toMillis();
    assertTrue(drainMs < 2500, "two 1.5 s requests on two servers drained in " + drainMs + " ms: not in parallel");

    String metrics = Http.getWithJdk(runtime.managementPort(), "/metrics").body();
    assertTrue(metrics.contains("graceful_shutdown_phase_seconds{phase=\"drain\"}"), metrics);
    assertTrue(metrics.contains("graceful_lifecycle_state{state=\"stopped\"} 1.0"), metrics);
  }

  @Test
  void vertxOwnPerRequestMetersOnlyWhenAskedFor() {
    for (boolean on : new boolean[] {false, true}) {
      runtime = GracefulRuntime.builder().config(config(Map.of("GRACEFUL_VERTX_METRICS", String.valueOf(on))))
          .http(DemoRouter::create).build();
      Await.result(runtime.start());
      HttpClient client = clients.createHttpClient();
      assertEquals(200, Await.result(Http.get(client, runtime.port("http"), "/delay?ms=0")).status());
      String metrics = Await.result(Http.get(client, runtime.managementPort(), "/metrics")).body();
      assertEquals(on, metrics.contains("vertx_http_server_requests_total"), "GRACEFUL_VERTX_METRICS=" + on + ":\n" + metrics);
      assertTrue(metrics.contains("graceful_requests_in_flight"), metrics);
      Await.result(runtime.shutdown());
      Await.result(runtime.close());
    }
  }

  /** Micrometer's JVM and process binders, under the names dashboards for JVM services query. */
  private static final List<String> JVM_METERS = List.of("jvm_memory_used_bytes{area=\"heap\"", "jvm_memory_max_bytes",
      "jvm_gc_pause_seconds_count{gc=", "jvm_gc_pause_seconds_sum{gc=", "jvm_gc_live_data_size_bytes",
      "jvm_gc_max_data_size_bytes", "jvm_threads_live_threads", "jvm_threads_states_threads",
      "jvm_classes_loaded_classes", "process_cpu_usage", "system_cpu_count", "process_uptime_seconds",
      "process_start_time_seconds", "process_files_open_files", "process_files_max_files", "jvm_info{");

  @Test
  void jvmAndProcessMetersByDefaultAndOffWhenAskedFor() {
    for (boolean on : new boolean[] {true, false}) {
      runtime = GracefulRuntime.builder().config(config(Map.of("GRACEFUL_JVM_METRICS", String.valueOf(on))))
          .http(DemoRouter::create).build();
      Await.result(runtime.start());
      String metrics = Await.result(Http.get(clients.createHttpClient(), runtime.managementPort(), "/metrics")).body();
      for (String meter : JVM_METERS) {
        assertEquals(on, metrics.contains(meter), "GRACEFUL_JVM_METRICS=" + on + ", " + meter + ":\n" + metrics);
      }
      assertTrue(metrics.contains("graceful_requests_in_flight"), metrics);
      Await.result(runtime.shutdown());
      Await.result(runtime.close());
    }
  }

  @Test
  void grpcOverTlsWithAlpn() {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    runtime = GracefulRuntime.builder()
        .config(config(Map.of("GRACEFUL_GRPC_TLS_CERT", certificate.certificatePath(),
            "GRACEFUL_GRPC_TLS_KEY", certificate.privateKeyPath())))
        .grpc(vertx -> DemoGrpcService.of(new DemoGrpc(vertx)))
        .build();
    Await.result(runtime.start());
    GrpcClient tls = GrpcClient.client(clients, new HttpClientOptions().setSsl(true).setUseAlpn(true).setTrustAll(true)
        .setVerifyHost(false).setProtocolVersion(HttpVersion.HTTP_2));
    DemoGrpcClient demo = DemoGrpcClient.create(tls, Grpc.loopback(runtime.port("grpc")));
    assertEquals(5, Await.result(demo.delay(DelayRequest.newBuilder().setDelayMs(5).build())).getDelayedMs());
    assertEquals(ServingStatus.SERVING, Await.result(Grpc.health(tls, runtime.port("grpc"), "")));

    GrpcClient plaintext = GrpcClient.client(clients);
    Await.failure(DemoGrpcClient.create(plaintext, Grpc.loopback(runtime.port("grpc")))
        .delay(DelayRequest.newBuilder().setDelayMs(5).build()));
  }
}
