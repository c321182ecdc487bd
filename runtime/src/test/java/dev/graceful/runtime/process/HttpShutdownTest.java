package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.support.Await;
import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.Http;
import dev.graceful.runtime.support.Management;
import dev.graceful.runtime.support.Http.Reply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;
import io.vertx.junit5.VertxExtension;

/** HTTP/1.1 and HTTP/2 against the real {@code Main} in a child JVM that receives a real SIGTERM. */
@ExtendWith(VertxExtension.class)
class HttpShutdownTest {


  @Test
  void inFlightRequestCompletesWithConnectionCloseAndNewConnectionsAreRefusedOnceDrainStarts(Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_DRAIN_DELAY", "1s"))) {
      HttpClient keepAlive = vertx.httpClientBuilder()
          .with(new HttpClientOptions().setKeepAlive(true))
          .with(new PoolOptions().setHttp1MaxSize(1))
          .build();
      HttpClient probes = vertx.createHttpClient();

      Reply warmUp = Await.result(Http.get(keepAlive, child.httpPort, "/delay?ms=0"));
      assertEquals(200, warmUp.status());
      assertNull(warmUp.connectionHeader(), "before shutdown, keep-alive responses must not ask to close");

      // On the same keep-alive connection, a request that will still be running when the drain starts.
      Future<Reply> inFlight = Http.get(keepAlive, child.httpPort, "/delay?ms=2500");
      Management.awaitInFlight(probes, child.managementPort, "http", "http", 1);

      child.signal("TERM");
      child.awaitLine("lifecycle: DRAINING");
      assertEquals(503, Await.result(Http.get(probes, child.managementPort, "/health/ready")).status());
      assertEquals(200, Await.result(Http.get(probes, child.managementPort, "/health/live")).status());

      child.awaitLine("shutdown phase drain started");
      assertTrue(Http.awaitRefused(child.httpPort, Duration.ofSeconds(2)), "new connections must be refused once the drain starts");
      assertFalse(inFlight.isComplete(), "the refusal must happen while the request is still in flight");

      Reply reply = Await.result(inFlight);
      assertEquals(200, reply.status());
      assertEquals("delayed 2500 ms\n", reply.body());
      assertEquals("close", reply.connectionHeader(), "a keep-alive response during the drain must carry Connection: close");

      assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child.output());
      JsonObject summary = summary(child);
      assertEquals("clean", summary.getString("outcome"));
      assertEquals(1, summary.getInteger("requestsInFlightAtDrainStart"));
      assertEquals(0, summary.getInteger("connectionsForceClosed"));
    }
  }

  @Test
  void newConnectionsAreStillServedDuringThePreDrainWait(Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_DRAIN_DELAY", "3s"))) {
      HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
      child.signal("TERM");
      child.awaitLine("shutdown phase pre-drain-wait started");

      assertEquals(503, Await.result(Http.get(client, child.managementPort, "/health/ready")).status());
      Reply reply = Await.result(Http.get(client, child.httpPort, "/delay?ms=10"));
      assertEquals(200, reply.status(), "load balancers may still send traffic during the pre-drain wait");
      assertFalse(child.output().contains("shutdown phase drain started"), "the request must have been served before the drain");

      assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child.output());
    }
  }

  @Test
  void http2ClientGetsGoAwayAndItsInFlightStreamCompletes(Vertx vertx) throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_DRAIN_DELAY", "500ms"))) {
      CompletableFuture<Long> goAway = new CompletableFuture<>();
      HttpClient h2 = vertx.httpClientBuilder()
          .with(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false))
          .withConnectHandler(conn -> conn.goAwayHandler(ga -> goAway.complete(ga.getErrorCode())))
          .build();
      HttpClient probes = vertx.createHttpClient();

      Future<Reply> inFlight = Http.get(h2, child.httpPort, "/delay?ms=2500");
      Management.awaitInFlight(probes, child.managementPort, "http", "http", 1);
      child.signal("TERM");

      assertEquals(0L, goAway.get(10, TimeUnit.SECONDS), "GOAWAY with NO_ERROR");
      assertFalse(inFlight.isComplete(), "GOAWAY must arrive while the stream is still in flight");
      Reply reply = Await.result(inFlight);
      assertEquals(200, reply.status());
      assertNull(reply.connectionHeader(), "HTTP/2 responses never carry Connection headers");
      assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child.output());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"INT", "HUP"})
  void sigintOrSighupAsTheFirstSignalDrainsLikeSigterm(String signal, Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_DRAIN_DELAY", "500ms"))) {
      HttpClient probes = vertx.createHttpClient();
      Future<Reply> inFlight = Http.get(vertx.createHttpClient(), child.httpPort, "/delay?ms=2000");
      Management.awaitInFlight(probes, child.managementPort, "http", "http", 1);

      child.signal(signal);
      child.awaitLine("received SIG" + signal);
      child.awaitLine("lifecycle: DRAINING");
      assertEquals(503, Await.result(Http.get(probes, child.managementPort, "/health/ready")).status());
      assertEquals(200, Await.result(Http.get(probes, child.managementPort, "/health/live")).status());
      child.awaitLine("shutdown phase drain started");
      assertFalse(inFlight.isComplete(), "the request must still be in flight when the drain starts");

      Reply reply = Await.result(inFlight);
      assertEquals(200, reply.status());
      assertEquals("delayed 2000 ms\n", reply.body());
      assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child.output());
      JsonObject summary = summary(child);
      assertEquals("clean", summary.getString("outcome"));
      assertEquals(1, summary.getInteger("requestsInFlightAtDrainStart"));
    }
  }

  @Test
  void idleKeepAliveConnectionIsClosedByTheServerWhenTheDrainStarts(Vertx vertx) throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_DRAIN_DELAY", "500ms"));
        Socket idle = new Socket()) {
      idle.connect(new InetSocketAddress("127.0.0.1", child.httpPort), 5000);
      idle.setSoTimeout(10_000);
      assertTrue(exchange(idle).startsWith("HTTP/1.1 200"), "one request, then the keep-alive connection idles");
      // Another request keeps the drain (and the process) going, so a close seen below is the drain's, not the exit's.
      Future<Reply> inFlight = Http.get(vertx.createHttpClient(), child.httpPort, "/delay?ms=3000");
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", "http", 1);

      child.signal("TERM");
      child.awaitLine("shutdown phase drain started");
      assertEquals(-1, idle.getInputStream().read(), "the server must close the idle connection (EOF), not leave it open");
      assertFalse(inFlight.isComplete(), "the idle connection must be closed by the drain, while a request is still in flight");

      assertEquals(200, Await.result(inFlight).status());
      assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child.output());
    }
  }

  @Test
  void keepAliveConnectionReusedAsTheDrainStartsIsAnsweredWithConnectionClose(Vertx vertx) throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_DRAIN_DELAY", "500ms"));
        Socket pooled = new Socket()) {
      pooled.connect(new InetSocketAddress("127.0.0.1", child.httpPort), 5000);
      pooled.setSoTimeout(10_000);
      assertTrue(exchange(pooled).startsWith("HTTP/1.1 200"), "one request, then the connection waits in the pool");
      // An HTTP/2 client in flight: its GOAWAY is sent once the drain has begun, so it tells the test when that is.
      CompletableFuture<Long> goAway = new CompletableFuture<>();
      HttpClient h2 = vertx.httpClientBuilder()
          .with(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false))
          .withConnectHandler(conn -> conn.goAwayHandler(ga -> goAway.complete(ga.getErrorCode())))
          .build();
      Future<Reply> inFlight = Http.get(h2, child.httpPort, "/delay?ms=3000");
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", "http", 1);

      child.signal("TERM");
      goAway.get(10, TimeUnit.SECONDS);
      // A client that takes this connection from its pool a moment into the drain (its think time, not a settling
      // delay) must get an answer, not a connection closed under it: idle keep-alive connections are left to their
      // clients for the drain's announce window (up to 1 s) before the server closes them.
      Thread.sleep(200);
      String reply = exchange(pooled);
      assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
      assertTrue(reply.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), reply);
      assertEquals(-1, pooled.getInputStream().read(), "after Connection: close the server closes the connection");

      assertEquals(200, Await.result(inFlight).status());
      assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child.output());
    }
  }

  private static String exchange(Socket socket) throws IOException {
    return Http.exchange(socket, "/delay?ms=0");
  }

  static JsonObject summary(ChildRuntime child) {
    String line = child.awaitLine("\"event\":\"shutdown-complete\"");
    return new JsonObject(line.substring(line.indexOf('{')));
  }
}
