package dev.graceful.bench.support;

import dev.graceful.bench.BenchContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How to start one contender's server as a JVM, the way the base image does (its JVM flags), on free loopback
 * ports. {@link #GRACEFUL_RUNTIME} is the runtime's Main with the built-in demo; {@link #PLAIN_VERTX} is
 * e2e/naive-server: the same demo routes and gRPC service on plain Vert.x, vertx.close() on SIGTERM.
 */
public final class Contender {

  public static final String GRACEFUL_RUNTIME = "graceful-runtime";
  public static final String PLAIN_VERTX = "plain-vertx";

  private final String name;
  private final String mainClass;
  private final String classpath;
  private final Map<String, String> env;

  private Contender(String name, String mainClass, String classpath, Map<String, String> env) {
    this.name = name;
    this.mainClass = mainClass;
    this.classpath = classpath;
    this.env = env;
  }

  /**
   * The runtime's demo, outside Kubernetes (GRACEFUL_KUBERNETES=false) with {@code extraEnv} on top, e.g.
   * GRACEFUL_DRAIN_DELAY=0 to skip the pre-drain wait.
   */
  public static Contender gracefulRuntime(BenchContext context, Map<String, String> extraEnv) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("GRACEFUL_KUBERNETES", "false");
    env.putAll(extraEnv);
    return new Contender(GRACEFUL_RUNTIME, "dev.graceful.runtime.Main", context.runtimeClasspath(), env);
  }

  public static Contender plainVertx(BenchContext context) {
    return new Contender(PLAIN_VERTX, "naive.NaiveServer", context.plainClasspath(), Map.of());
  }

  /** Both contenders of the direct scenarios, runtime first. */
  public static List<Contender> both(BenchContext context, Map<String, String> runtimeEnv) {
    return List.of(gracefulRuntime(context, runtimeEnv), plainVertx(context));
  }

  public String name() {
    return name;
  }

  /** The command: java, the image's JVM flags, class path, main class. */
  public List<String> command(BenchContext context) {
    List<String> command = new ArrayList<>();
    command.add(context.javaBin());
    command.addAll(context.jvmFlags());
    if (name.equals(GRACEFUL_RUNTIME)) {
      command.addAll(context.runtimeOnlyFlags());
    }
    command.add("-cp");
    command.add(classpath);
    command.add(mainClass);
    return command;
  }

  /** The environment on top of the harness's own, GRACEFUL_* keys removed first (the runtime rejects unknown ones). */
  public Map<String, String> env(int httpPort, int grpcPort, int managementPort) {
    Map<String, String> e = new LinkedHashMap<>(env);
    e.put("GRACEFUL_HOST", "127.0.0.1");
    e.put("GRACEFUL_HTTP_PORT", String.valueOf(httpPort));
    e.put("GRACEFUL_GRPC_PORT", String.valueOf(grpcPort));
    e.put("GRACEFUL_MANAGEMENT_PORT", String.valueOf(managementPort));
    return e;
  }

  /** Both serve readiness on the management (probe) port: the runtime's real check, the plain server's constant UP. */
  public String readinessPath() {
    return "/health/ready";
  }

  @Override
  public String toString() {
    return name;
  }
}
