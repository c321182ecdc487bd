package dev.graceful.runtime.kubernetes;

import dev.graceful.runtime.config.ConfigException;
import dev.graceful.runtime.config.KubernetesSettings;
import dev.graceful.runtime.config.Setting;
import dev.graceful.runtime.shutdown.FixedDelayWait;
import dev.graceful.runtime.shutdown.NeverReadyNoWait;
import dev.graceful.runtime.shutdown.ShutdownPhase;
import dev.graceful.runtime.shutdown.ShutdownReport;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Everything the runtime does with the Kubernetes API: learn its pod and Services at start, set the readiness
 * gate, re-base the shutdown on the pod's deadline, wait for the endpoints, and record Events. Any API trouble
 * degrades to the behaviour without Kubernetes, with one warning per cause ({@link FaultLog}); it never fails a
 * shutdown.
 */
public final class KubernetesIntegration {

  private static final Logger LOG = Logger.getLogger(KubernetesIntegration.class.getName());

  private final KubernetesSettings settings;
  private final PodIdentity identity;
  private final KubernetesApi api;
  private final OwnPod pod;
  private final PodEvents events;
  private final FaultLog faults = new FaultLog();
  private final Optional<ReadinessGate> gate;
  private final boolean ownsClient;
  private final Vertx vertx;
  private volatile Optional<PodFacts> facts = Optional.empty();
  /** The start-time read, once {@link #start()} has begun it. */
  private final Promise<Void> startRead = Promise.promise();
  private volatile boolean readBegun;

  private KubernetesIntegration(CompletableFuture<KubernetesClient> client, boolean ownsClient, PodIdentity identity,
      KubernetesSettings settings, Vertx vertx, Optional<CompletableFuture<Pod>> firstPod) {
    this.settings = settings;
    this.identity = identity;
    this.ownsClient = ownsClient;
    this.vertx = vertx;
    this.api = new KubernetesApi(client, vertx, settings.apiTimeout());
    this.pod = new OwnPod(api, identity, firstPod, OwnPod.MOUNTINFO);
    this.events = new PodEvents(api, identity, faults);
    this.gate = settings.readinessGate().map(type -> new ReadinessGate(api, identity, type));
  }

  /** For embedding and tests: a given client, pointed at any cluster. */
  public static KubernetesIntegration using(KubernetesClient client, PodIdentity pod, KubernetesSettings settings, Vertx vertx) {
    return new KubernetesIntegration(CompletableFuture.completedFuture(client), false, pod, settings, vertx, Optional.empty());
  }

  /** {@link #connect} and {@link #over} in one step. */
  public static Optional<KubernetesIntegration> fromEnvironment(KubernetesSettings settings, Map<String, String> env, Vertx vertx) {
    return connect(settings, env).map(c -> over(c, settings, vertx));
  }

  /**
   * In a pod (a service-account token is mounted or where fabric8's {@code KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN} names
   * it, or {@code POD_NAME} is set and a kubeconfig exists), begins to build
   * a client with the pod's credentials on a thread of its own and returns at once; elsewhere returns empty, unless
   * {@code GRACEFUL_KUBERNETES=true} demands it. Called first thing, so the client's classes load while Vert.x starts.
   *
   * @throws ConfigException when Kubernetes is required but there is no way to reach it
   */
  public static Optional<Connection> connect(KubernetesSettings settings, Map<String, String> env) {
    return connect(settings, env, PodIdentity.SERVICE_ACCOUNT_DIR, Path.of(System.getProperty("user.home")),
        KubernetesIntegration::buildClient);
  }

  /** The integration over a connection begun by {@link #connect}; {@code vertx} runs its calls and timers. */
  public static KubernetesIntegration over(Connection connection, KubernetesSettings settings, Vertx vertx) {
    return new KubernetesIntegration(connection.client(), true, connection.pod(), settings, vertx,
        Optional.of(connection.firstPod()));
  }

  /**
   * A client being built for a known pod, and the pod's first read, asked for on the same thread as soon as the
   * client exists: its TLS handshake and the model's classes then overlap the rest of the start.
   */
  public record Connection(CompletableFuture<KubernetesClient> client, PodIdentity pod, CompletableFuture<Pod> firstPod) {
  }

