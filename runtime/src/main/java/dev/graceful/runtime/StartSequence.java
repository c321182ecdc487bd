package dev.graceful.runtime;

import dev.graceful.runtime.kubernetes.KubernetesIntegration;
import dev.graceful.runtime.kubernetes.PodFacts;
import dev.graceful.runtime.lifecycle.LifecycleState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The start: the own pod's read at once; the management port; every server and verticle, alongside the read and the
 * mesh proxy it names; the user's readiness checks; then READY and the readiness gate. READY waits for the read only
 * when its answer can matter to it ({@link #readinessNeedsPodRead()}). Fails, having stopped what started, if
 * any step fails. A shutdown that begins meanwhile {@link #abandon() abandons} it at once: whatever step is awaited
 * is no longer waited for, and what has started is left to the shutdown to drain and stop.
 */
final class StartSequence {

  private static final Logger LOG = Logger.getLogger(StartSequence.class.getName());
  /** How often unmet readiness checks are asked again while the start waits for them. */
  private static final long READINESS_RETRY_MS = 200;
  /** How long an abandoned start still waits for units that are starting: servers bind within it, so they are drained. */
  private static final Duration SETTLE_AT_ABANDON = Duration.ofMillis(500);

  private final RuntimeParts parts;
  private final Promise<Void> started = Promise.promise();
  /** Complete once a shutdown has begun: the start's own waits (readiness checks) end. */
  private final Promise<Void> abandoned = Promise.promise();
  /** Complete once the abandoned start knows what it has deployed: every awaited step then fails. */
  private final Promise<Void> stoppedWaiting = Promise.promise();
  private final Startup startup;
  private volatile Map<String, String> deployments = Map.of();
  private volatile boolean becameReady;
  private boolean running;
  /** Set when the start has failed and is stopping what it started: a signal then must not abandon it. */
  private volatile boolean failingForReal;
  private volatile int managementPort = -1;

  StartSequence(RuntimeParts parts) {
    this.parts = parts;
    this.startup = new Startup(parts.vertx(), parts.config().startTimeout());
  }

  /** Starts everything; completes once READY, fails (after stopping what had started) if anything failed. */
  Future<Void> run() {
    long began = System.nanoTime();
    synchronized (this) {
      running = true;
      if (abandoned.future().isComplete()) {
        return started.future(); // a shutdown began before the start: abandon() has settled it
      }
    }
    // Begun first: on a cold JVM the first API call (TLS, the client's and the model's classes) is the longest step.
    Future<Void> podRead = parts.kubernetes().map(KubernetesIntegration::start).orElse(Future.succeededFuture());
    unlessAbandoned(parts.management().listen(parts.config().host(), parts.config().managementPort()))
        .onSuccess(port -> {
          managementPort = port;
          LOG.info("management server listening on port " + port + " (/health/live, /health/ready, /health/started, /metrics)");
        })
        .compose(port -> unlessAbandoned(deployWithProxy(podRead)))
        .compose(ids -> {
          deployments = ids;
          return unlessAbandoned(awaitUserReadiness(System.nanoTime() + parts.config().startTimeout().toNanos()));
        })
        .compose(v -> {
          // Fails once a shutdown has begun (the lifecycle only moves forward): no readiness, no gate, after a signal.
          if (parts.lifecycle().moveTo(LifecycleState.READY)) {
            becameReady = true;
            LOG.info("ready: " + parts.servers().size() + " server(s), " + deployments.size() + " deployment(s) in "
                + java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began) + " ms" + jvmUptime());
            // The pod turns Ready only once its readiness gate is True; that call is bounded and never fails.
            // Abandonable: it may wait for the pod read, which a shutdown must not wait for here.
            return unlessAbandoned(parts.kubernetes().map(k -> k.ready(parts.lifecycle()::isReady))
                .orElse(Future.succeededFuture()));
          }
          return Future.succeededFuture();
        })
        .onSuccess(v -> started.tryComplete())
        .onFailure(cause -> {
          if (cause instanceof StartAbandonedException) {
            started.tryFail(cause);
            return;
          }
          parts.lifecycle().moveTo(LifecycleState.FAILED);
          parts.kubernetes().ifPresent(k -> k.startFailed(cause.getMessage()));
          started.tryFail(cause instanceof StartFailedException ? cause : new StartFailedException(cause.getMessage(), cause));
        });
    return started.future();
  }

  /**
   * A shutdown began: stop waiting for whatever the start awaits (the pod read, the mesh proxy, a server's bind, a
   * readiness check) and settle it now, failed with {@link StartAbandonedException}. What has started stays up for
   * the shutdown to drain and stop ({@link #deployments()}); what starts later stops itself. No-op once settled.
   */
  void abandon() {
    StartAbandonedException cause = new StartAbandonedException("start abandoned: a shutdown began");
    synchronized (this) {
      if (started.future().isComplete() || !abandoned.tryComplete()) {
        return;
      }
      if (!running) {
        started.tryFail(cause); // nothing was started, and run() will start nothing
        return;
      }
    }
    if (failingForReal) {
      return; // the start fails on its own, its rollback included: that failure is the outcome
    }
    startup.abandon(cause, SETTLE_AT_ABANDON, parts.control()).onComplete(ar -> {
      if (ar.failed()) {
        return; // failing for real already: its own failure settles the start
      }
      Map<String, String> running = new LinkedHashMap<>(deployments);
      running.putAll(ar.result());
      deployments = Map.copyOf(running);
      LOG.info("shutdown during the start: not waiting for it any longer; "
          + (running.isEmpty() ? "nothing had started" : "stopping what had started: " + String.join(", ", running.values())));
      stoppedWaiting.tryComplete();
    });
  }

  /** True once the start has moved the runtime to READY. */
  boolean becameReady() {
    return becameReady;
  }

  private <T> Future<T> unlessAbandoned(Future<T> step) {
    Promise<T> result = Promise.promise();
    step.onComplete(ar -> {
      if (ar.succeeded()) {
        result.tryComplete(ar.result());
      } else {
        result.tryFail(ar.cause());
      }
    });
    stoppedWaiting.future().onComplete(ar -> result.tryFail(new StartAbandonedException("start abandoned: a shutdown began")));
    return result.future();
  }

  /** Completes when the start has succeeded or failed. */
  Future<Void> settled() {
    return started.future();
  }

  /** Deployment id to unit name, for what the start deployed; empty until it has. */
  Map<String, String> deployments() {
    return deployments;
  }

  int managementPort() {
    return managementPort;
  }

  /**
   * Deploys everything alongside the read of the own pod and the wait for the mesh proxy it names, or, with
   * GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES, once the proxy is ready. Either way the runtime turns ready only after
   * both. Servers do not wait for the pod read: on a busy node a cold JVM's first API calls take seconds, and the
   * servers only need the pod's facts at shutdown.
   */
  private Future<Map<String, String>> deployWithProxy(Future<Void> podRead) {
    Future<Void> proxyReady = podRead.compose(v -> proxyReady());
    if (parts.sidecars().waitBeforeVerticles()) {
      return proxyReady.compose(v -> startup.deployAll(parts.units()));
    }
    Future<Map<String, String>> deployed = startup.deployAll(parts.units());
    if (!readinessNeedsPodRead()) {
      // The read goes on beside READY. A proxy it finds anyway (one no annotation announced) is still waited for and
      // reported, but the kubelet already holds the pod's Ready condition on that container's own readiness probe.
      proxyReady.onFailure(e -> LOG.warning(e.getMessage()));
      return deployed;
    }
    return Future.join(deployed, proxyReady).transform(ar -> {
      if (ar.succeeded() || deployed.failed() || abandoned.future().isComplete()) {
        return deployed; // a failed deploy has already stopped what it started; an abandoned one leaves it running
      }
      // The pod could not be read (GRACEFUL_KUBERNETES=true) or the proxy never became ready: stop what did start,
      // then report it, as any failed start.
      failingForReal = true;
      return Future.join(deployed.result().keySet().stream().map(parts.vertx()::undeploy).toList())
          .transform(x -> Future.<Map<String, String>>failedFuture(proxyReady.cause()));
    });
  }

  /**
   * True when READY waits for the own pod's read: with GRACEFUL_KUBERNETES=true (no pod, no start), or when the read
   * may find a mesh proxy that readiness waits for ({@link dev.graceful.runtime.sidecar.SidecarSupport#readinessNeedsPodRead()}).
   * Otherwise its answer only matters at shutdown (the pod's deadline, the endpoint wait), which waits for it if it is
   * still under way; the readiness gate is set once it is known.
   */
  private boolean readinessNeedsPodRead() {
    // Outside Kubernetes the "read" has nothing to do, and this decides only whether a configured proxy URL is awaited.
    return parts.kubernetes().map(KubernetesIntegration::required).orElse(false) || parts.sidecars().readinessNeedsPodRead();
  }

  /** Waits for the mesh proxy the pod spec names, if any. */
  private Future<Void> proxyReady() {
    Optional<PodFacts> facts = parts.kubernetes().flatMap(KubernetesIntegration::facts);
    // The longest the shutdown may take: the pod's grace period (the deadline the runtime re-bases on), else the budget.
    Duration budget = facts.flatMap(PodFacts::terminationGrace)
        .map(g -> g.minus(parts.config().kubernetes().deadlineMargin()))
        .orElse(parts.config().shutdownTimeout());
    return parts.sidecars().start(facts.map(PodFacts::sidecars), budget);
  }

  private Future<Void> awaitUserReadiness(long deadlineNanos) {
    return parts.probes().userReadiness().transform(ar -> {
      if (abandoned.future().isComplete()) {
        return Future.failedFuture(new StartAbandonedException("start abandoned: a shutdown began"));
      }
      if (ar.succeeded() && ar.result().getUp()) {
        return Future.succeededFuture();
      }
      if (System.nanoTime() > deadlineNanos) {
        String why = ar.succeeded() ? ar.result().toJson().encode() : String.valueOf(ar.cause());
        return Future.failedFuture(new StartFailedException("readiness checks did not pass within the start timeout: " + why, null));
      }
      Promise<Void> retry = Promise.promise();
      parts.control().setTimer(READINESS_RETRY_MS, id -> awaitUserReadiness(deadlineNanos).onComplete(retry));
      return retry.future();
    });
  }

  /**
   * " (JVM up N ms)": with the start's own time, where a start spends its time (the JVM's boot and class loading come
   * before the runtime's start; embedded in a long-running process, the JVM has simply been up longer).
   */
  private static String jvmUptime() {
    try {
      return " (JVM up " + java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() + " ms)";
    } catch (RuntimeException | LinkageError e) {
      return "";
    }
  }
}
