package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.Http;
import dev.graceful.runtime.support.RawH2;
import dev.graceful.runtime.support.Await;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Hostile clients against the real {@code Main} in a child JVM: each case of the review that found them, reproduced
 * with a client written for it, now bounded, with other clients still served.
 */
class HostileClientsTest {

  private static final int FLOOD = 20_000;

  @Test
  void http2StreamsAreBoundedFromTheFirstFrameEvenWithoutASettingsAck() throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_KUBERNETES", "false"))) {
      for (int port : new int[] {child.httpPort, child.grpcPort}) {
        try (RawH2 flood = new RawH2(port)) {
          flood.openStreamsWithoutAck(FLOOD, port == child.httpPort ? "/delay?ms=20000" : "/graceful.demo.v1.Demo/Delay",
              port == child.httpPort ? null : "application/grpc");
          // The default limit (GRACEFUL_HTTP2_MAX_CONCURRENT_STREAMS=100) holds though the client never acknowledged it:
          // streams past it are refused, and Vert.x's reset-flood protection (200 RST_STREAM per 30 s) then closes the
          // connection. Without the limit every stream is accepted and nothing is refused.
          RawH2.Answer answer = flood.readUntilClosed(Duration.ofSeconds(20));
          assertTrue(answer.refused() > 0, "port " + port + ": " + answer);
          assertTrue(answer.closedByServer(), "port " + port + ": " + answer);
        }
        assertEquals(200, Http.getWithJdk(child.httpPort, "/delay?ms=0").status(), "other clients are still served");
      }
    }
  }

  /** Opens {@code count} connections to each port; returns them all. */
  private static List<Socket> connect(int count, int... ports) throws IOException {
    List<Socket> sockets = new ArrayList<>();
    for (int port : ports) {
      for (int i = 0; i < count; i++) {
        sockets.add(new Socket("127.0.0.1", port));
      }
    }
    return sockets;
  }

  /** True once the server has closed the socket (its read returns end of stream), without waiting. */
  private static boolean closedByServer(Socket socket) {
    try {
      socket.setSoTimeout(1);
      return socket.getInputStream().read() < 0;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  private static void closeAll(List<Socket> sockets) {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing
      }
    }
  }

  @Test
  void slowRequestHeadsAreClosedAtTheHeaderTimeoutOnEveryPort() throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_KUBERNETES", "false",
        "GRACEFUL_REQUEST_HEADER_TIMEOUT", "2s"))) {
      List<Socket> slow = connect(20, child.httpPort, child.managementPort);
      long start = System.nanoTime();
      try {
        for (Socket s : slow) {
          s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        // One more header byte every 200 ms, as slowloris does: never idle, never complete. Bounded at 8 s.
        long deadline = start + Duration.ofSeconds(8).toNanos();
        while (System.nanoTime() < deadline && !slow.stream().allMatch(HostileClientsTest::closedByServer)) {
          for (Socket s : slow) {
            try {
              s.getOutputStream().write('a');
            } catch (IOException closed) {
              // the server closed it
            }
          }
          Thread.sleep(200); // the attack's own pace, not a wait for the server
        }
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(slow.stream().allMatch(HostileClientsTest::closedByServer), "not all slow heads were closed in " + tookMs + " ms");
        assertTrue(tookMs < 5000, "closed after " + tookMs + " ms; the header timeout is 2 s");
      } finally {
        closeAll(slow);
      }
      assertEquals(200, Http.getWithJdk(child.httpPort, "/delay?ms=0").status(), "other clients are still served");
      assertTrue(Http.getWithJdk(child.managementPort, "/metrics").body().contains("graceful_http_header_timeouts_total 20.0"),
          "the application's 20 are counted");
    }
  }

  @Test
  void idleConnectionsAreClosedAtTheIdleTimeoutOnEveryPort() throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_KUBERNETES", "false",
        "GRACEFUL_IDLE_TIMEOUT", "2s", "GRACEFUL_MANAGEMENT_IDLE_TIMEOUT", "2s"))) {
      List<Socket> idle = connect(30, child.httpPort, child.grpcPort, child.managementPort);
      long start = System.nanoTime();
      try {
        long deadline = start + Duration.ofSeconds(8).toNanos();
        while (System.nanoTime() < deadline && !idle.stream().allMatch(HostileClientsTest::closedByServer)) {
          Await.pause();
        }
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(idle.stream().allMatch(HostileClientsTest::closedByServer), "not all idle connections closed in " + tookMs + " ms");
        assertTrue(tookMs >= 1500, "closed after " + tookMs + " ms, before the 2 s idle timeout");
      } finally {
        closeAll(idle);
      }
    }
  }

  @Test
  void ambiguousFramingIsAnswered400AndTheConnectionClosed() throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_KUBERNETES", "false"))) {
      String smuggled = "GET /delay?ms=0 HTTP/1.1\r\nHost: x\r\n\r\n";
      String[] attacks = {
          "POST /delay?ms=0 HTTP/1.1\r\nHost: x\r\nContent-Length: " + (5 + smuggled.length())
              + "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
          "POST /delay?ms=0 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + smuggled,
          "POST /delay?ms=0 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + smuggled};
      for (String attack : attacks) {
        try (Socket socket = new Socket("127.0.0.1", child.httpPort)) {
          socket.setSoTimeout(10_000);
          socket.getOutputStream().write(attack.getBytes(StandardCharsets.ISO_8859_1));
          String head = Http.readHead(socket);
          assertTrue(head.startsWith("HTTP/1.1 400 "), head);
          assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), head);
          byte[] rest = socket.getInputStream().readAllBytes(); // until the server closes: no answer to the hidden request
          assertEquals("", new String(rest, StandardCharsets.ISO_8859_1), "nothing after the 400");
        }
      }
      assertTrue(Http.getWithJdk(child.managementPort, "/metrics").body().contains("graceful_http_ambiguous_framing_total 3.0"));
    }
  }

  @Test
  void probesAnswerWithinASecondWhileConnectionsExhaustTheDescriptors() throws Exception {
    try (ChildRuntime child = ChildRuntime.startReadyWithFdLimit(256, Map.of("GRACEFUL_KUBERNETES", "false"))) {
      List<Socket> flood = new ArrayList<>();
      try {
        for (int i = 0; i < 400; i++) {
          flood.add(new Socket("127.0.0.1", child.httpPort));
        }
        long start = System.nanoTime();
        assertEquals(200, Http.getWithJdk(child.managementPort, "/health/live").status());
        assertEquals(200, Http.getWithJdk(child.managementPort, "/health/ready").status());
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs < 1000, "probes took " + tookMs + " ms with 400 connections on a 256-descriptor process:\n" + child.output());
        String metrics = Http.getWithJdk(child.managementPort, "/metrics").body();
        assertTrue(metrics.contains("graceful_connections_refused_total"), metrics);
        assertFalse(metrics.contains("graceful_connections_refused_total 0.0"), "the excess is refused and counted");
      } finally {
        closeAll(flood);
      }
      assertEquals(200, Http.getWithJdk(child.httpPort, "/delay?ms=0").status(), "served again once the flood is gone");
    }
  }

  @Test
  void malformedGrpcMessagesAreAnsweredAndTheStreamEnded() throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_KUBERNETES", "false"))) {
      Map<String, byte[]> bodies = Map.of(
          "a length prefix promising more bytes than arrive", new byte[] {0, 0, 0, 0, 100, 1, 2},
          "a 3-byte prefix", new byte[] {0, 0, 0},
          "the compressed flag without grpc-encoding", new byte[] {1, 0, 0, 0, 2, 8, 1},
          "an empty body", new byte[0]);
      for (Map.Entry<String, byte[]> body : bodies.entrySet()) {
        try (RawH2 h2 = new RawH2(child.grpcPort)) {
          RawH2.CallEnd end = h2.grpcCall("/graceful.demo.v1.Demo/Delay", body.getValue(), Duration.ofSeconds(5));
          assertEquals("end-stream", end.how(), body.getKey() + ": " + end);
          assertTrue(end.grpcStatus() != null && !end.grpcStatus().equals("0"), body.getKey() + ": " + end);
        }
      }
    }
  }

  /** A gRPC message: the 5-byte prefix, then the protobuf bytes. */
  private static byte[] grpcMessage(int... protobuf) {
    byte[] m = new byte[5 + protobuf.length];
    m[4] = (byte) protobuf.length;
    for (int i = 0; i < protobuf.length; i++) {
      m[5 + i] = (byte) protobuf[i];
    }
    return m;
  }

  @Test
  void grpcDeadlinesAreHonouredAndDemoInputsValidated() throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_KUBERNETES", "false"))) {
      // Delay with delay_ms=5000 (field 1, varint 0x88 0x27) and a 100 ms deadline.
      try (RawH2 h2 = new RawH2(child.grpcPort)) {
        RawH2.CallEnd end = h2.grpcCall("/graceful.demo.v1.Demo/Delay", grpcMessage(0x08, 0x88, 0x27), Duration.ofSeconds(10),
            "grpc-timeout", "100m");
        assertEquals("4", end.grpcStatus(), "DEADLINE_EXCEEDED: " + end);
        assertTrue(end.tookMs() < 3000, "answered after " + end.tookMs() + " ms for a 100 ms deadline");
      }
      // delay_ms=4294967295 (uint32 max): too large, not -1.
      try (RawH2 h2 = new RawH2(child.grpcPort)) {
        RawH2.CallEnd end = h2.grpcCall("/graceful.demo.v1.Demo/Delay", grpcMessage(0x08, 0xff, 0xff, 0xff, 0xff, 0x0f),
            Duration.ofSeconds(10));
        assertEquals("3", end.grpcStatus(), "INVALID_ARGUMENT: " + end);
      }
      // Ticks with count=2147483648 (2^31): refused, not streamed forever.
      try (RawH2 h2 = new RawH2(child.grpcPort)) {
        RawH2.CallEnd end = h2.grpcCall("/graceful.demo.v1.Demo/Ticks", grpcMessage(0x08, 0x80, 0x80, 0x80, 0x80, 0x08),
            Duration.ofSeconds(10));
        assertEquals("3", end.grpcStatus(), "INVALID_ARGUMENT: " + end);
      }
      Http.Reply tooLong = Http.getWithJdk(child.httpPort, "/delay?ms=%3Cscript%3E600000");
      assertEquals(400, tooLong.status());
      assertFalse(tooLong.body().contains("<script>"), "the input is not echoed: " + tooLong.body());
    }
  }

  @Test
  void reflectionCanBeTurnedOff() throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_KUBERNETES", "false", "GRACEFUL_GRPC_REFLECTION", "false"))) {
      try (RawH2 h2 = new RawH2(child.grpcPort)) {
        RawH2.CallEnd end = h2.grpcCall("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", new byte[0], Duration.ofSeconds(10));
        assertEquals("12", end.grpcStatus(), "UNIMPLEMENTED: " + end);
      }
    }
  }

  @Test
  void madeUpRequestMethodsDoNotGrowTheMetrics() throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_KUBERNETES", "false", "GRACEFUL_VERTX_METRICS", "true"))) {
      for (int i = 0; i < 300; i++) {
        try (Socket socket = new Socket("127.0.0.1", child.httpPort)) {
          socket.setSoTimeout(10_000);
          socket.getOutputStream().write(("M" + i + " /delay?ms=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
          socket.getInputStream().readAllBytes();
        }
      }
      String metrics = Http.getWithJdk(child.managementPort, "/metrics").body();
      java.util.Set<String> methods = new java.util.TreeSet<>();
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("method=\"([^\"]*)\"").matcher(metrics);
      while (m.find()) {
        methods.add(m.group(1));
      }
      assertTrue(methods.contains("OTHER"), "the made-up methods are counted, as OTHER: " + methods);
      assertTrue(methods.size() <= 10, "method label values: " + methods);
    }
  }

  @Test
  void silentConnectionsAreClosedAtTheHeaderTimeoutAndCannotLockTheProbesOut() throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_KUBERNETES", "false",
        "GRACEFUL_REQUEST_HEADER_TIMEOUT", "2s"))) {
      // More silent connections than the management port's 32 slots: the oldest make room for the kubelet's.
      List<Socket> silent = connect(40, child.managementPort, child.httpPort);
      try {
        long start = System.nanoTime();
        assertEquals(200, Http.getWithJdk(child.managementPort, "/health/live").status());
        assertTrue((System.nanoTime() - start) / 1_000_000 < 1000, "the probe got through");
        long deadline = start + Duration.ofSeconds(8).toNanos();
        while (System.nanoTime() < deadline && !silent.stream().allMatch(HostileClientsTest::closedByServer)) {
          Await.pause();
        }
        assertTrue(silent.stream().allMatch(HostileClientsTest::closedByServer), "a connection that never sends is closed");
      } finally {
        closeAll(silent);
      }
    }
  }

  @Test
  void aSignalWhileAFailedStartRollsBackKeepsTheStartFailure() {
    try (ChildRuntime child = ChildRuntime.start(Map.of("GRACEFUL_KUBERNETES", "false", "GRACEFUL_START_TIMEOUT", "20s",
        "GRACEFUL_VERTICLES", "dev.graceful.runtime.fixtures.FailingStartVerticle,dev.graceful.runtime.fixtures.NeverStartingVerticle"))) {
      child.awaitLine("start failed (");
      child.signal("TERM"); // the rollback waits for the verticle still starting
      assertEquals(dev.graceful.runtime.lifecycle.ExitCode.START_FAILED.code(), child.awaitExit(Duration.ofSeconds(40)), child.output());
      assertTrue(child.output().contains("graceful-runtime: start failed: "), child.output());
    }
  }
}
