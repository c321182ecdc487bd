package dev.graceful.runtime;

import dev.graceful.runtime.check.ReleaseCheck;
import dev.graceful.runtime.config.ConfigException;
import dev.graceful.runtime.config.ConfigLoader;
import dev.graceful.runtime.config.LogSettings;
import dev.graceful.runtime.config.RuntimeConfig;
import dev.graceful.runtime.config.Setting;
import dev.graceful.runtime.demo.DemoModule;
import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.logging.ProcessLog;
import io.vertx.core.Deployable;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * Runs the classes named in {@code GRACEFUL_VERTICLES}, or the demo when none are named, until SIGTERM/SIGINT.
 * Exit codes: see {@link ExitCode}. With the argument {@code check}, checks a running release instead
 * ({@link ReleaseCheck}).
 */
public final class Main {

  private Main() {
  }

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("check")) {
      // The chart's `helm test` pod: the same image and entry point, checking a release from inside the cluster.
      System.exit(ReleaseCheck.run(List.of(args).subList(1, args.length), System.out));
      return;
    }
    // Every logger through one handler, in the format asked for; set again below from the whole configuration.
    LogSettings logging = ConfigLoader.loggingFromEnvironment(System.getenv());
    ProcessLog.install(logging);
    // Netty 4.2 sets up JFR events for its buffer allocator on first use even when nothing records them: about 80 JFR
    // classes generated and 8 MiB more resident at start. -Dio.netty.jfr.enabled=true brings them back.
    defaultProperty("io.netty.jfr.enabled", "false");
    RuntimeBuilder builder = GracefulRuntime.builder();
    try {
      RuntimeConfig config = ConfigLoader.fromEnvironment();
      if (!config.logging().equals(logging)) {
        ProcessLog.install(config.logging());   // GRACEFUL_CONFIG_FILE may set them too
      }
      builder.config(config);
      if (config.runsUserVerticles()) {
        String named = config.verticles().stream().map(Class::getName).collect(Collectors.joining(","));
        config.verticles().forEach(type -> add(builder, type, named));
      } else {
        builder.module(new DemoModule());
      }
    } catch (ConfigException e) {
      System.exit(GracefulRuntime.configurationError(e));
      return;
    }
    builder.runAndExit();
  }

  /** Sets a system property unless the command line did. */
  private static void defaultProperty(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  /**
   * Every named class is created here, before any port is bound: a constructor (or a module's configure) that throws
   * is as much a configuration error as a class that is missing, and gets the same one line and exit code 2.
   */
  private static void add(RuntimeBuilder builder, Class<?> type, String named) {
    if (RuntimeModule.class.isAssignableFrom(type)) {
      RuntimeModule module = instantiate(type.asSubclass(RuntimeModule.class), named);
      try {
        builder.module(module);
      } catch (RuntimeException | LinkageError e) {
        throw new ConfigException(Setting.VERTICLES.key(), named, type.getName() + ".configure failed: " + e);
      }
    } else {
      Class<? extends Deployable> verticle = type.asSubclass(Deployable.class);
      // The instance made now is the one deployed; a second deployment, if ever, gets a fresh one.
      AtomicReference<Deployable> first = new AtomicReference<>(instantiate(verticle, named));
      builder.verticle(type.getName(), () -> {
        Deployable made = first.getAndSet(null);
        return made != null ? made : instantiate(verticle, named);
      });
    }
  }

  private static <T> T instantiate(Class<T> type, String named) {
    try {
      return type.getConstructor().newInstance();
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new ConfigException(Setting.VERTICLES.key(), named, "cannot create " + type.getName() + ": " + cause);
    }
  }
}
