package dev.graceful.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.support.Await;
import dev.graceful.runtime.support.Http;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.NetServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Pins what the drain relies on in Vert.x 5.0.7, through its effects: the transport sees every server and connection,
 * the pipeline sees every request, the pipeline's {@code VertxHandler} tells a connection whose protocol is not known yet
 * from an HTTP/1.x one, {@code ShutdownEvent} closes an HTTP/1.x connection after its response, and the HTTP/2 frames
 * go out. A Vert.x upgrade that changes any of these fails here, not in production.
 */
class VertxInternalsTest {

  private final ServerRegistry registry = new ServerRegistry();
  private Vertx vertx;

  @BeforeEach
  void vertx() {
    vertx = Vertx.builder().with(new VertxOptions()).withTransport(registry.transport()).build();
  }

  @AfterEach
  void close() {
    Await.result(vertx.close());
  }

  private HttpServer slowServer(HttpVersion... ignored) {
    return Await.result(vertx.createHttpServer().requestHandler(req -> {
      long ms = Long.parseLong(req.getParam("ms", "0"));
      if (ms == 0) {
        req.response().end("ok");
      } else {
        vertx.setTimer(ms, id -> req.response().end("ok"));
      }
    }).listen(0, "127.0.0.1"));
  }

  private BoundServer bound(int port) {
    return registry.servers().stream().filter(s -> s.address().map(a -> a.getPort() == port).orElse(false)).findFirst()
        .orElseThrow(() -> new AssertionError("the registry does not know the server on " + port));
  }


  @Test
  void everyServerIsKnownWithItsKind() {
    HttpServer http = slowServer();
    NetServer tcp = Await.result(vertx.createNetServer().connectHandler(s -> { }).listen(0, "127.0.0.1"));
    assertEquals("http", bound(http.actualPort()).kind());
    assertEquals("tcp", bound(tcp.actualPort()).kind());
    assertEquals("127.0.0.1:" + http.actualPort(), bound(http.actualPort()).name());
  }

  @Test
  void aServerThatStartsToListenDuringTheDrainIsClosed() {
    registry.beginDrain();
    Throwable failure = Await.failure(vertx.createHttpServer().requestHandler(req -> req.response().end()).listen(0, "127.0.0.1"));
    assertTrue(registry.servers().isEmpty(), "nothing listens: " + failure);
  }

  @Test
  void silentConnectionClosesAtTheDrainAndABusyOneAfterItsResponse() throws Exception {
    HttpServer server = slowServer();
    BoundServer bound = bound(server.actualPort());
    try (Socket silent = new Socket(); Socket busy = new Socket()) {
      silent.connect(new InetSocketAddress("127.0.0.1", server.actualPort()), 5000);
      busy.connect(new InetSocketAddress("127.0.0.1", server.actualPort()), 5000);
      silent.setSoTimeout(10_000);
      busy.setSoTimeout(10_000);
      busy.getOutputStream().write("GET /?ms=1000 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      Await.until(() -> bound.inFlightRequests() == 1, "the request to be tracked");
      assertEquals(2, bound.openConnections());

      Future<Void> drained = bound.drain(Duration.ofSeconds(30));
      assertEquals(-1, silent.getInputStream().read(), "a connection that never sent a byte is closed");
      assertFalse(drained.isComplete(), "the busy connection is still answering");
      InputStream in = busy.getInputStream();
      String reply = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      assertTrue(reply.startsWith("HTTP/1.1 200") && reply.endsWith("ok"), reply);
      Await.result(drained);
      assertEquals(0, bound.inFlightRequests());
      // Vert.x's close has completed, but the JDK closes a listening socket registered with a selector only at the
      // acceptor thread's next select(): on a busy machine a connection made at once can still reach it. Bounded: a
      // server really left running fails this.
      assertTrue(Http.awaitRefused(server.actualPort(), Duration.ofSeconds(5)), "the listener is closed");
    }
  }

  @Test
  void netSocketIsToldThroughItsShutdownHandler() throws Exception {
    NetServer tcp = Await.result(vertx.createNetServer()
        .connectHandler(socket -> socket.shutdownHandler(v -> socket.end(io.vertx.core.buffer.Buffer.buffer("bye")))).listen(0, "127.0.0.1"));
    BoundServer bound = bound(tcp.actualPort());
    try (Socket client = new Socket()) {
      client.connect(new InetSocketAddress("127.0.0.1", tcp.actualPort()), 5000);
      client.setSoTimeout(10_000);
      Await.until(() -> bound.openConnections() == 1, "the connection to be known");
      Future<Void> drained = bound.drain(Duration.ofSeconds(30));
      assertEquals("bye", new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
      Await.result(drained);
    }
  }

  @Test
  void http2GetsTheAnnouncementAndTheConnectionClosesWhenItsStreamsEnd() {
    HttpServer server = slowServer();
    BoundServer bound = bound(server.actualPort());
    Vertx clientVertx = Vertx.vertx();
    try {
      HttpClient h2 = clientVertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
          .setHttp2ClearTextUpgrade(false));
      Future<Http.Reply> inFlight = Http.get(h2, server.actualPort(), "/?ms=1500");
      Await.until(() -> bound.inFlightRequests() == 1, "the stream to be tracked");
      Channel channel = bound.channels().iterator().next();
      Http2ConnectionHandler handler = channel.pipeline().get(Http2ConnectionHandler.class);

      Await.result(bound.announce(vertx, Duration.ofSeconds(5)));
      assertTrue(handler.connection().goAwaySent(), "GOAWAY sent");
      assertEquals(Integer.MAX_VALUE, handler.connection().remote().lastStreamKnownByPeer(), "the first GOAWAY refuses nothing");

      Future<Void> drained = bound.drain(Duration.ofSeconds(30));
      assertEquals(200, Await.result(inFlight).status(), "the stream in flight completes");
      Await.result(drained);
      // No second GOAWAY with a lower stream id: a client that keeps opening streams after the first (h2load does)
      // gets them answered until the connection closes, rather than refused.
      assertEquals(Integer.MAX_VALUE, handler.connection().remote().lastStreamKnownByPeer());
    } finally {
      Await.result(clientVertx.close());
    }
  }
}
