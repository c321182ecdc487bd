package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.StringValue;
import com.google.protobuf.UInt32Value;
import dev.graceful.runtime.fixtures.plain.BlockingHttpVerticle;
import dev.graceful.runtime.fixtures.plain.FailingStopVerticle;
import dev.graceful.runtime.fixtures.plain.PlainHttpVerticle;
import dev.graceful.runtime.fixtures.plain.PlainMultiInstanceApp;
import dev.graceful.runtime.fixtures.plain.PlainTunnelVerticle;
import dev.graceful.runtime.fixtures.plain.PlainWebSocketAndGrpcApp;
import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.support.Await;
import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.FreePorts;
import dev.graceful.runtime.support.Http;
import dev.graceful.runtime.support.Http.Reply;
import dev.graceful.runtime.support.Management;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.junit5.VertxExtension;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Applications written against the plain Vert.x API only, with servers of their own, started through
 * {@code GRACEFUL_VERTICLES} in a child JVM and stopped with real signals: the runtime drains their servers as it
 * drains its own, reports each under its address, and counts whatever it has to cut.
 */
@ExtendWith(VertxExtension.class)
class ApplicationServersTest {

  private static final ServiceMethod<StringValue, UInt32Value> DELAY = ServiceMethod.client(
      PlainWebSocketAndGrpcApp.SERVICE, "Delay", GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(StringValue.newBuilder()));

  private static String address(int port) {
    return "127.0.0.1:" + port;
  }

  /** A plain verticle on {@code port} with a short budget: no pre-drain wait, 500 ms kept for the verticles' stop. */
  private static ChildRuntime withShortBudget(Class<?> verticle, int port, String budget) {
    return ChildRuntime.startReady(Map.of("GRACEFUL_VERTICLES", verticle.getName(), "PLAIN_HTTP_PORT", String.valueOf(port),
        "GRACEFUL_SHUTDOWN_TIMEOUT", budget, "GRACEFUL_DRAIN_DELAY", "0", "GRACEFUL_STOP_TIMEOUT", "500ms"));
  }

  /** The summary's entry for the server with this name; fails listing all when there is none. */
  private static JsonObject server(JsonObject summary, String name) {
    JsonArray servers = summary.getJsonObject("phases").getJsonObject("drain").getJsonArray("servers");
    for (int i = 0; i < servers.size(); i++) {
      if (name.equals(servers.getJsonObject(i).getString("server"))) {
        return servers.getJsonObject(i);
      }
    }
    throw new AssertionError("no server " + name + " in the report: " + servers.encode());
  }

