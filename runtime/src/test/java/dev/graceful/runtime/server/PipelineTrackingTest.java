package dev.graceful.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.support.Await;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Request tracking in the connection's pipeline at its edges: what Vert.x discards, interim answers, tunnels,
 * WebSockets, h2c upgrades with a body, prior-knowledge HTTP/2 in one read, resets, and the frame listeners the drain
 * and the tracking put in front of Vert.x's, in both orders (an adversarial review's cases, kept).
 */
class PipelineTrackingTest {

  private final ServerRegistry registry = new ServerRegistry();
  private Vertx vertx;
  private final List<HttpServerRequest> held = new CopyOnWriteArrayList<>();

  @BeforeEach
  void vertx() {
    vertx = Vertx.builder().with(new VertxOptions()).withTransport(registry.transport()).build();
  }

  @AfterEach
  void close() {
    Await.result(vertx.close());
  }

  private HttpServer server(HttpServerOptions options) {
    return Await.result(vertx.createHttpServer(options).requestHandler(req -> {
      if (req.path().startsWith("/hold")) {
        held.add(req);
      } else if (req.path().equals("/tunnel")) {
        req.toNetSocket().onSuccess(so -> so.handler(so::write));
      } else if (req.path().equals("/ws")) {
        req.toWebSocket();
      } else if (req.path().equals("/body")) {
        req.body().onSuccess(b -> req.response().end("got " + b.length()));
      } else {
        req.response().end("ok");
      }
    }).listen(0, "127.0.0.1"));
  }

  private BoundServer bound(int port) {
    return registry.servers().stream().filter(s -> s.address().map(a -> a.getPort() == port).orElse(false)).findFirst()
        .orElseThrow();
  }


  private static String readHead(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    while (!b.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      b.append((char) c);
    }
    return b.toString();
  }

  // ---- HTTP/1.x ----

  /**
   * After a request with Connection: close, Vert.x discards every further pipelined head and reads on: they are counted
   * as discarded, not kept in flight (one connection would otherwise grow the in-flight set without bound).
   */
  @Test
  void headsPipelinedAfterAConnectionCloseAreCountedNotKeptInFlight() throws Exception {
    HttpServer server = server(new HttpServerOptions());
    BoundServer bound = bound(server.actualPort());
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      OutputStream out = s.getOutputStream();
      out.write("GET /hold HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      Await.until(() -> held.size() == 1, "the held request");
      out.write(pipelined(50_000));
      out.flush();
      Await.until(() -> bound.discardedRequests() == 50_000, "50,000 heads read and discarded");
      assertEquals(1, bound.inFlightRequests(), "only the held request is in flight");
    }
  }

