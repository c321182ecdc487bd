package dev.graceful.runtime;

import dev.graceful.runtime.config.ConfigException;
import dev.graceful.runtime.config.RuntimeConfig;
import dev.graceful.runtime.kubernetes.KubernetesIntegration;
import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.lifecycle.Lifecycle;
import dev.graceful.runtime.metrics.RuntimeMetrics;
import dev.graceful.runtime.probes.HealthProbes;
import dev.graceful.runtime.probes.ManagementServer;
import dev.graceful.runtime.server.ManagedServer;
import dev.graceful.runtime.server.ServerRegistry;
import dev.graceful.runtime.server.ServerSpec;
import dev.graceful.runtime.shutdown.DeadlineWait;
import dev.graceful.runtime.shutdown.ShutdownReport;
import dev.graceful.runtime.sidecar.SidecarSupport;
import dev.graceful.runtime.signal.SignalTrap;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import dev.graceful.runtime.metrics.JvmMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.healthchecks.Status;
import io.vertx.grpc.server.Service;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Runs HTTP servers, gRPC servers and verticles on Vert.x: starts them all or none, turns ready when every one is
 * listening, and on a signal takes readiness down, waits, drains and stops within one deadline.
 *
 * <pre>{@code
 * // one-liners, like go-graceful's: run until SIGTERM, then exit with the right code
 * GracefulRuntime.serveHttp(vertx -> router(vertx));
 * GracefulRuntime.serveGrpc(vertx -> GreeterGrpcService.of(new Greeter()));
 *
 * // or compose
 * GracefulRuntime.builder()
 *     .http(vertx -> router(vertx))
 *     .grpc(vertx -> GreeterGrpcService.of(new Greeter()))
 *     .verticle(Worker::new)
 *     .readinessCheck("database", promise -> promise.complete(Status.OK()))
 *     .runAndExit(); // or .build() to embed: start(), shutdown(), close()
 * }</pre>
 */
public final class GracefulRuntime {

  private static final Logger LOG = Logger.getLogger(GracefulRuntime.class.getName());
  /** Bound on closing Vert.x, and on the proxy's quit after a failed start. */
  private static final Duration CLOSE_BOUND = Duration.ofSeconds(2);

  private final RuntimeParts parts;
  private final StartSequence start;
  private final ShutdownSequence shutdown;

