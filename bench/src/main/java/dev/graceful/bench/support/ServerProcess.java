package dev.graceful.bench.support;

import dev.graceful.bench.BenchContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One contender's server JVM on free loopback ports, its output in a log file in the scenario's directory.
 * Every wait is bounded; {@link #close()} kills what is still running.
 */
public final class ServerProcess implements AutoCloseable {

  private final Contender contender;
  private final Process process;
  private final long startedNanos;
  private final Path log;
  public final int httpPort;
  public final int grpcPort;
  public final int managementPort;

  private ServerProcess(Contender contender, Process process, long startedNanos, Path log, int http, int grpc, int management) {
    this.contender = contender;
    this.process = process;
    this.startedNanos = startedNanos;
    this.log = log;
    this.httpPort = http;
    this.grpcPort = grpc;
    this.managementPort = management;
  }

  /** Starts the JVM; the clock for {@link #awaitReady} starts right before {@link ProcessBuilder#start()}. */
  public static ServerProcess start(BenchContext context, Contender contender, String logName) throws IOException {
    return start(context, contender, logName, Pinning.none());
  }

  /** As {@link #start(BenchContext, Contender, String)}, on the CPUs {@code pinning} gives servers. */
  public static ServerProcess start(BenchContext context, Contender contender, String logName, Pinning pinning)
      throws IOException {
    int http = FreePorts.next();
    int grpc = FreePorts.next();
    int management = FreePorts.next();
    Path log = context.dir().resolve(logName + ".log");
    ProcessBuilder builder = new ProcessBuilder(pinning.server(contender.command(context)));
    builder.environment().keySet().removeIf(k -> k.startsWith("GRACEFUL_"));
    builder.environment().putAll(contender.env(http, grpc, management));
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    long t0 = System.nanoTime();
    Process process = builder.start();
    return new ServerProcess(contender, process, t0, log, http, grpc, management);
  }

  /** Starts and waits for readiness (bounded), failing with the log's tail if it does not come. */
  public static ServerProcess startReady(BenchContext context, Contender contender, String logName) throws IOException {
    return startReady(context, contender, logName, Pinning.none());
  }

  /** As {@link #startReady(BenchContext, Contender, String)}, on the CPUs {@code pinning} gives servers. */
  public static ServerProcess startReady(BenchContext context, Contender contender, String logName, Pinning pinning)
      throws IOException {
    ServerProcess server = start(context, contender, logName, pinning);
    server.awaitReady(Duration.ofSeconds(60), 5);
    return server;
  }

  /**
   * Polls readiness every {@code pollMs} until it answers 200; returns the time from process start to that answer
   * in milliseconds. Throws if the process exits or the timeout passes.
   */
  public double awaitReady(Duration timeout, int pollMs) {
    long deadline = startedNanos + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Http.status(managementPort, contender.readinessPath(), 1000) == 200) {
        return (System.nanoTime() - startedNanos) / 1e6;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(contender + " exited with " + process.exitValue() + " before it was ready:\n" + tail());
      }
      sleep(pollMs);
    }
    close();
    throw new IllegalStateException(contender + " not ready within " + timeout + ":\n" + tail());
  }

  /**
   * Sends SIGTERM and waits (bounded) for the exit; returns the milliseconds from just before the signal to the
   * observed exit, or throws (after killing it) if it does not exit in time.
   */
  public double terminateAndTime(Duration timeout) throws InterruptedException {
    long t0 = System.nanoTime();
    process.destroy(); // SIGTERM on Linux
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(contender + " did not exit within " + timeout + " of SIGTERM:\n" + tail());
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  public int exitCode() {
    return process.exitValue();
  }

  public Contender contender() {
    return contender;
  }

  public Path log() {
    return log;
  }

  /** The runtime's one-line JSON shutdown summary ({@code "event":"shutdown-complete"}), once it exited. */
  public Optional<String> shutdownSummary() {
    return lines().stream().filter(l -> l.contains("\"event\":\"shutdown-complete\"")).reduce((a, b) -> b)
        .map(l -> l.substring(l.indexOf('{')));
  }

  private List<String> lines() {
    try {
      return Files.readAllLines(log);
    } catch (IOException e) {
      return List.of();
    }
  }

  private String tail() {
    List<String> lines = lines();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }

  /** SIGTERM, a bounded wait, then SIGKILL: for clean-up, not for measuring. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