  @Test
  void ownHttpServerOfAVerticleIsDrained(Vertx vertx) throws Exception {
    int port = FreePorts.next();
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_VERTICLES", PlainHttpVerticle.class.getName(),
        "PLAIN_HTTP_PORT", String.valueOf(port), "GRACEFUL_DRAIN_DELAY", "1s"));
        Socket pooled = new Socket()) {
      pooled.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      pooled.setSoTimeout(10_000);
      assertTrue(Http.exchange(pooled, "/?ms=0").startsWith("HTTP/1.1 200"), "one request, then the connection waits in the pool");
      Future<Reply> inFlight = Http.get(vertx.createHttpClient(), port, "/?ms=4000");
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", address(port), 1);
      Management.awaitMetrics(vertx.createHttpClient(), child.managementPort, Duration.ofSeconds(10),
          "graceful_connections_open{kind=\"http\",server=\"" + address(port) + "\"} 2.0");

      child.signal("TERM");
      child.awaitLine("drain: told the clients");
      // A client taking its pooled connection during the announce window gets an answer telling it to close.
      String reply = Http.exchange(pooled, "/?ms=0");
      assertTrue(reply.startsWith("HTTP/1.1 200"), reply);
      assertTrue(reply.toLowerCase(Locale.ROOT).contains("connection: close"), reply);
      assertTrue(Http.awaitRefused(port, Duration.ofSeconds(5)), "new connections are refused once the drain closes the listener");
      assertFalse(inFlight.isComplete(), "the 4 s request is still running when the listener is gone");

      assertEquals(200, Await.result(inFlight).status());
      assertEquals(ExitCode.CLEAN.code(), child.awaitExit(Duration.ofSeconds(20)), child.output());
      JsonObject summary = HttpShutdownTest.summary(child);
      assertEquals("clean", summary.getString("outcome"));
      JsonObject server = server(summary, address(port));
      assertEquals("http", server.getString("kind"));
      assertEquals(1, server.getInteger("inFlightAtStart"));
      assertEquals(0, server.getInteger("forcedConnections"));
    }
  }

  @Test
  void severalInstancesOnOnePortAreDrainedTogether(Vertx vertx) {
    int port = FreePorts.next();
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_VERTICLES", PlainMultiInstanceApp.class.getName(),
        "PLAIN_HTTP_PORT", String.valueOf(port), "GRACEFUL_DRAIN_DELAY", "0"))) {
      // Six connections, so every instance gets some (Vert.x hands new connections to the instances in turn).
      HttpClient client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(6));
      List<Future<Reply>> calls = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        calls.add(Http.get(client, port, "/?ms=3000"));
      }
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", address(port), 6);

      child.signal("TERM");
      for (Future<Reply> call : calls) {
        assertEquals(200, Await.result(call).status());
      }
      assertEquals(ExitCode.CLEAN.code(), child.awaitExit(Duration.ofSeconds(20)), child.output());
      JsonObject server = server(HttpShutdownTest.summary(child), address(port));
      assertEquals(6, server.getInteger("inFlightAtStart"));
      assertEquals(0, server.getInteger("forcedConnections"));
    }
  }

  @Test
  void webSocketAndGrpcServersOfTheirOwnAreDrained(Vertx vertx) {
    int wsPort = FreePorts.next();
    int grpcPort = FreePorts.next();
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_VERTICLES", PlainWebSocketAndGrpcApp.class.getName(),
        "PLAIN_WS_PORT", String.valueOf(wsPort), "PLAIN_GRPC_PORT", String.valueOf(grpcPort), "GRACEFUL_DRAIN_DELAY", "0"))) {
      WebSocketClient wsClient = vertx.createWebSocketClient();
      WebSocket socket = Await.result(wsClient.connect(wsPort, "127.0.0.1", "/"));
      Promise<Short> closedByServer = Promise.promise();
      socket.closeHandler(v -> closedByServer.tryComplete(socket.closeStatusCode()));
      Promise<String> echoed = Promise.promise();
      socket.textMessageHandler(echoed::tryComplete);
      socket.writeTextMessage("hello");
      assertEquals("hello", Await.result(echoed.future()));

      GrpcClient grpc = GrpcClient.client(vertx, new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
      Future<String> call = grpc.request(io.vertx.core.net.SocketAddress.inetSocketAddress(grpcPort, "127.0.0.1"), DELAY)
          .compose(req -> req.send(UInt32Value.of(3000)))
          .compose(resp -> resp.last())
          .map(StringValue::getValue);
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", address(grpcPort), 1);

      child.signal("TERM");
      assertEquals("slept 3000", Await.result(call));
      Await.result(closedByServer.future());
      assertEquals(ExitCode.CLEAN.code(), child.awaitExit(Duration.ofSeconds(20)), child.output());
      JsonObject summary = HttpShutdownTest.summary(child);
      assertEquals(1, server(summary, address(grpcPort)).getInteger("inFlightAtStart"));
      assertEquals(0, server(summary, address(wsPort)).getInteger("forcedConnections"));
      assertEquals(0, server(summary, address(grpcPort)).getInteger("forcedConnections"));
    }
  }

  @Test
  void requestThatNeverFinishesIsCutAtTheDeadlineAndCounted(Vertx vertx) {
    int port = FreePorts.next();
    try (ChildRuntime child = withShortBudget(PlainHttpVerticle.class, port, "2s")) {
      Future<Reply> stuck = Http.get(vertx.createHttpClient(), port, "/?ms=60000");
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", address(port), 1);

      child.signal("TERM");
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), child.awaitExit(Duration.ofSeconds(10)), child.output());
      Await.failure(stuck);
      JsonObject summary = HttpShutdownTest.summary(child);
      assertEquals("forced", summary.getString("outcome"));
      assertEquals(1, summary.getInteger("connectionsForceClosed"));
      JsonObject server = server(summary, address(port));
      assertEquals(1, server.getInteger("forcedConnections"));
      assertTrue(server.getJsonArray("cut").getString(0).startsWith("GET /?ms=60000"), server.encode());
      assertTrue(child.output().contains("drain cut off at the deadline: http server '" + address(port) + "'"), child.output());
    }
  }

  @Test
  void clientTextInTheCutListIsEscaped(Vertx vertx) throws Exception {
    int port = FreePorts.next();
    try (ChildRuntime child = withShortBudget(PlainHttpVerticle.class, port, "2s");
        Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      // A terminal escape sequence in the URI: raw in a log it would recolour (or rewrite) an operator's terminal.
      socket.getOutputStream().write("GET /?ms=60000&x=\u001b[31mred HTTP/1.1\r\nHost: x\r\n\r\n"
          .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", address(port), 1);
      child.signal("TERM");
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), child.awaitExit(Duration.ofSeconds(10)), child.output());
      String cutLine = child.awaitLine("drain cut off");
      assertTrue(cutLine.contains("x=\\x1b[31mred"), cutLine);
      assertFalse(child.output().contains("\u001b"), "a raw ESC reached the log");
    }
  }

  @Test
  void tunnelOpenedWithConnectIsNotClosedAsIdleAndIsCountedWhenCut(Vertx vertx) throws Exception {
    int port = FreePorts.next();
    try (ChildRuntime child = withShortBudget(PlainTunnelVerticle.class, port, "3s");
        Socket tunnel = new Socket()) {
      tunnel.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      tunnel.setSoTimeout(10_000);
      tunnel.getOutputStream().write("CONNECT example:443 HTTP/1.1\r\nHost: example:443\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String head = Http.readHead(tunnel);
      assertTrue(head.startsWith("HTTP/1.1 200"), head);
      assertFalse(head.toLowerCase(Locale.ROOT).contains("connection: close"), head);

      child.signal("TERM");
      child.awaitLine("drain: told the clients");
      // The tunnel carries the client's own protocol: the drain tells it like a NetSocket, it does not close it as idle.
      tunnel.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
      assertEquals("ping", new String(tunnel.getInputStream().readNBytes(4), StandardCharsets.US_ASCII));
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), child.awaitExit(Duration.ofSeconds(10)), child.output());
      JsonObject server = server(HttpShutdownTest.summary(child), address(port));
      assertEquals(1, server.getInteger("forcedConnections"), server.encode());
    }
  }

  @Test
  void blockedEventLoopCannotHoldTheDrainOrLoseTheReport(Vertx vertx) {
    int port = FreePorts.next();
    try (ChildRuntime child = withShortBudget(BlockingHttpVerticle.class, port, "2s")) {
      Future<Reply> blocking = Http.get(vertx.createHttpClient(), port, "/block?ms=8000");
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", address(port), 1);

      child.signal("TERM");
      assertEquals(ExitCode.SHUTDOWN_FORCED.code(), child.awaitExit(Duration.ofSeconds(6)), child.output());
      JsonObject summary = HttpShutdownTest.summary(child);
      assertEquals("forced", summary.getString("outcome"));
      assertEquals(1, server(summary, address(port)).getInteger("forcedConnections"));
      assertTrue(child.output().contains("cut: GET /block?ms=8000"), child.output());
      Await.failure(blocking);
    }
  }

  @Test
  void failedStopIsNotAClean(Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_VERTICLES", FailingStopVerticle.class.getName(),
        "GRACEFUL_DRAIN_DELAY", "0"))) {
      child.signal("TERM");
      assertEquals(ExitCode.STOP_FAILED.code(), child.awaitExit(Duration.ofSeconds(10)), child.output());
      JsonObject summary = HttpShutdownTest.summary(child);
      assertEquals("stop-failed", summary.getString("outcome"));
      JsonObject failed = summary.getJsonObject("phases").getJsonObject("stop-verticles").getJsonArray("failedToStop").getJsonObject(0);
      assertEquals(FailingStopVerticle.class.getName(), failed.getString("verticle").replace("verticle ", ""));
      assertEquals("could not flush 42 outbox records", failed.getString("cause"));
    }
  }

  @Test
  void idleConnectionsDoNotHoldTheDrain(Vertx vertx) throws Exception {
    // Connections that never send a request, as a load balancer's pool holds them, on the demo's HTTP and gRPC ports.
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_DRAIN_DELAY", "0", "GRACEFUL_SHUTDOWN_TIMEOUT", "20s"));
        Socket http = new Socket(); Socket grpc = new Socket()) {
      http.connect(new InetSocketAddress("127.0.0.1", child.httpPort), 5000);
      grpc.connect(new InetSocketAddress("127.0.0.1", child.grpcPort), 5000);
      Management.awaitMetrics(vertx.createHttpClient(), child.managementPort, Duration.ofSeconds(10),
          "graceful_connections_open{kind=\"http\",server=\"http\"} 1.0", "graceful_connections_open{kind=\"grpc\",server=\"grpc\"} 1.0");

      long start = System.nanoTime();
      child.signal("TERM");
      assertEquals(ExitCode.CLEAN.code(), child.awaitExit(Duration.ofSeconds(20)), child.output());
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      // The announce window (at most 1 s) and the JVM's exit; not the 20 s budget.
      assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "an idle connection held the drain for " + took.toMillis() + " ms");
      assertEquals(-1, http.getInputStream().read(), "the idle connection was closed by the server");
      assertEquals(0, HttpShutdownTest.summary(child).getInteger("connectionsForceClosed"));
    }
  }

  @Test
  void everyInstanceOnOnePortGetsTheIdleTimeout() throws Exception {
    int port = FreePorts.next();
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_VERTICLES", PlainMultiInstanceApp.class.getName(),
        "PLAIN_HTTP_PORT", String.valueOf(port), "GRACEFUL_IDLE_TIMEOUT", "2s", "GRACEFUL_REQUEST_HEADER_TIMEOUT", "10m"))) {
      // Connections that sent one request and then idle, spread over the instances (Vert.x hands them out in turn).
      List<java.net.Socket> idle = new ArrayList<>();
      try {
        for (int i = 0; i < 12; i++) {
          java.net.Socket socket = new java.net.Socket("127.0.0.1", port);
          idle.add(socket);
          assertTrue(Http.exchange(socket, "/?ms=0").startsWith("HTTP/1.1 200"));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        for (java.net.Socket socket : idle) {
          socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
          assertEquals(-1, socket.getInputStream().read(), "closed by the server once idle 2 s");
        }
      } finally {
        for (java.net.Socket socket : idle) {
          socket.close();
        }
      }
    }
  }
}
