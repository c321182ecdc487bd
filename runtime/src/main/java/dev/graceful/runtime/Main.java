package dev.graceful.runtime;

import dev.graceful.runtime.config.ConfigException;
import dev.graceful.runtime.config.ConfigLoader;
import dev.graceful.runtime.config.RuntimeConfig;
import dev.graceful.runtime.demo.DemoModule;
import dev.graceful.runtime.lifecycle.ExitCode;
import io.vertx.core.Deployable;

/**
 * Runs the classes named in {@code GRACEFUL_VERTICLES}, or the demo when none are named, until SIGTERM/SIGINT.
 * Exit codes: see {@link ExitCode}.
 */
public final class Main {

  private Main() {
  }

  public static void main(String[] args) {
    // One line per record: time, level, logger, message.
    defaultProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s - %5$s%6$s%n");
    // Netty 4.2 sets up JFR events for its buffer allocator on first use even when nothing records them: about 80 JFR
    // classes generated and 8 MiB more resident at start. -Dio.netty.jfr.enabled=true brings them back.
    defaultProperty("io.netty.jfr.enabled", "false");
    RuntimeConfig config;
    try {
      config = ConfigLoader.fromEnvironment();
    } catch (ConfigException e) {
      System.err.println("graceful-runtime: configuration error: " + e.getMessage());
      System.exit(ExitCode.BAD_CONFIGURATION.code());
      return;
    }
    GracefulRuntime.Builder builder = GracefulRuntime.builder().config(config);
    if (config.runsUserVerticles()) {
      config.verticles().forEach(type -> add(builder, type));
    } else {
      builder.module(new DemoModule());
    }
    GracefulRuntime runtime;
    try {
      runtime = builder.build();
    } catch (ConfigException e) {
      System.err.println("graceful-runtime: configuration error: " + e.getMessage());
      System.exit(ExitCode.BAD_CONFIGURATION.code());
      return;
    }
    runtime.runAndExit();
  }

  /** Sets a system property unless the command line did. */
  private static void defaultProperty(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  @SuppressWarnings("unchecked")
  private static void add(GracefulRuntime.Builder builder, Class<?> type) {
    if (RuntimeModule.class.isAssignableFrom(type)) {
      builder.module(instantiate((Class<? extends RuntimeModule>) type));
    } else {
      builder.verticle(type.getName(), () -> instantiate((Class<? extends Deployable>) type));
    }
  }

  private static <T> T instantiate(Class<T> type) {
    try {
      return type.getConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("cannot create " + type.getName() + ": " + cause, cause);
    }
  }
}
