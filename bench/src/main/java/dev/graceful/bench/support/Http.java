package dev.graceful.bench.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal HTTP/1.1 GET on loopback with a fresh connection: cheap enough to poll every few milliseconds. */
public final class Http {

  private Http() {
  }

  /** The status code of {@code GET path}, or -1 if the connection fails or no status line arrives in time. */
  public static int status(int port, String path, int timeoutMs) {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMs);
      socket.setSoTimeout(timeoutMs);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] head = new byte[12];
      int n = 0;
      while (n < head.length) {
        int r = in.read(head, n, head.length - n);
        if (r < 0) {
          return -1;
        }
        n += r;
      }
      String line = new String(head, StandardCharsets.US_ASCII); // "HTTP/1.1 200"
      return line.startsWith("HTTP/1.") ? Integer.parseInt(line.substring(9, 12)) : -1;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }
}