  /** The same once the drain told the connection to close: a keep-alive client's later pipelined heads. */
  @Test
  void headsPipelinedAfterTheDrainBeganAreCountedNotKeptInFlight() throws Exception {
    HttpServer server = server(new HttpServerOptions());
    BoundServer bound = bound(server.actualPort());
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      OutputStream out = s.getOutputStream();
      out.write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      Await.until(() -> held.size() == 1, "the held request");
      Channel channel = bound.channels().iterator().next();
      bound.drain(Duration.ofSeconds(30));
      onLoop(channel, () -> null); // after the drain's task on the connection's loop, which sent Vert.x its ShutdownEvent
      out.write(pipelined(20_000));
      out.flush();
      Await.until(() -> bound.discardedRequests() == 20_000, "20,000 heads read and discarded");
      assertEquals(20_000, bound.discardedSinceDrainBegan());
      assertEquals(1, bound.inFlightRequests(), "only the held request is in flight");
      held.get(0).response().end("done");
      Await.until(() -> bound.inFlightRequests() == 0, "the held request's end");
    }
  }

  private static byte[] pipelined(int heads) {
    byte[] one = "GET /x HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    for (int i = 0; i < heads; i++) {
      batch.writeBytes(one);
    }
    return batch.toByteArray();
  }

  /** 100 Continue does not end the request; the final answer does. */
  @Test
  void continueIsInterim() throws Exception {
    HttpServer server = server(new HttpServerOptions().setHandle100ContinueAutomatically(true));
    BoundServer bound = bound(server.actualPort());
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write("POST /body HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String interim = readHead(s.getInputStream());
      assertTrue(interim.startsWith("HTTP/1.1 100"), interim);
      assertEquals(1, bound.inFlightRequests());
      out.write("hello".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String fin = readHead(s.getInputStream());
      assertTrue(fin.startsWith("HTTP/1.1 200"), fin);
      Await.until(() -> bound.inFlightRequests() == 0, "the answer's end");
    }
  }

  /** An early answer ends the first request; the next request's entry is its own (FIFO stays aligned). */
  @Test
  void earlyAnswerThenNextRequest() throws Exception {
    HttpServer server = server(new HttpServerOptions());
    BoundServer bound = bound(server.actualPort());
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write("POST /quick HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String fin = readHead(s.getInputStream());
      assertTrue(fin.startsWith("HTTP/1.1 200"), fin);
      Await.until(() -> bound.inFlightRequests() == 0, "the early answer ends it");
      out.write("0123456789GET /hold HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      Await.until(() -> held.size() == 1, "the held request");
      assertEquals(1, bound.inFlightRequests());
      DrainOutcome cut = bound.cutOff(1);
      assertTrue(cut.cutRequests().get(0).startsWith("GET /hold"), cut.toString());
    }
  }

  /** During the announcement a WebSocket's 101 goes out without Connection: close, and ends its request. */
  @Test
  void webSocketDuringAnnouncement() throws Exception {
    HttpServer server = server(new HttpServerOptions());
    BoundServer bound = bound(server.actualPort());
    bound.announce(vertx, Duration.ofSeconds(5));
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
          + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      String head = readHead(s.getInputStream());
      assertTrue(head.startsWith("HTTP/1.1 101"), head);
      assertFalse(head.toLowerCase().contains("connection: close"), head);
      Await.until(() -> bound.inFlightRequests() == 0, "the 101 ends the request");
    }
  }

  /** CONNECT + toNetSocket: the 200 head is not a LastHttpContent, so the request stays in flight for the tunnel's life. */
  @Test
  void connectTunnelStaysInFlight() throws Exception {
    HttpServer server = server(new HttpServerOptions());
    BoundServer bound = bound(server.actualPort());
    bound.announce(vertx, Duration.ofSeconds(5));
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("CONNECT /tunnel HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      String head = readHead(s.getInputStream());
      assertTrue(head.startsWith("HTTP/1.1 200"), head);
      assertFalse(head.toLowerCase().contains("connection: close"), head);
      s.getOutputStream().write("ping".getBytes(StandardCharsets.ISO_8859_1));
      byte[] echo = s.getInputStream().readNBytes(4);
      assertEquals("ping", new String(echo, StandardCharsets.ISO_8859_1));
      assertEquals(1, bound.inFlightRequests(), "the tunnel's request is in flight while the tunnel is open");
    }
  }

  /** Compression on: sendFile goes through the ChunkedWriteHandler; the empty last content still ends the request. */
  @Test
  void sendFileWithCompression() throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("review", ".txt");
    java.nio.file.Files.writeString(file, "x".repeat(100_000));
    HttpServer server = Await.result(vertx.createHttpServer(new HttpServerOptions().setCompressionSupported(true))
        .requestHandler(req -> req.response().sendFile(file.toString())).listen(0, "127.0.0.1"));
    BoundServer bound = bound(server.actualPort());
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("GET /f HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      String head = readHead(s.getInputStream());
      assertTrue(head.startsWith("HTTP/1.1 200"), head);
      Await.until(() -> bound.inFlightRequests() == 0, "sendFile's end");
    } finally {
      java.nio.file.Files.deleteIfExists(file);
    }
  }

  /** h2c upgrade of a POST with a body: stream 1 is in flight until its answer. */
  @Test
  void h2cUpgradeWithBody() throws Exception {
    HttpServer server = server(new HttpServerOptions());
    BoundServer bound = bound(server.actualPort());
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /hold HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
          + "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nContent-Length: 5\r\n\r\nhel").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      Await.until(() -> held.size() == 1, "the upgrade request");
      assertEquals(1, bound.inFlightRequests());
      out.write("lo".getBytes(StandardCharsets.ISO_8859_1));
      out.write(PREFACE);
      frame(out, SETTINGS, 0, 0, new byte[0]);
      out.flush();
      String upgraded = readHead(s.getInputStream());
      assertTrue(upgraded.startsWith("HTTP/1.1 101"), upgraded);
      awaitSettingsAck(s); // the client's preface and SETTINGS were read
      assertEquals(1, bound.inFlightRequests());
      vertx.runOnContext(v -> held.get(0).response().end("done"));
      Await.until(() -> bound.inFlightRequests() == 0, "stream 1 closed");
    }
  }

  /**
   * Prior-knowledge h2c whose first read carries the preface, SETTINGS and HEADERS (what gRPC clients send): those
   * streams are tracked too (the guard's relocation passes the first bytes on before it leaves the pipeline).
   */
  @Test
  void priorKnowledgeStreamsInTheFirstReadAreTracked() throws Exception {
    HttpServer server = server(new HttpServerOptions());
    BoundServer bound = bound(server.actualPort());
    try (dev.graceful.runtime.support.RawH2 h2 = new dev.graceful.runtime.support.RawH2(server.actualPort())) {
      h2.openStreamsWithoutAck(3, "/hold", null);
      Await.until(() -> held.size() == 3, "three streams served");
      Await.until(() -> bound.inFlightRequests() == 3, "three streams in flight");
    }
  }

  /** A pipelined invalid head behind a held request: both tracked, each ended by its own answer. */
  @Test
  void invalidRequestPipelinedBehindAHeldOne() throws Exception {
    HttpServer server = server(new HttpServerOptions());
    BoundServer bound = bound(server.actualPort());
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(("GET /hold HTTP/1.1\r\nHost: x\r\n\r\nGET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      Await.until(() -> held.size() == 1, "the held request");
      Await.until(() -> bound.inFlightRequests() == 2, "both heads tracked");
      vertx.runOnContext(v -> held.get(0).response().end("done"));
      String first = readHead(s.getInputStream());
      assertTrue(first.startsWith("HTTP/1.1 200"), first);
      s.getInputStream().readNBytes(4);
      String second = readHead(s.getInputStream());
      Await.until(() -> bound.inFlightRequests() == 0, "both ended");
    }
  }

  /** HEAD: the answer has no body; it ends the request. */
  @Test
  void headRequest() throws Exception {
    HttpServer server = server(new HttpServerOptions());
    BoundServer bound = bound(server.actualPort());
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\nGET /hold HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      String head = readHead(s.getInputStream());
      assertTrue(head.startsWith("HTTP/1.1 200"), head);
      Await.until(() -> held.size() == 1, "the held request");
      assertEquals(1, bound.inFlightRequests());
      assertTrue(bound.cutOff(1).cutRequests().get(0).startsWith("GET /hold"));
    }
  }

  /** The client resets a held stream: its entry goes. */
  @Test
  void clientResetEndsAStream() throws Exception {
    HttpServer server = server(new HttpServerOptions());
    BoundServer bound = bound(server.actualPort());
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(PREFACE);
      frame(out, SETTINGS, 0, 0, new byte[0]);
      frame(out, HEADERS, 0x5, 1, getHeaders("/hold1"));
      frame(out, HEADERS, 0x5, 3, getHeaders("/hold3"));
      out.flush();
      Await.until(() -> held.size() == 2, "two streams");
      Await.until(() -> bound.inFlightRequests() == 2, "two tracked");
      frame(out, 0x3, 0, 1, new byte[] {0, 0, 0, 8});
      out.flush();
      Await.until(() -> bound.inFlightRequests() == 1, "the reset stream ended");
    }
  }

  // ---- HTTP/2 listener chains ----

  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
  private static final int HEADERS = 0x1;
  private static final int SETTINGS = 0x4;
  private static final int PING = 0x6;

  private static void frame(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
    out.write(new byte[] {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length,
        (byte) type, (byte) flags, (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream});
    out.write(payload);
  }

  private static byte[] getHeaders(String path) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x82); // :method GET
    b.write(0x86); // :scheme http
    b.write(0x01); // :authority, literal
    b.write(1);
    b.write('x');
    b.write(0x04); // :path, literal
    b.write(path.length());
    b.writeBytes(path.getBytes(StandardCharsets.ISO_8859_1));
    return b.toByteArray();
  }

  /** Reads frames until the server acknowledges the client's SETTINGS. */
  private static void awaitSettingsAck(Socket s) throws IOException {
    DataInputStream in = new DataInputStream(s.getInputStream());
    while (true) {
      int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
      int type = in.readUnsignedByte();
      int flags = in.readUnsignedByte();
      in.readInt();
      in.readNBytes(length);
      if (type == SETTINGS && (flags & 1) == 1) {
        return;
      }
    }
  }

  /** Reads frames until a PING (not an ACK) arrives, answering SETTINGS; returns its payload. */
  private static byte[] awaitPing(Socket s) throws IOException {
    DataInputStream in = new DataInputStream(s.getInputStream());
    OutputStream out = s.getOutputStream();
    while (true) {
      int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
      int type = in.readUnsignedByte();
      int flags = in.readUnsignedByte();
      in.readInt();
      byte[] payload = in.readNBytes(length);
      if (type == SETTINGS && (flags & 1) == 0) {
        frame(out, SETTINGS, 1, 0, new byte[0]);
        out.flush();
      } else if (type == PING && (flags & 1) == 0) {
        return payload;
      }
    }
  }

  private static String chain(Http2FrameListener listener) throws Exception {
    StringBuilder b = new StringBuilder();
    java.lang.reflect.Field next = Http2FrameListenerDecorator.class.getDeclaredField("listener");
    next.setAccessible(true);
    while (listener != null) {
      b.append(listener.getClass().getSimpleName()).append(" > ");
      listener = listener instanceof Http2FrameListenerDecorator d ? (Http2FrameListener) next.get(d) : null;
    }
    return b.toString();
  }

  private static <T> T onLoop(Channel channel, java.util.concurrent.Callable<T> task) throws Exception {
    return channel.eventLoop().submit(task).get(5, TimeUnit.SECONDS);
  }

  private void announceThenRequests(BoundServer bound, Socket s, Channel channel, byte[] first) throws Exception {
    CompletableFuture<Void> acked = new CompletableFuture<>();
    onLoop(channel, () -> {
      VertxChannels.announceHttp2(channel).onComplete(ar -> acked.complete(null));
      return null;
    });
    Http2ConnectionHandler h2 = channel.pipeline().get(Http2ConnectionHandler.class);
    OutputStream out = s.getOutputStream();
    out.write(first);
    frame(out, HEADERS, 0x5, 1, getHeaders("/hold1"));
    out.flush();
    Await.until(() -> held.size() == 1, "stream 1 served");
    assertEquals(1, bound.inFlightRequests(), "stream 1 tracked");
    byte[] ping = awaitPing(s);
    frame(out, PING, 1, 0, ping);
    for (int i = 0; i < 3; i++) {
      frame(out, SETTINGS, 0, 0, new byte[0]); // more SETTINGS: the chain must not grow
    }
    frame(out, HEADERS, 0x5, 3, getHeaders("/hold3"));
    out.flush();
    acked.get(5, TimeUnit.SECONDS);
    Await.until(() -> held.size() == 2, "stream 3 served");
    assertEquals(2, bound.inFlightRequests(), "stream 3 tracked");
    String end = onLoop(channel, () -> chain(h2.decoder().frameListener()));
    assertEquals(3, end.split(" > ").length, end);
  }

  /** Headers listener first (h2c prior knowledge, preface only), then the PING listener, then the client's SETTINGS. */
  @Test
  void headersListenerThenPingListenerBeforeSettings() throws Exception {
    HttpServer server = server(new HttpServerOptions());
    BoundServer bound = bound(server.actualPort());
    try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(PREFACE); // the preface alone: no SETTINGS read yet
      s.getOutputStream().flush();
      Await.until(() -> bound.channels().size() == 1
          && bound.channels().iterator().next().pipeline().get(Http2ConnectionHandler.class) != null, "h2 configured");
      Channel channel = bound.channels().iterator().next();
      Http2ConnectionHandler h2 = channel.pipeline().get(Http2ConnectionHandler.class);
      Await.until(() -> {
        try {
          return onLoop(channel, () -> chain(h2.decoder().frameListener())).equals("HeadersListener > VertxHttp2ConnectionHandler > ");
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }, "the headers listener in front of Vert.x's handler");
      announceThenRequests(bound, s, channel, new byte[] {0, 0, 0, SETTINGS, 0, 0, 0, 0, 0}); // the client's SETTINGS
    }
  }

  /** TLS with ALPN h2: the PING listener goes in after the handshake, before the first byte; the headers listener after it. */
  @Test
  void pingListenerThenHeadersListenerOverTls() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("review");
    java.nio.file.Path ks = dir.resolve("ks.p12");
    Process p = new ProcessBuilder("keytool", "-genkeypair", "-alias", "s", "-keyalg", "EC", "-dname", "CN=localhost",
        "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", "secret", "-keypass", "secret")
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, new String(p.getInputStream().readAllBytes()));
    HttpServer server = server(new HttpServerOptions().setSsl(true).setUseAlpn(true)
        .setKeyCertOptions(new io.vertx.core.net.PfxOptions().setPath(ks.toString()).setPassword("secret")));
    BoundServer bound = bound(server.actualPort());
    javax.net.ssl.SSLContext ssl = javax.net.ssl.SSLContext.getInstance("TLS");
    ssl.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
      public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
      public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
      public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
    }}, null);
    try (javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", server.actualPort())) {
      javax.net.ssl.SSLParameters params = s.getSSLParameters();
      params.setApplicationProtocols(new String[] {"h2"});
      s.setSSLParameters(params);
      s.setSoTimeout(5000);
      s.startHandshake();
      assertEquals("h2", s.getApplicationProtocol());
      Await.until(() -> bound.channels().size() == 1
          && bound.channels().iterator().next().pipeline().get(Http2ConnectionHandler.class) != null, "h2 configured");
      Channel channel = bound.channels().iterator().next();
      Http2ConnectionHandler h2 = channel.pipeline().get(Http2ConnectionHandler.class);
      assertFalse(h2.decoder().frameListener().getClass().getSimpleName().equals("HeadersListener"));
      ByteArrayOutputStream first = new ByteArrayOutputStream();
      first.write(PREFACE);
      frame(first, SETTINGS, 0, 0, new byte[0]);
      announceThenRequests(bound, s, channel, first.toByteArray());
    }
  }
}
