package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.StandInMeshProxy;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The runtime behind a stand-in for a classic mesh sidecar that ends as the real one does at the pod's termination
 * ({@link StandInMeshProxy}, times scaled down): requests keep arriving through the proxy while the runtime's pre-drain
 * wait lasts, as they do while the endpoints still route to a terminating pod. With the settings the chart renders now
 * nothing is lost; with the settings it rendered before 0.2.0 (Istio's zero-connections exit) or with Linkerd's
 * default, the test sees the loss. Scale: a grace period of 11 s (the chart's 30 s), the runtime's budget 10 s, its
 * pre-drain wait 6 s, Istio's MINIMUM_DRAIN_DURATION 2 s (5 s) polled every 250 ms (1 s).
 */
class MeshTerminationTest {

  // Arrivals end at 3.6 s, 2.4 s before the pre-drain wait does: room for a slow, shared machine.
  private static final Map<String, String> RUNTIME = Map.of("GRACEFUL_SHUTDOWN_TIMEOUT", "10s", "GRACEFUL_DRAIN_DELAY", "6s",
      "GRACEFUL_STOP_TIMEOUT", "1s");
  private static final Duration GRACE = Duration.ofSeconds(11);
  private static final Duration ARRIVALS_FOR = Duration.ofMillis(3_600);
  private static final Duration ARRIVAL_EVERY = Duration.ofMillis(400);
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  /** Requests that arrived through the proxy after the pod began terminating, and the proxy's exit time. */
  record Outcome(int ok, List<String> failed, long proxyExitedAfterMs, int runtimeExit) {
  }

  private static Outcome terminate(Function<Integer, StandInMeshProxy> proxyInFrontOf) throws InterruptedException {
    try (ChildRuntime runtime = ChildRuntime.startReady(RUNTIME);
        StandInMeshProxy proxy = proxyInFrontOf.apply(runtime.httpPort)) {
      assertTrue(get(proxy.port()).startsWith("HTTP/1.1 200"), "the proxy forwards before the termination");
      // The proxy first: signal() waits for the kill command, which must not eat into the proxy's clock.
      long t0 = System.nanoTime();
      proxy.sigterm();
      runtime.signal("TERM");
      int ok = 0;
      List<String> failed = new ArrayList<>();
      for (long at = 0; at <= ARRIVALS_FOR.toMillis(); at += ARRIVAL_EVERY.toMillis()) {
        long wait = at - (System.nanoTime() - t0) / 1_000_000;
        if (wait > 0) {
          Thread.sleep(wait);   // pacing the arrivals, one fresh connection each
        }
        String reply = get(proxy.port());
        if (reply.startsWith("HTTP/1.1 200")) {
          ok++;
        } else {
          failed.add("at " + at + " ms: " + (reply.isEmpty() ? "no answer" : reply.lines().findFirst().orElse("")));
        }
      }
      int exit = runtime.awaitExit(Duration.ofSeconds(20));
      return new Outcome(ok, failed, proxy.exitedAfterMillis(t0), exit);
    }
  }

  /** One request on a fresh connection; its status line, or what went wrong. */
  private static String get(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      socket.setSoTimeout(3000);
      OutputStream out = socket.getOutputStream();
      out.write("GET /delay?ms=50 HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      String reply = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      return reply.contains("delayed 50 ms") ? reply : reply.isEmpty() ? "" : "incomplete: " + reply;
    } catch (IOException e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  @Test
  void istioClassicWithTheChartsTerminationDrainDurationLosesNothing() throws InterruptedException {
    // The chart: terminationDrainDuration of the whole grace period.
    Outcome o = terminate(port -> StandInMeshProxy.istio(vertx, port, GRACE));
    assertEquals(List.of(), o.failed(), o.toString());
    assertEquals(10, o.ok(), o.toString());
    assertEquals(0, o.runtimeExit());
  }

  @Test
  void istioClassicWithTheZeroConnectionsExitLosesTheRequestsAfterItsFirstQuietSecond() throws InterruptedException {
    Outcome o = terminate(port -> StandInMeshProxy.istioExitOnZeroConnections(vertx, port, Duration.ofSeconds(2),
        Duration.ofMillis(250)));
    assertTrue(o.proxyExitedAfterMs() >= 2000 && o.proxyExitedAfterMs() < 3500,
        "exits at the first idle poll after the minimum: " + o);
    assertTrue(o.failed().size() >= 2, "requests routed to the pod after the proxy exited fail: " + o);
    assertEquals(0, o.runtimeExit(), "and the runtime, which never saw them, reports a clean stop: why the warning exists");
  }

  @Test
  void linkerdClassicWithTheChartsWaitBeforeExitLosesNothing() throws InterruptedException {
    // The chart: wait = grace - 1 s, with the runtime done before it (its budget is grace - 1 s here).
    Outcome o = terminate(port -> StandInMeshProxy.linkerd(vertx, port, GRACE.minusSeconds(1)));
    assertEquals(List.of(), o.failed(), o.toString());
    assertEquals(10, o.ok(), o.toString());
  }

  @Test
  void linkerdClassicByDefaultRefusesEveryRequestFromItsSigterm() throws InterruptedException {
    Outcome o = terminate(port -> StandInMeshProxy.linkerd(vertx, port, Duration.ZERO));
    assertEquals(0, o.ok(), o.toString());
    assertEquals(10, o.failed().size(), o.toString());
  }
}
