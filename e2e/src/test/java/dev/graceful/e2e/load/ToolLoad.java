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
 * A standard load tool run for a fixed window: wrk for HTTP/1.1 keep-alive, h2load for HTTP/2 (h2c), ghz for gRPC.
 * Every request is counted once, {@code ok + failed + unfinished = issued}, and unfinished counts as failed:
 * <ul>
 *   <li>wrk, through {@code e2e/load/wrk-count.lua}: issued = requests sent plus failed connects, ok = 2xx/3xx
 *   answers, failed = other answers and failed connects, unfinished = requests never answered (lost with a
 *   connection, or cut by the outer bound);</li>
 *   <li>h2load: issued = the larger of its total and its started, ok = succeeded, failed = its failed (errored and timed out included), unfinished =
 *   the rest (streams lost with a connection, refused after GOAWAY, never sent);</li>
 *   <li>ghz: issued = the count asked for, ok = OK responses, failed = other statuses, unfinished = the rest.</li>
 * </ul>
 */
public final class ToolLoad {

  private final String name;
  private final Process process;
  private final CompletableFuture<String> output;
  private final Duration duration;
  private long issued = -1;
  private long ok = -1;
  private long failed = -1;
  private long unfinished = -1;
  private String summary = "";

  private final long requested;

  private ToolLoad(String name, List<String> command, Duration duration) throws IOException {
    this(name, command, duration, 0);
  }

  /** @param requested the count asked of a tool run by count (ghz), 0 for one run by time */
  private ToolLoad(String name, List<String> command, Duration duration, long requested) throws IOException {
    this.name = name;
    this.requested = requested;
    this.duration = duration;
    this.process = new ProcessBuilder(command).redirectErrorStream(true).start();
    // A tool must not outlive the test: not after a failed scenario, not after a killed JVM's shutdown hooks.
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "stop-" + name));
    this.output = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "read failed: " + e;
      }
    });
  }

  /**
   * wrk, 8 threads of one keep-alive connection each, counted by {@code wrk-count.lua}; a 10 s response timeout
   * instead of its 2 s default (on a starved 2-core machine a slow answer is not a dropped request); each thread stops
   * at its first request after the window; wrk's own {@code -d}, 10 s later, is only the outer bound (wrk waits for it
   * even when every thread has stopped).
   */
  public static ToolLoad wrk(String host, int port, Duration duration) throws IOException {
    String script = dev.graceful.e2e.E2eEnvironment.REPO.resolve("e2e/load/wrk-count.lua").toString();
    return new ToolLoad("wrk HTTP/1.1 keep-alive", List.of("wrk", "-t8", "-c8", "--timeout", "10s",
        "-d" + (duration.toSeconds() + 10) + "s", "-s", script,
        "http://" + host + ":" + port + "/delay?ms=10", "--", String.valueOf(duration.toSeconds())), duration.plusSeconds(10));
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
        host + ":" + port), duration, rps * duration.toSeconds());
  }

  /** Waits (bounded by the duration plus a minute) for the tool to finish and reads its counts. */
  public ToolLoad await() throws Exception {
    if (!process.waitFor(duration.toSeconds() + 60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(name + " did not finish");
    }
    String out = output.get(10, TimeUnit.SECONDS);
    if (name.startsWith("wrk")) {
      Matcher count = Pattern.compile("graceful-count issued=(\\d+) answered=(\\d+) good=(\\d+)").matcher(out);
      if (!count.find()) {
        throw new IllegalStateException(name + " printed no graceful-count line (wrk-count.lua):\n" + out);
      }
      // A connection refused or reset while connecting never reaches request(): wrk's own count, added as failed.
      long connectErrors = first(out, "Socket errors: connect (\\d+)");
      issued = Long.parseLong(count.group(1)) + connectErrors;
      long answered = Long.parseLong(count.group(2));
      ok = Long.parseLong(count.group(3));
      failed = answered - ok + connectErrors;
      unfinished = issued - connectErrors - answered;
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
      // ghz can answer one call more than it was asked for (451 of -n 450): its own count, when larger, is issued.
      issued = Math.max(requested, Math.max(first(out, "Count:\\s+(\\d+)"), ok + failed));
      unfinished = issued - ok - failed;
    } else {
      Matcher m = Pattern.compile("requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, "
          + "(\\d+) errored, (\\d+) timeout").matcher(out);
      if (!m.find()) {
        throw new IllegalStateException(name + " printed no summary:\n" + out);
      }
      // h2load's total can leave out streams it started and lost with their connection (53 started, 48 total).
      issued = Math.max(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
      ok = Long.parseLong(m.group(4));
      failed = Long.parseLong(m.group(5));
      unfinished = issued - ok - failed;
    }
    summary = out.lines().filter(l -> l.contains("requests") || l.contains("errors") || l.contains("Non-2xx")
        || l.contains("status codes") || l.contains("responses") || l.contains("rpc error")).map(String::trim)
        .reduce((a, b) -> a + " | " + b).orElse(out);
    return this;
  }

  /** Ends the tool now (a scenario that failed before awaiting it). */
  public void kill() {
    process.destroyForcibly();
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

  /** Requests that did not succeed, the unfinished ones included. */
  public long failed() {
    return failed + unfinished;
  }

  public long issued() {
    return issued;
  }

  /** Requests with no answer at all (part of {@link #failed()}). */
  public long unfinished() {
    return unfinished;
  }

  @Override
  public String toString() {
    return name + ": " + issued + " issued = " + ok + " ok + " + failed + " failed + " + unfinished + " unfinished ("
        + summary + ")";
  }
}
