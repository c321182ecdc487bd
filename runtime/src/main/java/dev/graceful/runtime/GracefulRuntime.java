package dev.graceful.runtime;

import dev.graceful.runtime.config.ConfigException;
import dev.graceful.runtime.config.ConfigLoader;
import dev.graceful.runtime.config.RuntimeConfig;
import dev.graceful.runtime.kubernetes.KubernetesIntegration;
import dev.graceful.runtime.kubernetes.PodFacts;
import dev.graceful.runtime.kubernetes.PodIdentity;
import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.lifecycle.Lifecycle;
import dev.graceful.runtime.lifecycle.LifecycleState;
import dev.graceful.runtime.metrics.RuntimeMetrics;
import dev.graceful.runtime.probes.HealthProbes;
import dev.graceful.runtime.probes.ManagementServer;
import dev.graceful.runtime.server.GrpcServers;
import dev.graceful.runtime.server.ManagedServer;
import dev.graceful.runtime.server.ServerRegistry;
import dev.graceful.runtime.server.ServerSpec;
import dev.graceful.runtime.shutdown.DeadlineWait;
import dev.graceful.runtime.shutdown.DrainServers;
import dev.graceful.runtime.shutdown.FixedDelayWait;
import dev.graceful.runtime.shutdown.ReadinessDown;
import dev.graceful.runtime.shutdown.ShutdownBudget;
import dev.graceful.runtime.shutdown.ShutdownCoordinator;
import dev.graceful.runtime.shutdown.ShutdownPhase;
import dev.graceful.runtime.shutdown.ShutdownReport;
import dev.graceful.runtime.shutdown.StopVerticles;
import dev.graceful.runtime.sidecar.SidecarSupport;
import dev.graceful.runtime.signal.SignalTrap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.healthchecks.Status;
import io.vertx.grpc.server.Service;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
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
  /** What stopping drained servers needs: undeploying them takes milliseconds. */
  private static final Duration SERVERS_ONLY_STOP_RESERVE = Duration.ofMillis(250);
  /** All the time the process takes past the shutdown deadline: for the last report, the proxy's quit and closing. */
  private static final Duration PAST_DEADLINE_GRACE = Duration.ofSeconds(1);
  /** Bound on closing Vert.x, and on the proxy's quit after a failed start. */
  private static final Duration CLOSE_BOUND = Duration.ofSeconds(2);
  /** Least time the last Kubernetes Events get to be written, even past the deadline; within PAST_DEADLINE_GRACE. */
  private static final Duration EVENT_FLUSH_BOUND = Duration.ofMillis(500);

  private final RuntimeConfig config;
  private final Lifecycle lifecycle = new Lifecycle();
  private final PrometheusMeterRegistry registry;
  private final RuntimeMetrics metrics;
  private final Vertx control;
  private final Vertx vertx;
  private final HealthProbes probes;
  private final ManagementServer management;
  private final Optional<KubernetesIntegration> kubernetes;
  private final SidecarSupport sidecars;
  private final ServerRegistry serverRegistry = new ServerRegistry();
  private final List<ManagedServer> servers = new ArrayList<>();
  private final List<Startup.Unit> units = new ArrayList<>();
  private final Promise<Void> started = Promise.promise();
  private final AtomicReference<ShutdownBudget> budget = new AtomicReference<>();
  private final CompletableFuture<ShutdownBudget> shutdownBegun = new CompletableFuture<>();
  private final Promise<ShutdownReport> shutdownDone = Promise.promise();
  private volatile Map<String, String> deployments = Map.of();
  private volatile int managementPort = -1;

  private GracefulRuntime(Builder builder) {
    this.config = builder.config;
    // Built while the Vert.x instances are created: both are mostly class loading, and they load different classes.
    CompletableFuture<PrometheusMeterRegistry> registryBuild =
        BackgroundStart.begin("metrics", () -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    BackgroundStart.warmJson();
    // Probes, metrics and shutdown timers get their own small Vert.x, so busy application loops cannot delay them.
    this.control = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2));
    // The application's instance reports every server, connection and request to the registry, whoever opens them.
    // Micrometer's Vert.x meters time every request: with them, bench/'s steady scenario measured HTTP/2 at 0.70x
    // plain Vert.x. So only on request; the runtime's own meters (in flight, phases) are always there.
    this.vertx = Vertx.builder()
        .with(config.vertxMetrics()
            ? new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true))
            : new VertxOptions())
        .withTransport(serverRegistry.transport())
        .withMetrics(serverRegistry.metricsFactory(config.vertxMetrics()
            ? Optional.of(new MicrometerMetricsFactory(registryBuild.join()))
            : Optional.empty()))
        .build();
    this.registry = registryBuild.join();
    this.metrics = new RuntimeMetrics(registry, lifecycle, serverRegistry);
    this.probes = new HealthProbes(control, lifecycle);
    this.management = new ManagementServer(control, probes, registry, metrics::refreshServers);
    this.sidecars = new SidecarSupport(config.sidecar(), control);
    try {
      this.kubernetes = builder.kubernetesClient != null
          ? Optional.of(KubernetesIntegration.using(builder.kubernetesClient, builder.pod, config.kubernetes(), control))
          : KubernetesIntegration.fromEnvironment(config.kubernetes(), System.getenv(), control);
    } catch (RuntimeException e) {
      vertx.close();
      control.close();
      throw e;
    }
    builder.livenessChecks.forEach(probes::addLiveness);
    builder.readinessChecks.forEach(probes::addReadiness);
    for (ServerSpec spec : builder.servers(config, lifecycle)) {
      ManagedServer server = new ManagedServer(spec, serverRegistry);
      servers.add(server);
      units.add(new Startup.Unit(spec.kind() + " server '" + spec.name() + "'", () -> server));
    }
    units.addAll(builder.verticles);
    lifecycle.onChange(state -> LOG.info("lifecycle: " + state));
    if (!io.vertx.core.spi.metrics.Metrics.METRICS_ENABLED) {
      LOG.warning("-Dvertx.disableMetrics=true turns off Vert.x's metrics SPI, and with it the runtime's request tracking: "
          + "no requests in flight in /metrics and the report, no Connection: close on answers during the drain; remove it");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Runs one HTTP handler (typically a vertx-web Router) on {@code GRACEFUL_HTTP_PORT} until a signal; then exits. */
  public static void serveHttp(Function<Vertx, ? extends Handler<HttpServerRequest>> handler) {
    builder().http(handler).runAndExit();
  }

  /** Runs gRPC services on {@code GRACEFUL_GRPC_PORT} until a signal; then exits. */
  @SafeVarargs
  public static void serveGrpc(Function<Vertx, Service>... services) {
    Builder b = builder();
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
    management.listen(config.host(), config.managementPort())
        .onSuccess(port -> {
          managementPort = port;
          LOG.info("management server listening on port " + port + " (/health/live, /health/ready, /health/started, /metrics)");
        })
        .compose(port -> deployWithProxy(kubernetes.map(KubernetesIntegration::start).orElse(Future.succeededFuture())))
        .compose(ids -> {
          deployments = ids;
          servers.forEach(s -> LOG.info(s.kind() + " server '" + s.name() + "' listening on port " + s.port()));
          return awaitUserReadiness(System.nanoTime() + config.startTimeout().toNanos());
        })
        .compose(v -> {
          if (lifecycle.moveTo(LifecycleState.READY)) {
            LOG.info("ready: " + servers.size() + " server(s), " + deployments.size() + " deployment(s)");
            // The pod turns Ready only once its readiness gate is True; that call is bounded and never fails.
            return kubernetes.map(KubernetesIntegration::ready).orElse(Future.succeededFuture());
          }
          return Future.succeededFuture();
        })
        .onSuccess(v -> started.tryComplete())
        .onFailure(cause -> {
          lifecycle.moveTo(LifecycleState.FAILED);
          kubernetes.ifPresent(k -> k.startFailed(cause.getMessage()));
          started.tryFail(cause instanceof StartFailedException ? cause : new StartFailedException(cause.getMessage(), cause));
        });
    return started.future();
  }

  /**
   * Deploys everything alongside the read of the own pod and the wait for the mesh proxy it names, or, with
   * GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES, once the proxy is ready. Either way the runtime turns ready only after
   * both. Servers do not wait for the pod read: on a busy node a cold JVM's first API calls take seconds, and the
   * servers only need the pod's facts at shutdown.
   */
  private Future<Map<String, String>> deployWithProxy(Future<Void> podRead) {
    Future<Void> proxyReady = podRead.compose(v -> proxyReady());
    if (sidecars.waitBeforeVerticles()) {
      return proxyReady.compose(v -> new Startup(vertx, config.startTimeout()).deployAll(units));
    }
    Future<Map<String, String>> deployed = new Startup(vertx, config.startTimeout()).deployAll(units);
    return Future.join(deployed, proxyReady).transform(ar -> {
      if (ar.succeeded() || deployed.failed()) {
        return deployed; // a failed deploy has already stopped what it started
      }
      // The pod could not be read (GRACEFUL_KUBERNETES=true) or the proxy never became ready: stop what did start,
      // then report it, as any failed start.
      return Future.join(deployed.result().keySet().stream().map(vertx::undeploy).toList())
          .transform(x -> Future.<Map<String, String>>failedFuture(proxyReady.cause()));
    });
  }

  /** Waits for the mesh proxy the pod spec names, if any. */
  private Future<Void> proxyReady() {
    Optional<PodFacts> facts = kubernetes.flatMap(KubernetesIntegration::facts);
    // The longest the shutdown may take: the pod's grace period (the deadline the runtime re-bases on), else the budget.
    Duration budget = facts.flatMap(PodFacts::terminationGrace).map(g -> g.minus(config.kubernetes().deadlineMargin()))
        .orElse(config.shutdownTimeout());
    return sidecars.start(facts.map(PodFacts::sidecars), budget);
  }

  private Future<Void> awaitUserReadiness(long deadlineNanos) {
    return probes.userReadiness().transform(ar -> {
      if (ar.succeeded() && ar.result().getUp()) {
        return Future.succeededFuture();
      }
      if (System.nanoTime() > deadlineNanos) {
        String why = ar.succeeded() ? ar.result().toJson().encode() : String.valueOf(ar.cause());
        return Future.failedFuture(new StartFailedException("readiness checks did not pass within the start timeout: " + why, null));
      }
      Promise<Void> retry = Promise.promise();
      control.setTimer(200, id -> awaitUserReadiness(deadlineNanos).onComplete(retry));
      return retry.future();
    });
  }

  /**
   * Starts the graceful shutdown; calling it again (a second signal) forces it: remaining waits are skipped and
   * whatever is still open is closed now. Completes with the report once every phase has run.
   */
  public Future<ShutdownReport> shutdown() {
    ShutdownBudget mine = new ShutdownBudget(control, config.shutdownTimeout());
    if (!budget.compareAndSet(null, mine)) {
      LOG.warning("shutdown already in progress: forcing it");
      budget.get().force();
      return shutdownDone.future();
    }
    LOG.info("shutdown started: budget " + config.shutdownTimeout().toMillis() + " ms");
    shutdownBegun.complete(mine);
    Instant signalledAt = Instant.now();
    // A start still in progress settles first (its own timeout bounds it); then the phases run as usual.
    started.future().transform(ar -> runPhases(mine, signalledAt)).onComplete(shutdownDone);
    return shutdownDone.future();
  }

  private Future<ShutdownReport> runPhases(ShutdownBudget budget, Instant signalledAt) {
    // Keep GRACEFUL_STOP_TIMEOUT back from the drain only for verticles of the user's own, whose stop may take time;
    // with servers alone, in-flight requests get nearly all of it.
    Duration stopReserve = units.size() > servers.size() ? config.stopTimeout() : SERVERS_ONLY_STOP_RESERVE;
    List<ShutdownPhase> phases = new ArrayList<>();
    phases.add(new ReadinessDown(lifecycle));
    // The pre-drain wait: the Kubernetes-aware phases when running in a pod, else the fixed delay.
    phases.addAll(kubernetes
        .map(k -> k.beforeDrain(signalledAt, config.shutdownTimeout(), config.drainDelay(), stopReserve))
        .orElseGet(() -> List.of(new FixedDelayWait(config.drainDelay(), stopReserve))));
    phases.add(new DrainServers(serverRegistry, control, stopReserve));
    phases.add(new StopVerticles(vertx, lifecycle, deployments));
    return new ShutdownCoordinator(phases, metrics::recordPhase).run(budget)
        .onComplete(ar -> lifecycle.moveTo(LifecycleState.STOPPED))
        .onSuccess(report -> LOG.info(report.toJson().encode()))
        .compose(report -> kubernetes.map(k -> {
          k.shutdownFinished(report);
          // Events are best effort, but a forced shutdown ends with the budget spent: give the flush a bound of its
          // own, or close() would kill the ShutdownForced POST before it is written.
          Duration remaining = budget.remaining(Duration.ZERO);
          return k.flushEvents(remaining.compareTo(EVENT_FLUSH_BOUND) > 0 ? remaining : EVENT_FLUSH_BOUND).map(report);
        }).orElse(Future.succeededFuture(report)));
  }

  /** Closes both Vert.x instances, bounded; for after a shutdown or a failed start. */
  public Future<Void> close() {
    kubernetes.ifPresent(KubernetesIntegration::close);
    // Closing the control instance also closes the management server; chain on futures not bound to its context.
    return vertx.close().transform(ar -> control.close());
  }

  /**
   * Starts, waits for SIGTERM, SIGINT or SIGHUP, shuts down, closes, and returns the process exit code. Once a signal has
   * arrived it waits until the shutdown deadline, following it when a phase moves it (the pod's deadline on
   * Kubernetes), and never more than {@link #PAST_DEADLINE_GRACE} past it, sidecar quit and close included.
   */
  public int run() {
    try (SignalTrap signals = SignalTrap.install(this::shutdown)) {
      return runUntilStopped();
    }
  }

  private int runUntilStopped() {
    try {
      start().toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("graceful-runtime: start failed: " + cause.getMessage());
      kubernetes.ifPresent(k -> awaitQuietly(k.flushEvents(), config.kubernetes().apiTimeout()));
      exitSidecar(ExitCode.START_FAILED.code(), CLOSE_BOUND);
      closeQuietly(config.startTimeout());
      return ExitCode.START_FAILED.code();
    }
    DeadlineWait wait = new DeadlineWait(shutdownBegun.join(), PAST_DEADLINE_GRACE);
    ShutdownReport report;
    try {
      report = wait.await(shutdownDone.future().toCompletionStage().toCompletableFuture());
    } catch (TimeoutException e) {
      LOG.severe("shutdown did not finish by its deadline; exiting anyway");
      exitSidecar(ExitCode.SHUTDOWN_FORCED.code(), wait.graceLeft());
      return ExitCode.SHUTDOWN_FORCED.code();
    } catch (Exception e) {
      LOG.severe("shutdown failed: " + e);
      exitSidecar(ExitCode.INTERNAL_ERROR.code(), wait.graceLeft());
      return ExitCode.INTERNAL_ERROR.code();
    }
    exitSidecar(report.exitCode().code(), wait.graceLeft());
    if (!report.forced()) {
      // Not after a forced shutdown: Vert.x's close would wait on the very verticles that did not stop; exiting
      // closes the sockets anyway.
      Duration left = wait.graceLeft();
      closeQuietly(left.compareTo(CLOSE_BOUND) < 0 ? left : CLOSE_BOUND);
    }
    return report.exitCode().code();
  }

  /** Asks the mesh proxy to exit when the pod runs to completion, so a Job completes; bounded, never fails. */
  private void exitSidecar(int exitCode, Duration bound) {
    if (!awaitQuietly(sidecars.atExit(exitCode), bound)) {
      LOG.warning("sidecar: no answer to the quit request within " + bound.toMillis() + " ms; exiting anyway");
    }
  }

  private void closeQuietly(Duration bound) {
    if (!awaitQuietly(close(), bound)) {
      LOG.warning("Vert.x did not close within " + bound.toMillis() + " ms");
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
    return lifecycle;
  }

  public RuntimeConfig config() {
    return config;
  }

  /** Bound port of the named server, -1 before it listens. */
  public int port(String serverName) {
    return servers.stream().filter(s -> s.name().equals(serverName)).mapToInt(ManagedServer::port).findFirst().orElse(-1);
  }

  public int managementPort() {
    return managementPort;
  }

  /** Collects servers, verticles and checks; {@link #build()} makes the runtime. */
  public static final class Builder {

    private RuntimeConfig config;
    private final List<HttpEntry> http = new ArrayList<>();
    private final Map<GrpcKey, List<Function<Vertx, Service>>> grpc = new LinkedHashMap<>();
    private final List<Startup.Unit> verticles = new ArrayList<>();
    private final Map<String, Handler<Promise<Status>>> livenessChecks = new LinkedHashMap<>();
    private final Map<String, Handler<Promise<Status>>> readinessChecks = new LinkedHashMap<>();
    private KubernetesClient kubernetesClient;
    private PodIdentity pod;

    private record HttpEntry(String name, Integer port, Function<Vertx, ? extends Handler<HttpServerRequest>> handler) {
    }

    private record GrpcKey(String name, Integer port) {
    }

    private Builder() {
    }

    /** Settings; by default read from the environment when {@link #build()} runs. */
    public Builder config(RuntimeConfig config) {
      this.config = config;
      return this;
    }

    /** An HTTP server named {@code http} on {@code GRACEFUL_HTTP_PORT}. */
    public Builder http(Function<Vertx, ? extends Handler<HttpServerRequest>> handler) {
      http.add(new HttpEntry("http", null, handler));
      return this;
    }

    /** Another HTTP server, on its own port. */
    public Builder http(String name, int port, Function<Vertx, ? extends Handler<HttpServerRequest>> handler) {
      http.add(new HttpEntry(name, port, handler));
      return this;
    }

    /** A gRPC service on the server named {@code grpc} on {@code GRACEFUL_GRPC_PORT}. */
    public Builder grpc(Function<Vertx, Service> service) {
      grpc.computeIfAbsent(new GrpcKey("grpc", null), k -> new ArrayList<>()).add(service);
      return this;
    }

    /** A gRPC service on another gRPC server, on its own port. */
    public Builder grpc(String name, int port, Function<Vertx, Service> service) {
      grpc.computeIfAbsent(new GrpcKey(name, port), k -> new ArrayList<>()).add(service);
      return this;
    }

    /** A verticle with its own start and stop; stopped after the servers are drained. */
    public Builder verticle(Supplier<? extends Deployable> verticle) {
      verticles.add(new Startup.Unit("verticle #" + (verticles.size() + 1), verticle));
      return this;
    }

    /** A verticle with a name for logs and errors. */
    public Builder verticle(String name, Supplier<? extends Deployable> verticle) {
      verticles.add(new Startup.Unit("verticle " + name, verticle));
      return this;
    }

    public Builder module(RuntimeModule module) {
      module.configure(this);
      return this;
    }

    public Builder livenessCheck(String name, Handler<Promise<Status>> procedure) {
      livenessChecks.put(name, procedure);
      return this;
    }

    public Builder readinessCheck(String name, Handler<Promise<Status>> procedure) {
      readinessChecks.put(name, procedure);
      return this;
    }

    /**
     * Uses this client and pod identity for the Kubernetes features instead of detecting them from the environment
     * (the service account of the pod): for tests, or a host application that already has a client.
     */
    public Builder kubernetes(KubernetesClient client, PodIdentity pod) {
      this.kubernetesClient = client;
      this.pod = pod;
      return this;
    }

    /**
     * Builds the runtime and {@link GracefulRuntime#run() runs} it; returns the exit code. A setting that cannot be
     * used is one line naming the setting and the value, and exit code 2, not an exception.
     */
    public int run() {
      GracefulRuntime runtime;
      try {
        runtime = build();
      } catch (ConfigException e) {
        return configurationError(e);
      }
      return runtime.run();
    }

    /** {@link #run()}, then exit the JVM with its code: what a {@code main} calls. */
    public void runAndExit() {
      System.exit(run());
    }

    /**
     * Makes the runtime, for embedding ({@code start()}, {@code shutdown()}, {@code close()}).
     *
     * @throws ConfigException when a setting cannot be used; {@link #runAndExit()} turns that into exit code 2
     */
    public GracefulRuntime build() {
      if (config == null) {
        config = ConfigLoader.fromEnvironment();
      }
      return new GracefulRuntime(this);
    }

    private List<ServerSpec> servers(RuntimeConfig config, Lifecycle lifecycle) {
      List<ServerSpec> specs = new ArrayList<>();
      http.forEach(e -> specs.add(new ServerSpec(e.name(), "http", config.host(),
          e.port() == null ? config.httpPort() : e.port(), new HttpServerOptions(), e.handler())));
      grpc.forEach((key, services) -> specs.add(GrpcServers.spec(key.name(), config.host(),
          key.port() == null ? config.grpcPort() : key.port(), config.grpcTls(), lifecycle, services)));
      return specs;
    }
  }
}
