package dev.graceful.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Small helpers for the daemons the harness starts on this machine (control plane, node). */
public final class LocalProcesses {

  private LocalProcesses() {
  }

  /** A loopback port free right now, for a daemon told to listen on it. */
  public static int freeLoopbackPort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGTERM, then SIGKILL after 10 s: how the harness stops a daemon it started. */
  public static void stop(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** The last {@code lines} lines of every log file in {@code dir}, each under its name: what a failure report shows. */
  public static String logTails(Path dir, int lines) {
    StringBuilder out = new StringBuilder();
    try (var files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        List<String> all = Files.readAllLines(f);
        out.append("\n--- ").append(f.getFileName()).append(" (last ").append(lines).append(" lines)\n")
            .append(String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())));
      }
    } catch (IOException | UncheckedIOException e) {
      out.append("\n(no logs in ").append(dir).append(": ").append(e).append(')');
    }
    return out.toString();
  }
}
