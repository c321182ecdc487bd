package dev.graceful.runtime.support;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The real {@code Main} (or another {@code main}) in a child JVM on loopback, with real signals. Its output lines are the events tests
 * wait for (each wait is bounded); nothing sleeps to let things settle.
 */
public final class ChildRuntime implements AutoCloseable {

  private final Process process;
  private final List<String> lines = new ArrayList<>();
  public final int httpPort;
  public final int grpcPort;
  public final int managementPort;

  /** @param fdLimit the child's file-descriptor limit ({@code ulimit -n}); 0 leaves it as it is */
  private ChildRuntime(String mainClass, Map<String, String> env, int fdLimit) throws IOException {
    this.httpPort = Integer.parseInt(env.get("GRACEFUL_HTTP_PORT"));
    this.grpcPort = Integer.parseInt(env.get("GRACEFUL_GRPC_PORT"));
    this.managementPort = Integer.parseInt(env.get("GRACEFUL_MANAGEMENT_PORT"));
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath, mainClass));
    if (fdLimit > 0) {
      command.addAll(0, List.of("sh", "-c", "ulimit -n " + fdLimit + " && exec \"$@\"", "sh"));
    }
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("GRACEFUL_"));
    builder.environment().putAll(env);
    process = builder.start();
    Thread reader = new Thread(this::readOutput, "child-output-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts the demo with at most {@code fdLimit} open file descriptors, and waits until it is ready. */
  public static ChildRuntime startReadyWithFdLimit(int fdLimit, Map<String, String> overrides) {
    ChildRuntime child = launch("dev.graceful.runtime.Main", overrides, fdLimit);
    child.awaitLine("lifecycle: READY");
    return child;
  }

  /** Starts the demo (or whatever {@code overrides} say) on free loopback ports. */
  public static ChildRuntime start(Map<String, String> overrides) {
    return start("dev.graceful.runtime.Main", overrides);
  }

  /** Starts another {@code main} (e.g. one calling a one-liner) on free loopback ports. */
  public static ChildRuntime start(String mainClass, Map<String, String> overrides) {
    return launch(mainClass, overrides, 0);
  }

  /** On free loopback ports, unless {@code overrides} say otherwise; {@code fdLimit} 0 leaves the limit as it is. */
  private static ChildRuntime launch(String mainClass, Map<String, String> overrides, int fdLimit) {
    Map<String, String> env = new HashMap<>();
    env.put("GRACEFUL_HOST", "127.0.0.1");
    env.put("GRACEFUL_HTTP_PORT", String.valueOf(FreePorts.next()));
    env.put("GRACEFUL_GRPC_PORT", String.valueOf(FreePorts.next()));
    env.put("GRACEFUL_MANAGEMENT_PORT", String.valueOf(FreePorts.next()));
    env.putAll(overrides);
    try {
      return new ChildRuntime(mainClass, env, fdLimit);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts and waits until the runtime logs that it is ready. */
  public static ChildRuntime startReady(Map<String, String> overrides) {
    return startReady("dev.graceful.runtime.Main", overrides);
  }

  /** Starts {@code mainClass} and waits until the runtime logs that it is ready. */
  public static ChildRuntime startReady(String mainClass, Map<String, String> overrides) {
    ChildRuntime child = start(mainClass, overrides);
    child.awaitLine(l -> l.contains("lifecycle: READY"), Duration.ofSeconds(30));
    return child;
  }

  private void readOutput() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        synchronized (lines) {
          lines.add(line);
          lines.notifyAll();
        }
      }
    } catch (IOException e) {
      // the process ended
    } finally {
      synchronized (lines) {
        lines.add("<eof>");
        lines.notifyAll();
      }
    }
  }

  /** Waits for an output line matching {@code match}; fails with the whole output when none comes in time. */
  public String awaitLine(Predicate<String> match, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lines) {
      int seen = 0;
      while (true) {
        for (; seen < lines.size(); seen++) {
          if (match.test(lines.get(seen))) {
            return lines.get(seen);
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || (!lines.isEmpty() && lines.get(lines.size() - 1).equals("<eof>"))) {
          fail("no matching line within " + timeout.toMillis() + " ms; output:\n" + output());
        }
        try {
          lines.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          fail("interrupted");
        }
      }
    }
  }

  public String awaitLine(String contains) {
    return awaitLine(l -> l.contains(contains), Duration.ofSeconds(30));
  }

  /** The output so far, one entry per line (without the end-of-output marker). */
  public List<String> lines() {
    synchronized (lines) {
      return lines.stream().filter(l -> !l.equals("<eof>")).toList();
    }
  }

  public String output() {
    synchronized (lines) {
      return String.join("\n", lines);
    }
  }

  /** Sends a real signal (TERM, INT) to the child JVM. */
  public void signal(String name) {
    try {
      int rc = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start().waitFor();
      if (rc != 0) {
        fail("kill -" + name + " failed with " + rc);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits for the process to exit and returns its exit code; fails (and kills it) when it does not exit in time. */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        fail("process did not exit within " + timeout.toMillis() + " ms; output:\n" + output());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted");
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
