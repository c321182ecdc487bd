package dev.graceful.runtime.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.GracefulRuntime;
import dev.graceful.runtime.RuntimeBuilder;
import dev.graceful.runtime.StartFailedException;
import dev.graceful.runtime.config.ConfigLoader;
import dev.graceful.runtime.demo.DemoRouter;
import dev.graceful.runtime.kubernetes.MockCluster;
import dev.graceful.runtime.lifecycle.LifecycleState;
import dev.graceful.runtime.support.Await;
import dev.graceful.runtime.support.FakeProxyAdmin;
import dev.graceful.runtime.support.FreePorts;
import dev.graceful.runtime.support.Http;
import dev.graceful.runtime.support.PodFixtures;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole runtime in a pod whose spec shows an Istio proxy (the mock API server serves the fixture), against a small
 * HTTP server answering like the proxy's admin endpoints.
 */
@ExtendWith(VertxExtension.class)
class SidecarRuntimeTest {

  private MockCluster cluster;
  private KubernetesClient client;
  private FakeProxyAdmin proxy;
  private GracefulRuntime runtime;

  @BeforeEach
  void setUp(Vertx vertx) {
    cluster = new MockCluster();
    client = MockCluster.clientAt(cluster.server.getPort());
    proxy = FakeProxyAdmin.start(vertx);
  }

  @AfterEach
  void tearDown() {
    if (runtime != null) {
      Await.result(runtime.close());
    }
    proxy.close();
    client.close();
    cluster.close();
  }

  private RuntimeBuilder runtime(boolean inPod, String... overrides) {
    Map<String, String> env = new HashMap<>(Map.of(
        "GRACEFUL_HOST", "127.0.0.1", "GRACEFUL_HTTP_PORT", "0", "GRACEFUL_GRPC_PORT", "0", "GRACEFUL_MANAGEMENT_PORT", "0",
        "GRACEFUL_DRAIN_DELAY", "0", "GRACEFUL_SHUTDOWN_TIMEOUT", "10s", "GRACEFUL_STOP_TIMEOUT", "1s",
        "GRACEFUL_KUBERNETES", inPod ? "true" : "false", "GRACEFUL_SIDECAR_READY_URL", proxy.readyUrl()));
    for (int i = 0; i < overrides.length; i += 2) {
      env.put(overrides[i], overrides[i + 1]);
    }
    RuntimeBuilder builder = GracefulRuntime.builder().config(ConfigLoader.load(env)).http(DemoRouter::create);
    return inPod ? builder.kubernetes(client, MockCluster.IDENTITY) : builder;
  }

  /** System.nanoTime() when the runtime turned READY. */
  private static AtomicLong readyAt(GracefulRuntime runtime) {
    AtomicLong at = new AtomicLong();
    runtime.lifecycle().onChange(state -> {
      if (state == LifecycleState.READY) {
        at.set(System.nanoTime());
      }
    });
    return at;
  }

  @Test
  void readinessWaitsForAProxyThatTurnsReadyLate(Vertx vertx) {
    cluster.pod(PodFixtures.load("istio-classic.yaml"));
    runtime = runtime(true).build();
    AtomicLong readyAt = readyAt(runtime);
    Future<Void> started = runtime.start();

    Await.result(proxy.polled(3));
    // Servers start alongside the wait (GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES=false): listening, but not ready.
    awaitListening("http");
    assertEquals(200, Await.result(Http.get(vertx.createHttpClient(), runtime.port("http"), "/delay?ms=0")).status());
    assertEquals(503, Await.result(Http.get(vertx.createHttpClient(), runtime.managementPort(), "/health/ready")).status());
    assertFalse(started.isComplete());
    assertEquals(LifecycleState.STARTING, runtime.lifecycle().state());

    proxy.ready(true);
    Await.result(started);
    assertEquals(LifecycleState.READY, runtime.lifecycle().state());
    assertTrue(readyAt.get() > proxy.readyAtNanos(), "the runtime turned ready only after the proxy did");
  }

  @Test
  void withWaitBeforeVerticlesNothingStartsBeforeTheProxyIsReady() {
    cluster.pod(PodFixtures.load("istio-classic.yaml"));
    runtime = runtime(true, "GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES", "true").build();
    Future<Void> started = runtime.start();

    Await.result(proxy.polled(3));
    assertEquals(-1, runtime.port("http"), "the HTTP server must not listen before the proxy is ready");
    assertFalse(started.isComplete());

    proxy.ready(true);
    Await.result(started);
    assertTrue(runtime.port("http") > 0);
  }

  @Test
  void aProxyNeverReadyFailsTheStartAtTheTimeoutNamingUrlAndTimeout() {
    cluster.pod(PodFixtures.load("istio-job.yaml"));
    int httpPort = FreePorts.next();
    runtime = runtime(true, "GRACEFUL_SIDECAR_READY_TIMEOUT", "1s", "GRACEFUL_HTTP_PORT", String.valueOf(httpPort)).build();
    long start = System.nanoTime();
    Throwable failure = Await.failure(runtime.start());
    long tookMs = (System.nanoTime() - start) / 1_000_000;

    assertTrue(failure instanceof StartFailedException, String.valueOf(failure));
    assertEquals("sidecar istio-proxy did not report ready at " + proxy.readyUrl()
        + " within 1000 ms (GRACEFUL_SIDECAR_READY_TIMEOUT); last answer: HTTP 503", failure.getMessage());
    assertTrue(tookMs >= 1000 && tookMs < 4000, "failed after " + tookMs + " ms with a 1 s timeout");
    assertTrue(proxy.polls() >= 2, "polled " + proxy.polls() + " times");
    // Vert.x's close has completed, but the JDK closes a listening socket registered with a selector only at the
    // acceptor thread's next select(): on a busy machine a connection made at once can still reach it. Bounded: a
    // server really left running fails this.
    assertTrue(Http.awaitRefused(httpPort, Duration.ofSeconds(5)),
        "the server that did start must be stopped when the failure is reported");
    assertEquals(LifecycleState.FAILED, runtime.lifecycle().state());
  }

  @Test
  void outsideKubernetesOnlyAConfiguredUrlIsWaitedForAndRefusedConnectionsMeanNotYet() {
    int nothingListens = FreePorts.next();
    runtime = runtime(false, "GRACEFUL_SIDECAR_READY_URL", "http://127.0.0.1:" + nothingListens + "/ready",
        "GRACEFUL_SIDECAR_READY_TIMEOUT", "800ms").build();
    Throwable failure = Await.failure(runtime.start());
    assertEquals("sidecar proxy did not report ready at http://127.0.0.1:" + nothingListens
        + "/ready within 800 ms (GRACEFUL_SIDECAR_READY_TIMEOUT); last answer: connection refused", failure.getMessage());
    Await.result(runtime.close());

    runtime = runtime(false).build();
    Future<Void> started = runtime.start();
    Await.result(proxy.polled(2));
    assertFalse(started.isComplete());
    proxy.ready(true);
    Await.result(started);
  }

  private void awaitListening(String server) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (runtime.port(server) < 0 || runtime.managementPort() < 0) {
      assertTrue(System.nanoTime() < deadline, server + " server did not listen");
      Await.pause();
    }
  }
}
