package dev.graceful.bench.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The standard load tools against one server on loopback, unpaced (as fast as the server answers) with fixed
 * concurrency for a fixed duration: wrk (HTTP/1.1 keep-alive), h2load (HTTP/2 cleartext), ghz (gRPC unary).
 * Each run's full output is kept in the scenario directory; the parsers read the tools' own summaries.
 */
public final class LoadTools {

  /** wrk: threads and connections. */
  public static final int WRK_THREADS = 2;
  public static final int WRK_CONNECTIONS = 16;
  /** h2load: clients (connections) and concurrent streams per client. */
  public static final int H2_CLIENTS = 4;
  public static final int H2_STREAMS = 16;
  /** ghz: concurrent workers and connections. */
  public static final int GHZ_CONCURRENCY = 16;
  public static final int GHZ_CONNECTIONS = 4;

  private LoadTools() {
  }

  public static String wrkSettings() {
    return "wrk -t" + WRK_THREADS + " -c" + WRK_CONNECTIONS + " --latency GET /delay?ms=0";
  }

  public static String h2Settings() {
    return "h2load -t1 -c" + H2_CLIENTS + " -m" + H2_STREAMS + " (h2c prior knowledge) GET /delay?ms=0";
  }

  public static String ghzSettings() {
    return "ghz -c " + GHZ_CONCURRENCY + " --connections " + GHZ_CONNECTIONS + " graceful.demo.v1.Demo/Delay {delay_ms:0} (proto file)";
  }

  public static LoadResult wrk(Pinning pin, int port, Duration duration, Path rawOut) throws IOException, InterruptedException {
    String out = run(pin, List.of("wrk", "-t" + WRK_THREADS, "-c" + WRK_CONNECTIONS, "-d" + duration.toSeconds() + "s", "--latency",
        "http://127.0.0.1:" + port + "/delay?ms=0"), duration, rawOut);
    return parseWrk(out);
  }