  /** {@link #connect(KubernetesSettings, Map)} with the service-account directory, home and client factory given. */
  static Optional<Connection> connect(KubernetesSettings settings, Map<String, String> env, Path serviceAccountDir, Path home,
      Function<KubernetesSettings, KubernetesClient> clientFactory) {
    if (settings.mode() == KubernetesSettings.Mode.OFF) {
      return Optional.empty();
    }
    boolean token = tokenFile(env).filter(Files::isReadable).isPresent() || Files.isReadable(serviceAccountDir.resolve("token"));
    boolean kubeconfig = env.containsKey("KUBECONFIG") || Files.isReadable(home.resolve(".kube").resolve("config"));
    boolean inPod = token || (env.containsKey("POD_NAME") && kubeconfig);
    Optional<PodIdentity> identity = PodIdentity.detect(env, serviceAccountDir);
    if (!inPod || identity.isEmpty()) {
      if (settings.mode() == KubernetesSettings.Mode.ON) {
        throw new ConfigException(Setting.KUBERNETES.key(), "true", !inPod
            ? "no service-account token at " + serviceAccountDir + tokenFile(env).map(f -> " or " + f + " (" + TOKEN_FILE_VARIABLE + ")").orElse("")
                + " and no kubeconfig with POD_NAME set"
            : "cannot tell the pod: set POD_NAME and POD_NAMESPACE from the downward API");
      }
      return Optional.empty();
    }
    CompletableFuture<KubernetesClient> client = new CompletableFuture<>();
    CompletableFuture<Pod> firstPod = new CompletableFuture<>();
    PodIdentity own = identity.get();
    Thread builder = new Thread(() -> {
      try {
        client.complete(clientFactory.apply(settings));
        firstPod.complete(OwnPod.get(client.join(), own));
      } catch (Throwable e) {
        client.completeExceptionally(e);
        firstPod.completeExceptionally(e);
      }
    }, "graceful-kubernetes-client");
    builder.setDaemon(true);
    builder.start();
    return Optional.of(new Connection(client, own, firstPod));
  }

  /** The environment variable fabric8 reads {@code kubernetes.auth.serviceAccount.token} from. */
  static final String TOKEN_FILE_VARIABLE = "KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN";

  /**
   * The token file named by fabric8's own setting ({@code kubernetes.auth.serviceAccount.token}, or the environment
   * variable {@code KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN}), which its autoConfigure reads before the mounted one: a
   * process given its token there is in a pod as much as one with the mount (the image's training run is one).
   */
  static Optional<Path> tokenFile(Map<String, String> env) {
    String named = System.getProperty(Config.KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN_FILE_SYSTEM_PROPERTY,
        env.get(TOKEN_FILE_VARIABLE));
    return named == null || named.isBlank() ? Optional.empty() : Optional.of(Path.of(named));
  }

  /**
   * For tests of the detection: {@link #connect} and {@link #over} in one step, with a client that cannot be built, so
   * nothing reaches whatever cluster the machine's own credentials point at.
   */
  static Optional<KubernetesIntegration> fromEnvironment(KubernetesSettings settings, Map<String, String> env, Vertx vertx,
      Path serviceAccountDir, Path home) {
    return connect(settings, env, serviceAccountDir, home, s -> {
      throw new IllegalStateException("no client in a detection test");
    }).map(c -> over(c, settings, vertx));
  }

