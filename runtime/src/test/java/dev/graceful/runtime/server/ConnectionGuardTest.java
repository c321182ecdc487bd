package dev.graceful.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.GracefulRuntime;
import dev.graceful.runtime.config.ConfigLoader;
import dev.graceful.runtime.demo.DemoGrpc;
import dev.graceful.runtime.demo.grpc.DemoGrpcService;
import dev.graceful.runtime.support.Await;
import dev.graceful.runtime.support.FreePorts;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SelfSignedCertificate;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The connection guard on servers the application opens itself in ways the demo does not: TLS with SNI, and
 * grpc-web-text. Protections must not close a legitimate connection or refuse a legitimate call.
 */
class ConnectionGuardTest {

  private GracefulRuntime runtime;

  @AfterEach
  void close() {
    if (runtime != null) {
      Await.result(runtime.close());
    }
  }

  private static dev.graceful.runtime.config.RuntimeConfig config(String... overrides) {
    Map<String, String> env = new HashMap<>(Map.of(
        "GRACEFUL_HOST", "127.0.0.1", "GRACEFUL_HTTP_PORT", "0", "GRACEFUL_GRPC_PORT", "0",
        "GRACEFUL_MANAGEMENT_PORT", "0", "GRACEFUL_KUBERNETES", "false", "GRACEFUL_REQUEST_HEADER_TIMEOUT", "1s"));
    for (int i = 0; i < overrides.length; i += 2) {
      env.put(overrides[i], overrides[i + 1]);
    }
    return ConfigLoader.load(env);
  }

  private static HttpClient trustingClient() throws Exception {
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, new TrustManager[] {new X509TrustManager() {
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
      }

      public void checkServerTrusted(X509Certificate[] chain, String authType) {
      }

      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Test
  void aTlsServerWithSniKeepsItsHttp1ConnectionsPastTheHeaderTimeout() throws Exception {
    int port = FreePorts.next();
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    runtime = GracefulRuntime.builder().config(config()).verticle("tls-sni", () -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer(new HttpServerOptions().setSsl(true).setSni(true)
                .setKeyCertOptions(certificate.keyCertOptions()))
            .requestHandler(req -> vertx.setTimer(1500, id -> req.response().end("slow over tls\n")))
            .listen(port, "127.0.0.1");
      }
    }).build();
    Await.result(runtime.start());
    HttpClient client = trustingClient();
    for (int i = 0; i < 2; i++) { // the second on the same keep-alive connection, 1.5 s later still
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode());
      assertEquals("slow over tls\n", response.body());
    }
  }

  @Test
  void grpcWebTextCallsAreServed() throws Exception {
    runtime = GracefulRuntime.builder().config(config()).grpc(vertx -> DemoGrpcService.of(new DemoGrpc(vertx))).build();
    Await.result(runtime.start());
    // Delay with delay_ms=1, framed, then base64 as grpc-web-text sends it.
    byte[] message = {0, 0, 0, 0, 2, 0x08, 0x01};
    HttpResponse<String> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runtime.port("grpc") + "/graceful.demo.v1.Demo/Delay"))
            .header("content-type", "application/grpc-web-text").header("x-grpc-web", "1")
            .POST(HttpRequest.BodyPublishers.ofString(Base64.getEncoder().encodeToString(message)))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("grpc-status").map("0"::equals).orElse(true), response.headers().toString());
    // grpc-web-text: base64 of the framed reply, then of the framed trailers, each padded on its own.
    StringBuilder decoded = new StringBuilder();
    java.util.regex.Matcher chunk = java.util.regex.Pattern.compile("[A-Za-z0-9+/]+={0,2}").matcher(response.body());
    while (chunk.find()) {
      String part = chunk.group();
      int usable = part.endsWith("=") ? part.length() : part.length() - part.length() % 4;
      decoded.append(new String(Base64.getDecoder().decode(part.substring(0, usable)), java.nio.charset.StandardCharsets.ISO_8859_1));
    }
    assertTrue(decoded.toString().contains("grpc-status:0"), "the trailers say OK: " + decoded);
  }

  /**
   * The head timeout times each head of a keep-alive connection from its own first byte: a head begun after the
   * connection's check was scheduled (for the connection's first head) is not cut at that check, and is still closed
   * at its own deadline. (The check is re-aimed, not rescheduled per request.)
   */
  @Test
  void eachHeadOfAKeepAliveConnectionGetsItsOwnHeaderTimeout() throws Exception {
    runtime = GracefulRuntime.builder().config(config()).http(dev.graceful.runtime.demo.DemoRouter::create).build(); // header timeout 1s
    Await.result(runtime.start());
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", runtime.port("http"))) {
      socket.setSoTimeout(5000);
      java.io.OutputStream out = socket.getOutputStream();
      java.io.InputStream in = socket.getInputStream();
      // t=0: a whole request (the first head, timed from the connect, is complete at once) and its answer.
      out.write("GET /delay?ms=0 HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.flush();
      byte[] buf = new byte[4096];
      int n = in.read(buf);
      assertTrue(n > 0 && new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
      Thread.sleep(600);
      // t=0.6 s: the start of a second head, never finished. The connection's check fires at t=1 s: 0.4 s into it.
      long started = System.nanoTime();
      out.write("GET /delay?ms=0 HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      out.flush();
      socket.setSoTimeout(800);
      assertThrows(java.net.SocketTimeoutException.class, in::read, "open 0.8 s into the second head");
      socket.setSoTimeout(5000);
      assertEquals(-1, in.read(), "closed at the second head's own deadline");
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertTrue(tookMs >= 950 && tookMs < 3000, "closed " + tookMs + " ms after the second head began");
    }
  }
}
