package dev.graceful.e2e.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A standard load tool run for a fixed duration: wrk for HTTP/1.1 keep-alive, h2load for HTTP/2 (h2c), ghz for gRPC.
 * Failures are what the tool itself counts: wrk's socket errors and non-2xx/3xx responses; h2load's requests done
 * without success; ghz's responses with a status other than OK.
 */
public final class ToolLoad {

  private final String name;
  private final Process process;
  private final CompletableFuture<String> output;
  private final Duration duration;
  private long ok = -1;
  private long failed = -1;
  private String summary = "";

  private ToolLoad(String name, List<String> command, Duration duration) throws IOException {
    this.name = name;
    this.duration = duration;
    this.process = new ProcessBuilder(command).redirectErrorStream(true).start();
    this.output = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "read failed: " + e;
      }
    });
  }

  /**
   * wrk with a 10 s response timeout instead of its 2 s default: on a starved 2-core machine a slow answer is not a
   * dropped request, and a request the server really lost still times out (ghz's default is 20 s, the others wait).
   */
  public static ToolLoad wrk(String host, int port, Duration duration) throws IOException {
    return new ToolLoad("wrk HTTP/1.1 keep-alive", List.of("wrk", "-t2", "-c8", "--timeout", "10s", "-d" + duration.toSeconds() + "s",
        "http://" + host + ":" + port + "/delay?ms=10"), duration);
  }

  public static ToolLoad h2load(String host, int port, Duration duration) throws IOException {
    return new ToolLoad("h2load HTTP/2", List.of("h2load", "-c2", "-m4", "-D", String.valueOf(duration.toSeconds()),
        "http://" + host + ":" + port + "/delay?ms=10"), duration);
  }

  /**
   * ghz paced to cover the duration: a call count at a fixed rate rather than {@code -z}, which cancels the calls in
   * flight when the window ends and reports them as Unavailable.
   */
  public static ToolLoad ghz(String ghz, String host, int port, Duration duration) throws IOException {
    int rps = 150;
    // The proto rather than reflection: the naive contender serves no reflection.
    String proto = dev.graceful.e2e.E2eEnvironment.REPO.resolve("runtime/src/main/proto/graceful/demo/v1/demo.proto").toString();
    return new ToolLoad("ghz gRPC unary", List.of(ghz, "--insecure", "--proto", proto, "--call", "graceful.demo.v1.Demo/Delay",
        "-d", "{\"delay_ms\":10}", "-c", "4", "--rps", String.valueOf(rps), "-n", String.valueOf(rps * duration.toSeconds()),
        host + ":" + port), duration);
  }

  /** Waits (bounded by the duration plus a minute) for the tool to finish and reads its counts. */
  public ToolLoad await() throws Exception {
    if (!process.waitFor(duration.toSeconds() + 60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(name + " did not finish");
    }
    String out = output.get(10, TimeUnit.SECONDS);
    if (name.startsWith("wrk")) {
      long total = first(out, "(\\d+) requests in");
      long non2xx = first(out, "Non-2xx or 3xx responses: (\\d+)");
      Matcher socket = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)").matcher(out);
      long socketErrors = socket.find() ? Long.parseLong(socket.group(1)) + Long.parseLong(socket.group(2))
          + Long.parseLong(socket.group(3)) + Long.parseLong(socket.group(4)) : 0;
      if (total == 0) {
        throw new IllegalStateException(name + " printed no summary:\n" + out);
      }
      failed = non2xx + socketErrors;
      ok = total - non2xx;
    } else if (name.startsWith("ghz")) {
      Matcher status = Pattern.compile("\\[(\\w+)\\]\\s+(\\d+) responses").matcher(out);
      ok = 0;
      failed = 0;
      boolean any = false;
      while (status.find()) {
        any = true;
        if (status.group(1).equals("OK")) {
          ok += Long.parseLong(status.group(2));
        } else {
          failed += Long.parseLong(status.group(2));
        }
      }
      if (!any) {
        throw new IllegalStateException(name + " printed no status distribution:\n" + out);
      }
    } else {
      Matcher m = Pattern.compile("requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, "
          + "(\\d+) errored, (\\d+) timeout").matcher(out);
      if (!m.find()) {
        throw new IllegalStateException(name + " printed no summary:\n" + out);
      }
      // Requests completed without success (errors and timeouts included); those still in flight when the
      // window closed are neither.
      ok = Long.parseLong(m.group(4));
      failed = Long.parseLong(m.group(3)) - ok;
    }
    summary = out.lines().filter(l -> l.contains("requests") || l.contains("errors") || l.contains("Non-2xx")
        || l.contains("status codes") || l.contains("responses") || l.contains("rpc error")).map(String::trim)
        .reduce((a, b) -> a + " | " + b).orElse(out);
    return this;
  }

  private static long first(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  public String name() {
    return name;
  }

  public long ok() {
    return ok;
  }

  public long failed() {
    return failed;
  }

  @Override
  public String toString() {
    return name + ": " + ok + " ok, " + failed + " failed (" + summary + ")";
  }
}