  /**
   * The pod's own client. Its timeouts are those of the patient start-time read; every call at shutdown is cut off
   * sooner, at the API timeout, by KubernetesApi's timer.
   */
  private static KubernetesClient buildClient(KubernetesSettings settings) {
    Duration timeout = startReadBound(settings);
    Config config = new ConfigBuilder(Config.autoConfigure(null))
        .withRequestTimeout((int) timeout.toMillis())
        .withConnectionTimeout((int) timeout.toMillis())
        .withRequestRetryBackoffLimit(0)
        .withWatchReconnectInterval(500)
        .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /**
   * How long the start-time read may take: ten API timeouts. The first call of a cold JVM in a busy pod pays for the
   * client's classes, a TLS handshake and the model's deserializers, seconds on a starved node; cutting it off at the
   * API timeout and starting over (as the runtime once did) only repeated that work and delayed readiness further.
   */
  static Duration startReadBound(KubernetesSettings settings) {
    return settings.apiTimeout().multipliedBy(10);
  }

  /** The least time worth a new attempt at the start-time read; less, and the last real failure is reported. */
  static final long MIN_START_ATTEMPT_MS = 250;

  /**
   * Reads the pod and its Services once, each call allowed what is left of {@link #startReadBound}, retrying an
   * unreachable server within it. Fails only when Kubernetes is required; otherwise warns and degrades.
   */
  public Future<Void> start() {
    LOG.info("kubernetes: reading pod " + identity + " and the Services that select it");
    readBegun = true;
    Future<Void> read = readFacts(System.nanoTime() + startReadBound(settings).toNanos(), 0).map(found -> {
      facts = Optional.of(found);
      events.podUid(found.uid());
      LOG.info("kubernetes: pod " + identity + ", termination grace period "
          + found.terminationGrace().map(d -> d.toSeconds() + " s").orElse("unset")
          + ", endpoint wait on Services " + found.services()
          + (found.notReadyServices().isEmpty() ? "" : ", ignoring (publishNotReadyAddresses) " + found.notReadyServices())
          + gate.map(g -> ", readiness gate " + g.conditionType()
              + (found.readinessGates().contains(g.conditionType()) ? "" : " (not listed in the pod's readinessGates: no effect)")).orElse(""));
      return (Void) null;
    }).recover(e -> {
      if (settings.mode() == KubernetesSettings.Mode.ON) {
        return Future.failedFuture(new IllegalStateException("kubernetes: " + e.getMessage(), e));
      }
      faults.report(LOG, e, "kubernetes: " + e.getMessage() + "; continuing without the endpoint wait and the pod's deadline");
      return Future.succeededFuture();
    });
    read.onComplete(startRead);
    return read;
  }

  /** True while the start-time read has begun and not ended. */
  public boolean startReadPending() {
    return readBegun && !startRead.future().isComplete();
  }

  /** True with {@code GRACEFUL_KUBERNETES=true}: the start fails when the pod cannot be read. */
  public boolean required() {
    return settings.mode() == KubernetesSettings.Mode.ON;
  }

  /**
   * Completes when the start-time read has ended (facts known, or given up on), or after {@code bound}; never fails.
   * A shutdown that begins while the read is still under way waits here before it picks its phases.
   */
  public Future<Void> startReadSettled(Duration bound) {
    if (!readBegun || startRead.future().isComplete()) {
      return Future.succeededFuture();
    }
    return settledWithin(startRead.future(), bound);
  }

  private Future<PodFacts> readFacts(long deadlineNanos, int attempt) {
    return pod.readFacts(Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()))).recover(e -> {
      long backoffMs = Math.min(250L << attempt, 2000);
      // An attempt with almost nothing left could only end in "no answer within 0 ms", hiding the real cause.
      long leftAfterBackoff = deadlineNanos - System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(backoffMs);
      boolean retry = e instanceof KubernetesApi.KubernetesCallException k && k.isTransient()
          && leftAfterBackoff >= TimeUnit.MILLISECONDS.toNanos(MIN_START_ATTEMPT_MS);
      if (!retry) {
        return Future.failedFuture(e);
      }
      LOG.info("kubernetes: " + e.getMessage() + "; retrying");
      Promise<PodFacts> next = Promise.promise();
      vertx.setTimer(backoffMs, id -> readFacts(deadlineNanos, attempt + 1).onComplete(next));
      return next.future();
    });
  }

  /** What was learned about the pod at start; empty before {@link #start()} or when the read failed. */
  public Optional<PodFacts> facts() {
    return facts;
  }

  /**
   * The runtime turned ready: the readiness gate goes True, once the start-time read has shown the pod, unless
   * {@code stillReady} says a shutdown began meanwhile (its False must not be overtaken by this True).
   */
  public Future<Void> ready(BooleanSupplier stillReady) {
    if (gate.isEmpty()) {
      return Future.succeededFuture();
    }
    return startRead.future().transform(ar -> stillReady.getAsBoolean() ? readyGate() : Future.succeededFuture());
  }

  private Future<Void> readyGate() {
    return gate.filter(g -> facts.isPresent()).map(g -> g.set(true, "Ready").recover(e -> {
      faults.report(LOG, e, "cannot set readiness gate " + g.conditionType() + " to True (" + e.getMessage() + "): the pod will not turn Ready");
      return Future.<Void>succeededFuture();
    })).orElse(Future.succeededFuture());
  }

  /**
   * The phases between readiness-down and the drain: readiness gate False, the pod's deadline, the endpoint wait.
   * Without pod facts (the start-time read failed) only the fixed delay remains. A runtime that never turned ready
   * ({@code routable} false: a signal during its start) was never in any endpoint: it keeps only the deadline.
   */
  public List<ShutdownPhase> beforeDrain(Instant signalledAt, Duration configuredBudget, Duration drainDelay, Duration reserve,
      boolean routable) {
    List<ShutdownPhase> phases = new ArrayList<>();
    Optional<PodFacts> known = facts;
    if (known.isEmpty() && routable && readBegun && !startRead.future().isComplete()) {
      // Ready before the read answered, and still no answer: the deadline phase reads the pod's deletion itself; the
      // Services to watch are unknown, so the fixed delay stands in for the endpoint wait, and the report says why.
      LOG.warning("kubernetes: the pod read begun at start has not answered yet; re-basing on the pod's deletion if it can"
          + " be read, and waiting the fixed " + drainDelay.toMillis() + " ms instead of the endpoints");
      phases.add(new PodDeadlinePhase(pod, Optional.empty(), configuredBudget, settings.deadlineMargin(), signalledAt,
          events, faults));
      phases.add(new FixedDelayWait(drainDelay, reserve, "pod read pending"));
      return phases;
    }
    if (known.isEmpty()) {
      phases.add(routable ? new FixedDelayWait(drainDelay, reserve, readBegun ? "pod not read" : null) : new NeverReadyNoWait());
      return phases;
    }
    if (routable) {
      gate.ifPresent(g -> phases.add(new ReadinessGatePhase(g, faults)));
    }
    phases.add(new PodDeadlinePhase(pod, known.get().terminationGrace(), configuredBudget, settings.deadlineMargin(),
        signalledAt, events, faults));
    phases.add(routable
        ? new EndpointsDrainedWait(api, vertx, identity, known.get(), pod, settings, drainDelay, reserve, events, faults)
        : new NeverReadyNoWait());
    return phases;
  }

  public void startFailed(String message) {
    events.warning("StartFailed", message);
  }

  public void shutdownFinished(ShutdownReport report) {
    String message = report.toJson().getJsonObject("phases").encode();
    if (report.forced()) {
      events.warning("ShutdownForced", "shutdown forced after " + report.total().toMillis() + " ms: " + message);
    } else if (report.stopFailed()) {
      events.warning("StopFailed", "a verticle failed to stop, after " + report.total().toMillis() + " ms: " + message);
    } else {
      events.normal("ShutdownCompleted", "shutdown completed in " + report.total().toMillis() + " ms: " + message);
    }
  }

  /** Waits (bounded) for the events sent so far, so they are written before the process exits. */
  public Future<Void> flushEvents() {
    return events.flush();
  }

  /** {@link #flushEvents()}, giving up after {@code bound}; never fails. */
  public Future<Void> flushEvents(Duration bound) {
    return settledWithin(events.flush(), bound);
  }

  /** Completes when {@code work} completes, either way, or after {@code bound}, whichever is first; never fails. */
  private Future<Void> settledWithin(Future<?> work, Duration bound) {
    Promise<Void> settled = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, bound.toMillis()), id -> settled.tryComplete());
    work.onComplete(ar -> {
      vertx.cancelTimer(timer);
      settled.tryComplete();
    });
    return settled.future();
  }

  public void close() {
    if (ownsClient) {
      api.close();
    }
  }
}
