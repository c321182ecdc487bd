package dev.graceful.runtime.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The chart's {@code helm test} check against a real runtime in a child JVM, run as the image runs it: {@code Main check}. */
class ReleaseCheckTest {

  private static ChildRuntime runtime;

  @BeforeAll
  static void start() {
    runtime = ChildRuntime.startReady(Map.of());
  }

  @AfterAll
  static void stop() {
    runtime.close();
  }

  private static List<String> args(String host, int httpPort, String... more) {
    List<String> args = new ArrayList<>(List.of("--host", host, "--host-name", "localhost", "--http-port", String.valueOf(httpPort),
        "--http-path", "/delay?ms=0", "--grpc-port", String.valueOf(runtime.grpcPort), "--probes-host", "127.0.0.1",
        "--management-port", String.valueOf(runtime.managementPort)));
    args.addAll(List.of(more));
    return args;
  }

  /** {@code java ... dev.graceful.runtime.Main check ARGS}: exit code and output. */
  private static Result mainCheck(List<String> args) throws IOException, InterruptedException {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classpath, "dev.graceful.runtime.Main", "check"));
    command.addAll(args);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
    return new Result(process.exitValue(), output);
  }

  private static Result inProcess(List<String> args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = ReleaseCheck.run(args, new PrintStream(out, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8));
  }

  record Result(int code, String output) {
  }

  @Test
  void aReadyReleasePassesEveryCheck() throws Exception {
    Result r = mainCheck(args("127.0.0.1", runtime.httpPort));
    assertEquals(0, r.code(), r.output());
    for (String check : List.of("HTTP GET http://127.0.0.1:" + runtime.httpPort + "/delay?ms=0: answered 200",
        "gRPC health at 127.0.0.1:" + runtime.grpcPort + ": answered SERVING",
        "/health/started: answered 200", "/health/live: answered 200", "/health/ready: answered 200")) {
      assertTrue(r.output().contains(check), check + "\n" + r.output());
    }
    assertTrue(r.output().contains("release check passed: 5 checks"), r.output());
  }

  @Test
  void aServiceLinkVariableTheKubeletDidNotExpandFallsBackToTheDnsName() {
    Result r = inProcess(args("$(SHOP_SERVICE_HOST)", runtime.httpPort));
    assertEquals(0, r.code(), r.output());
    assertTrue(r.output().contains("HTTP GET http://localhost:" + runtime.httpPort), r.output());
  }

  @Test
  void aWrongStatusOrANothingListeningFailsNamingTheCheckAndWhatItSaw() {
    Result status = inProcess(args("127.0.0.1", runtime.httpPort, "--http-status", "204", "--timeout-seconds", "1"));
    assertEquals(1, status.code(), status.output());
    assertTrue(status.output().contains("FAILED  HTTP GET http://127.0.0.1:" + runtime.httpPort + "/delay?ms=0: answered 200,"
        + " expected 204"), status.output());
    assertTrue(status.output().contains("release check failed: HTTP GET"), status.output());

    int closed = FreePorts.next();
    Result refused = inProcess(args("127.0.0.1", closed, "--timeout-seconds", "1"));
    assertEquals(1, refused.code(), refused.output());
    assertTrue(refused.output().contains("FAILED  HTTP GET http://127.0.0.1:" + closed), refused.output());
    assertTrue(refused.output().contains("ok      gRPC health"), "the other checks still run: " + refused.output());
  }

  @Test
  void badArgumentsExitTwoNamingTheArgument() throws Exception {
    Result port = mainCheck(List.of("--host", "127.0.0.1", "--http-port", "eighty"));
    assertEquals(2, port.code(), port.output());
    assertTrue(port.output().contains("--http-port must be a whole number from 1 to 65535, got 'eighty'"), port.output());
    Result path = inProcess(List.of("--host", "127.0.0.1", "--http-port", "80", "--grpc-port", "81", "--probes-host", "x",
        "--management-port", "82", "--http-path", "/a b"));
    assertEquals(2, path.code());
    assertTrue(path.output().contains("--http-path must be a URL path starting with '/', got '/a b'"), path.output());
    Result unknown = inProcess(List.of("--hots", "x"));
    assertEquals(2, unknown.code());
    assertTrue(unknown.output().contains("unknown argument --hots"), unknown.output());
    Result noName = inProcess(args("$(SHOP_SERVICE_HOST)", 80).subList(0, 2));
    assertEquals(2, noName.code());
    assertTrue(noName.output().contains("--host is '$(SHOP_SERVICE_HOST)' and no --host-name was given"), noName.output());
  }

  @Test
  void aDrainingReleaseFailsItsReadinessAndHealthChecks() throws Exception {
    try (ChildRuntime draining = ChildRuntime.startReady(Map.of("GRACEFUL_DRAIN_DELAY", "15s"))) {
      draining.signal("TERM");
      draining.awaitLine("lifecycle: DRAINING");
      Result r = inProcess(List.of("--host", "127.0.0.1", "--http-port", String.valueOf(draining.httpPort),
          "--grpc-port", String.valueOf(draining.grpcPort), "--probes-host", "127.0.0.1",
          "--management-port", String.valueOf(draining.managementPort), "--timeout-seconds", "1"));
      assertEquals(1, r.code(), r.output());
      assertTrue(r.output().contains("FAILED  probe GET http://127.0.0.1:" + draining.managementPort + "/health/ready: answered 503"),
          r.output());
      assertTrue(r.output().contains("FAILED  gRPC health"), r.output());
      assertTrue(r.output().contains("ok      probe GET http://127.0.0.1:" + draining.managementPort + "/health/live"),
          "liveness stays up while draining: " + r.output());
    }
  }
}