  static LoadResult parseWrk(String out) {
    Matcher summary = Pattern.compile("(\\d+) requests in ([\\d.]+)(us|ms|s|m)").matcher(out);
    if (!summary.find()) {
      throw new IllegalStateException("wrk printed no summary:\n" + out);
    }
    long total = Long.parseLong(summary.group(1));
    double seconds = toMs(summary.group(2), summary.group(3)) / 1000;
    long non2xx = first(out, "Non-2xx or 3xx responses: (\\d+)");
    Matcher socket = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)").matcher(out);
    long socketErrors = 0;
    if (socket.find()) {
      for (int g = 1; g <= 4; g++) {
        socketErrors += Long.parseLong(socket.group(g));
      }
    }
    Matcher p99 = Pattern.compile("(?m)^\\s*99%\\s+([\\d.]+)(us|ms|s|m)\\s*$").matcher(out);
    double p99Ms = p99.find() ? toMs(p99.group(1), p99.group(2)) : Double.NaN;
    long ok = total - non2xx;
    return new LoadResult("wrk", ok, non2xx + socketErrors, seconds, ok / seconds, p99Ms);
  }

  /** h2load; p99 from its per-request log (the summary has no percentiles), which is deleted after reading. */
  public static LoadResult h2load(Pinning pin, int port, Duration duration, Path rawOut) throws IOException, InterruptedException {
    Path requestLog = Files.createTempFile(rawOut.getParent(), "h2load-", ".tsv");
    try {
      String out = run(pin, List.of("h2load", "-t1", "-c" + H2_CLIENTS, "-m" + H2_STREAMS, "-D", String.valueOf(duration.toSeconds()),
          "--log-file=" + requestLog, "http://127.0.0.1:" + port + "/delay?ms=0"), duration, rawOut);
      RequestLog log = RequestLog.read(requestLog);
      return parseH2load(out, log.p99Ms()).withPerSecond(log.perSecond());
    } finally {
      Files.deleteIfExists(requestLog);
    }
  }

  static LoadResult parseH2load(String out, double p99Ms) {
    Matcher m = Pattern.compile("requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, "
        + "(\\d+) errored, (\\d+) timeout").matcher(out);
    Matcher finished = Pattern.compile("finished in ([\\d.]+)(us|ms|s|m),").matcher(out);
    if (!m.find() || !finished.find()) {
      throw new IllegalStateException("h2load printed no summary:\n" + out);
    }
    long ok = Long.parseLong(m.group(4));
    long done = Long.parseLong(m.group(3));
    double seconds = toMs(finished.group(1), finished.group(2)) / 1000;
    return new LoadResult("h2load", ok, done - ok, seconds, ok / seconds, p99Ms);
  }

  /**
   * h2load's per-request log: start (microseconds since the epoch), status, microseconds to the end of the response.
   * Gives the 99th percentile latency and requests per second (by start second; 2xx/3xx ok, the rest errors).
   */
  record RequestLog(double p99Ms, List<double[]> perSecond) {

    static RequestLog read(Path log) throws IOException {
      List<Double> micros = new ArrayList<>();
      java.util.TreeMap<Long, long[]> seconds = new java.util.TreeMap<>();
      long[] origin = {-1};
      try (var lines = Files.lines(log)) {
        lines.forEach(l -> {
          String[] cols = l.split("\t");
          if (cols.length >= 3) {
            try {
              long start = Long.parseLong(cols[0].trim());
              int status = Integer.parseInt(cols[1].trim());
              micros.add(Double.parseDouble(cols[2].trim()));
              if (origin[0] < 0) {
                origin[0] = start;
              }
              long[] counts = seconds.computeIfAbsent(Math.floorDiv(start - origin[0], 1_000_000L), s -> new long[2]);
              counts[status >= 200 && status < 400 ? 0 : 1]++;
            } catch (NumberFormatException e) {
              // a header or a torn line
            }
          }
        });
      }
      List<double[]> points = new ArrayList<>();
      if (!seconds.isEmpty()) {
        // Seconds counted from the first request; the last one is partial (the run ends inside it), so it is left
        // out rather than drawn as a dip.
        seconds.subMap(0L, seconds.lastKey()).forEach((s, c) -> points.add(new double[] {s + 1, c[0], c[1]}));
      }
      return new RequestLog(dev.graceful.bench.model.Stats.percentile(micros, 99) / 1000, points);
    }
  }

  /**
   * ghz for the duration ({@code -z}); calls still in flight when the window closes are cancelled by ghz and count as
   * errors, so errors of a few dozen per run are expected and not the server's doing. Throughput counts OK only.
   */
  public static LoadResult ghz(Pinning pin, String ghz, Path proto, int port, Duration duration, Path rawOut) throws IOException, InterruptedException {
    String out = run(pin, List.of(ghz, "--insecure", "--proto", proto.toString(), "--call", "graceful.demo.v1.Demo/Delay",
        "-d", "{\"delay_ms\":0}", "-c", String.valueOf(GHZ_CONCURRENCY), "--connections", String.valueOf(GHZ_CONNECTIONS),
        "-z", duration.toSeconds() + "s", "127.0.0.1:" + port), duration, rawOut);
    return parseGhz(out);
  }

  static LoadResult parseGhz(String out) {
    Matcher total = Pattern.compile("Total:\\s+([\\d.]+)\\s*(ns|µs|us|ms|s)").matcher(out);
    if (!total.find()) {
      throw new IllegalStateException("ghz printed no summary:\n" + out);
    }
    double seconds = toMs(total.group(1), total.group(2)) / 1000;
    Matcher status = Pattern.compile("\\[(\\w+)\\]\\s+(\\d+) responses").matcher(out);
    long ok = 0;
    long failed = 0;
    while (status.find()) {
      if (status.group(1).equals("OK")) {
        ok += Long.parseLong(status.group(2));
      } else {
        failed += Long.parseLong(status.group(2));
      }
    }
    Matcher p99 = Pattern.compile("99 % in ([\\d.]+)\\s*(ns|µs|us|ms|s)").matcher(out);
    double p99Ms = p99.find() ? toMs(p99.group(1), p99.group(2)) : Double.NaN;
    return new LoadResult("ghz", ok, failed, seconds, ok / seconds, p99Ms);
  }

  private static String run(Pinning pin, List<String> given, Duration duration, Path rawOut) throws IOException, InterruptedException {
    List<String> command = pin.tool(given);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(rawOut.toFile()).start();
    if (!p.waitFor(duration.toSeconds() + 60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new IllegalStateException(command.get(0) + " did not finish within " + duration.plusSeconds(60));
    }
    String out = Files.readString(rawOut, StandardCharsets.UTF_8);
    Files.writeString(rawOut, "$ " + String.join(" ", command) + "\n" + out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException(command.get(0) + " exited with " + p.exitValue() + ":\n" + out);
    }
    return out;
  }

  static double toMs(String value, String unit) {
    double v = Double.parseDouble(value);
    return switch (unit.toLowerCase(Locale.ROOT)) {
      case "ns" -> v / 1e6;
      case "us", "µs" -> v / 1e3;
      case "ms" -> v;
      case "s" -> v * 1e3;
      case "m" -> v * 60e3;
      default -> throw new IllegalArgumentException("unknown unit " + unit);
    };
  }

  private static long first(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }
}