  GracefulRuntime(RuntimeBuilder builder) {
    RuntimeConfig config = builder.config();
    // First of all: in a pod, the client (and with it the pod read readiness may wait for) loads on its own thread
    // while the rest starts. A ConfigException here (Kubernetes required, none found) fails before anything started.
    Optional<KubernetesIntegration.Connection> connection = builder.kubernetesClient() != null
        ? Optional.empty()
        : KubernetesIntegration.connect(config.kubernetes(), System.getenv());
    Lifecycle lifecycle = new Lifecycle();
    ServerRegistry serverRegistry = new ServerRegistry(config.limits());
    // The management port has its own small budget of connections, so a flood of them cannot take the descriptors
    // the application's servers leave for it, nor the application's flood the probes'.
    ServerRegistry managementConnections = new ServerRegistry(config.limits().forManagement(), true);
    // Built while the Vert.x instances are created: both are mostly class loading, and they load different classes.
    CompletableFuture<PrometheusMeterRegistry> registryBuild = BackgroundStart.begin("metrics", () -> {
      PrometheusMeterRegistry built = RuntimeMetrics.bounded(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
      if (config.jvmMetrics()) {
        new JvmMetrics().bindTo(built);
      }
      return built;
    });
    BackgroundStart.warmJson();
    // Probes, metrics and shutdown timers get their own small Vert.x, so busy application loops cannot delay them.
    Vertx control = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2))
        .withTransport(managementConnections.transport()).build();
    // The application's instance reports every server, connection and request to the registry, whoever opens them.
    // Micrometer's Vert.x meters time every request: with them, bench/'s steady scenario measured HTTP/2 at 0.70x
    // plain Vert.x. So only on request; the runtime's own meters (in flight, phases) are always there.
    io.vertx.core.VertxBuilder application = Vertx.builder()
        .with(config.vertxMetrics()
            ? new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true))
            : new VertxOptions())
        .withTransport(serverRegistry.transport());
    if (config.vertxMetrics()) {
      application = application.withMetrics(new MicrometerMetricsFactory(registryBuild.join()));
    }
    Vertx vertx = application.build();
    PrometheusMeterRegistry registry = registryBuild.join();
    RuntimeMetrics metrics = new RuntimeMetrics(registry, lifecycle, serverRegistry);
    HealthProbes probes = new HealthProbes(control, lifecycle);
    ManagementServer management = new ManagementServer(control, probes, registry, metrics::refreshServers);
    Optional<KubernetesIntegration> kubernetes = builder.kubernetesClient() != null
        ? Optional.of(KubernetesIntegration.using(builder.kubernetesClient(), builder.pod(), config.kubernetes(), control))
        : connection.map(c -> KubernetesIntegration.over(c, config.kubernetes(), control));
    builder.livenessChecks().forEach(probes::addLiveness);
    builder.readinessChecks().forEach(probes::addReadiness);
    List<ManagedServer> servers = new ArrayList<>();
    List<Startup.Unit> units = new ArrayList<>();
    for (ServerSpec spec : builder.servers(config, lifecycle)) {
      ManagedServer server = new ManagedServer(spec, serverRegistry);
      servers.add(server);
      units.add(new Startup.Unit(spec.kind() + " server '" + spec.name() + "'", () -> server));
    }
    units.addAll(builder.verticles());
    this.parts = new RuntimeParts(config, lifecycle, vertx, control, probes, management, metrics, serverRegistry,
        kubernetes, new SidecarSupport(config.sidecar(), control), List.copyOf(servers), List.copyOf(units));
    this.start = new StartSequence(parts);
    this.shutdown = new ShutdownSequence(parts, start);
    lifecycle.onChange(state -> LOG.info("lifecycle: " + state));
  }

  public static RuntimeBuilder builder() {
    return new RuntimeBuilder();
  }

  /** Runs one HTTP handler (typically a vertx-web Router) on {@code GRACEFUL_HTTP_PORT} until a signal; then exits. */
  public static void serveHttp(Function<Vertx, ? extends Handler<HttpServerRequest>> handler) {
    builder().http(handler).runAndExit();
  }

  /** Runs gRPC services on {@code GRACEFUL_GRPC_PORT} until a signal; then exits. */
  @SafeVarargs
  public static void serveGrpc(Function<Vertx, Service>... services) {
    RuntimeBuilder b = builder();
    for (Function<Vertx, Service> s : services) {
      b.grpc(s);
    }
    b.runAndExit();
  }

  /** Runs a verticle until a signal; then exits. */
  public static void run(Supplier<? extends Deployable> verticle) {
    builder().verticle(verticle).runAndExit();
  }

  /** Prints the one line a bad setting gets (it names the setting and the value); returns the exit code for it. */
  static int configurationError(ConfigException e) {
    System.err.println("graceful-runtime: configuration error: " + e.getMessage());
    return ExitCode.BAD_CONFIGURATION.code();
  }

  // ---- embedding API ----

  /** Starts everything; completes once READY, fails (after stopping what had started) if anything failed. */
  public Future<Void> start() {
    return start.run();
  }

  /**
   * Starts the graceful shutdown; calling it again (a second signal) forces it: remaining waits are skipped and
   * whatever is still open is closed now. Completes with the report once every phase has run.
   */
  public Future<ShutdownReport> shutdown() {
    return shutdown.begin(System.nanoTime());
  }

  /** {@link #shutdown()} for a signal received at {@code signalledNanos} ({@link System#nanoTime()}). */
  private Future<ShutdownReport> shutdownAt(long signalledNanos) {
    return shutdown.begin(signalledNanos);
  }

  /** Closes both Vert.x instances, bounded; for after a shutdown or a failed start. */
  public Future<Void> close() {
    parts.kubernetes().ifPresent(KubernetesIntegration::close);
    // Closing the control instance also closes the management server; chain on futures not bound to its context.
    return parts.vertx().close().transform(ar -> parts.control().close());
  }

  /**
   * Starts, waits for SIGTERM, SIGINT or SIGHUP, shuts down, closes, and returns the process exit code. A signal during
   * the start abandons it and shuts down what had started. Once a signal has arrived it waits until the shutdown
   * deadline, following it when a phase moves it (the pod's deadline on Kubernetes), and never more than
   * {@link RuntimeParts#pastDeadlineGrace()} past it, sidecar quit and close included. When it returns, no thread of
   * the runtime keeps the JVM alive and the JVM's own signal handling is back.
   */
  public int run() {
    try (SignalTrap signals = SignalTrap.install(this::shutdownAt)) {
      return runUntilStopped();
    }
  }

  private int runUntilStopped() {
    try {
      start().toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (!(cause instanceof StartAbandonedException)) {
        System.err.println("graceful-runtime: start failed: " + cause.getMessage());
        parts.kubernetes().ifPresent(k -> awaitQuietly(k.flushEvents(), parts.config().kubernetes().apiTimeout()));
        exitSidecar(ExitCode.START_FAILED.code(), CLOSE_BOUND);
        closeWithin(parts.config().startTimeout());
        return ExitCode.START_FAILED.code();
      }
      // A signal during the start: the shutdown has begun and stops what had started.
    }
    DeadlineWait wait = new DeadlineWait(shutdown.begun().join(), parts.pastDeadlineGrace());
    int code;
    try {
      code = wait.await(shutdown.done().toCompletionStage().toCompletableFuture()).exitCode().code();
    } catch (TimeoutException e) {
      LOG.severe("shutdown did not finish by its deadline; exiting anyway");
      code = ExitCode.SHUTDOWN_FORCED.code();
    } catch (Exception e) {
      LOG.severe("shutdown failed: " + e);
      code = ExitCode.INTERNAL_ERROR.code();
    }
    exitSidecar(code, wait.graceLeft());
    if (code == ExitCode.SHUTDOWN_FORCED.code() || code == ExitCode.INTERNAL_ERROR.code()) {
      // Vert.x's close would wait on the very verticles that did not stop: end its threads instead. Nothing here may
      // wait past the grace: the API client closes on a daemon thread of its own (with an Event still in flight it
      // once took 380 ms, past the pod's SIGKILL).
      parts.kubernetes().ifPresent(k -> BackgroundStart.begin("kubernetes-close", () -> {
        k.close();
        return null;
      }));
      VertxHalt.halt(parts.vertx(), wait.graceLeft());
      awaitQuietly(parts.control().close(), wait.graceLeft());
    } else {
      Duration left = wait.graceLeft();
      closeWithin(left.compareTo(CLOSE_BOUND) < 0 ? left : CLOSE_BOUND);
    }
    LOG.info("exit code " + code);
    return code;
  }

  /** Asks the mesh proxy to exit when the pod runs to completion, so a Job completes; bounded, never fails. */
  private void exitSidecar(int exitCode, Duration bound) {
    if (!awaitQuietly(parts.sidecars().atExit(exitCode), bound)) {
      LOG.warning("sidecar: no answer to the quit request within " + bound.toMillis() + " ms; exiting anyway");
    }
  }

  /** Closes both Vert.x instances; past the bound, ends their threads, so nothing keeps the JVM alive. */
  private void closeWithin(Duration bound) {
    if (!awaitQuietly(close(), bound)) {
      LOG.warning("Vert.x did not close within " + bound.toMillis() + " ms; ending its threads");
      VertxHalt.halt(parts.vertx(), CLOSE_BOUND);
      VertxHalt.halt(parts.control(), CLOSE_BOUND);
    }
  }

  private static boolean awaitQuietly(Future<?> future, Duration bound) {
    try {
      future.toCompletionStage().toCompletableFuture().get(bound.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** {@link #run()}, then exit the JVM with its code. */
  public void runAndExit() {
    System.exit(run());
  }

  public Lifecycle lifecycle() {
    return parts.lifecycle();
  }

  public RuntimeConfig config() {
    return parts.config();
  }

  /** Bound port of the named server, -1 before it listens. */
  public int port(String serverName) {
    return parts.servers().stream().filter(s -> s.name().equals(serverName)).mapToInt(ManagedServer::port).findFirst().orElse(-1);
  }

  public int managementPort() {
    return start.managementPort();
  }
}
