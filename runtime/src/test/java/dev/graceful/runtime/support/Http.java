package dev.graceful.runtime.support;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/** Small HTTP helpers for tests: a GET that keeps status, headers and body, and a connection probe. */
public final class Http {

  /** What a test needs from a response. */
  public record Reply(int status, String connectionHeader, String body) {
  }

  private Http() {
  }

  public static Future<Reply> get(HttpClient client, int port, String uri) {
    return client.request(HttpMethod.GET, port, "127.0.0.1", uri)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> new Reply(resp.statusCode(), resp.getHeader("connection"), body.toString())))
        // Vert.x closes a client the garbage collector finds unreferenced (CleanableHttpClient): a caller passing
        // createHttpClient() inline would lose its pool mid-request ("Pool closed", seen once). Held until the answer.
        .andThen(ar -> Reference.reachabilityFence(client));
  }

  /** Sends {@code GET uri} on a raw keep-alive HTTP/1.1 connection and reads the whole response (head and body). */
  public static String exchange(Socket socket, String uri) throws IOException {
    socket.getOutputStream().write(("GET " + uri + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    String head = readHead(socket);
    Matcher length = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    if (!length.find()) {
      throw new IOException("no content-length: " + head);
    }
    byte[] body = socket.getInputStream().readNBytes(Integer.parseInt(length.group(1)));
    return head + new String(body, StandardCharsets.ISO_8859_1);
  }

  /**
   * A GET with the JDK's client on a new connection, as a kubelet's probe makes it: for the few places where Vert.x
   * 5.0.7's HttpClient was seen, now and then on a busy machine, never to complete a request the server had answered.
   */
  public static Reply getWithJdk(int port, String uri) {
    try {
      java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newBuilder()
          .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build()
          .send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + uri))
              .timeout(Duration.ofSeconds(20)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      return new Reply(response.statusCode(), response.headers().firstValue("connection").orElse(null), response.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Reads a response head, up to and including the empty line. */
  public static String readHead(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed mid-response: " + head);
      }
      head.append((char) b);
    }
    return head.toString();
  }

  /** True when a new TCP connection to the port is accepted. */
  public static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (ConnectException e) {
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  /** Waits, bounded, until new connections to the port are refused. */
  public static boolean awaitRefused(int port, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!accepts(port)) {
        return true;
      }
      Await.pause();
    }
    return false;
  }
}
