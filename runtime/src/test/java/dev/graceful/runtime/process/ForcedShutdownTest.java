package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.demo.grpc.DelayReply;
import dev.graceful.runtime.demo.grpc.DelayRequest;
import dev.graceful.runtime.demo.grpc.DemoGrpcClient;
import dev.graceful.runtime.fixtures.DemoPlusHangingStop;
import dev.graceful.runtime.fixtures.HangingStopVerticle;
import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.support.Await;
import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.Grpc;
import dev.graceful.runtime.support.Http;
import dev.graceful.runtime.support.Management;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.grpc.client.GrpcClient;
import java.util.ArrayList;
import java.util.List;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import io.vertx.junit5.VertxExtension;

/** The deadline holds: hung work is cut off, the process exits with the forced code, a second signal hurries it. */
@ExtendWith(VertxExtension.class)
class ForcedShutdownTest {

  /** How far past its deadline the process may exit: JVM exit and scheduling on a shared 2-core machine. */
  private static final Duration MARGIN = Duration.ofMillis(1500);


  @Test
  void http2AndGrpcCallsInFlightAtTheDeadlineAreCutCountedAndReported(Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of(
        "GRACEFUL_SHUTDOWN_TIMEOUT", "2s", "GRACEFUL_DRAIN_DELAY", "0", "GRACEFUL_STOP_TIMEOUT", "500ms"))) {
      DemoGrpcClient demo = DemoGrpcClient.create(GrpcClient.client(vertx), Grpc.loopback(child.grpcPort));
      Future<DelayReply> grpc = demo.delay(DelayRequest.newBuilder().setDelayMs(5000).build());
      HttpClient h2c = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
      Future<Http.Reply> h2 = Http.get(h2c, child.httpPort, "/delay?ms=5000");
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "grpc", "grpc", 1);
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", "http", 1);

      child.signal("TERM");
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), child.awaitExit(Duration.ofSeconds(2).plus(MARGIN).plusSeconds(5)), child.output());
      JsonObject summary = HttpShutdownTest.summary(child);
      assertEquals("forced", summary.getString("outcome"));
      assertEquals(2, summary.getInteger("connectionsForceClosed"), summary.encode());
      assertEquals("deadline", summary.getJsonObject("phases").getJsonObject("drain").getString("cause"));
      assertTrue(child.output().contains("cut: POST /graceful.demo.v1.Demo/Delay"), child.output());
      assertTrue(child.output().contains("cut: GET /delay?ms=5000"), child.output());
      Await.failure(grpc);
      Await.failure(h2);
    }
  }

  @Test
  void aSecondSignalCutsWhatIsInFlightAndSaysSo(Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_DRAIN_DELAY", "0"))) {
      HttpClient client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(4));
      List<Future<Http.Reply>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        calls.add(Http.get(client, child.httpPort, "/delay?ms=20000"));
      }
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", "http", 4);
      child.signal("TERM");
      child.awaitLine("drain: told the clients");
      child.signal("TERM");
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), child.awaitExit(Duration.ofSeconds(10)), child.output());
      JsonObject summary = HttpShutdownTest.summary(child);
      assertEquals(4, summary.getInteger("connectionsForceClosed"), summary.encode());
      assertEquals("second signal", summary.getJsonObject("phases").getJsonObject("drain").getString("cause"));
      assertTrue(child.output().contains("drain cut off by a second signal"), child.output());
      calls.forEach(Await::failure);
    }
  }

  @Test
  void hangingStopIsCutOffAtTheDeadline(Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of(
        "GRACEFUL_VERTICLES", HangingStopVerticle.class.getName(),
        "GRACEFUL_SHUTDOWN_TIMEOUT", "3s", "GRACEFUL_DRAIN_DELAY", "0", "GRACEFUL_STOP_TIMEOUT", "1s"))) {
      long signalled = System.nanoTime();
      child.signal("TERM");
      int code = child.awaitExit(Duration.ofSeconds(3).plus(MARGIN).plusSeconds(5));
      Duration took = Duration.ofNanos(System.nanoTime() - signalled);
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), code, child.output());
      assertTrue(took.compareTo(Duration.ofSeconds(3).plus(MARGIN)) < 0, "exited " + took.toMillis() + " ms after SIGTERM; deadline 3000 ms");
      assertTrue(child.output().contains("deadline reached while verticles were still stopping"), child.output());
      JsonObject summary = HttpShutdownTest.summary(child);
      assertEquals("forced", summary.getString("outcome"));
      assertTrue(summary.getJsonObject("phases").getJsonObject("stop-verticles").getBoolean("cutOff"));
    }
  }

  @Test
  void secondSignalEndsAHangingStopPromptly(Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of(
        "GRACEFUL_VERTICLES", DemoPlusHangingStop.class.getName(),
        "GRACEFUL_SHUTDOWN_TIMEOUT", "60s", "GRACEFUL_DRAIN_DELAY", "0"))) {
      child.signal("TERM");
      child.awaitLine("fixture: HangingStopVerticle stop called");
      long second = System.nanoTime();
      child.signal("TERM");
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), child.awaitExit(Duration.ofSeconds(10)), child.output());
      Duration took = Duration.ofNanos(System.nanoTime() - second);
      assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, "second SIGTERM took " + took.toMillis() + " ms to end a 60 s budget");
    }
  }

  @Test
  void secondSignalSkipsThePreDrainWaitButStillFinishesQuickRequests(Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of(
        "GRACEFUL_SHUTDOWN_TIMEOUT", "60s", "GRACEFUL_DRAIN_DELAY", "40s"))) {
      child.signal("TERM");
      child.awaitLine("shutdown phase pre-drain-wait started");
      long second = System.nanoTime();
      child.signal("INT");
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), child.awaitExit(Duration.ofSeconds(10)), child.output());
      Duration took = Duration.ofNanos(System.nanoTime() - second);
      assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, "second signal took " + took.toMillis() + " ms to skip a 40 s wait");
    }
  }

  @Test
  void requestStillInFlightAtTheDeadlineIsForceClosedAndLogged(Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of(
        "GRACEFUL_SHUTDOWN_TIMEOUT", "3s", "GRACEFUL_DRAIN_DELAY", "0", "GRACEFUL_STOP_TIMEOUT", "1s"))) {
      Future<Http.Reply> slow = Http.get(vertx.createHttpClient(), child.httpPort, "/delay?ms=20000");
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", "http", 1);
      child.signal("TERM");
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), child.awaitExit(Duration.ofSeconds(3).plus(MARGIN).plusSeconds(5)), child.output());
      assertTrue(child.output().contains("cut: GET /delay?ms=20000"), child.output());
      JsonObject summary = HttpShutdownTest.summary(child);
      assertEquals(1, summary.getInteger("connectionsForceClosed"));
      assertEquals(1, summary.getInteger("requestsInFlightAtDrainStart"));
      Await.failure(slow);
    }
  }
}
