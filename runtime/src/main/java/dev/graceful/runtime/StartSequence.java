package dev.graceful.runtime;

import dev.graceful.runtime.kubernetes.KubernetesIntegration;
import dev.graceful.runtime.kubernetes.PodFacts;
import dev.graceful.runtime.lifecycle.LifecycleState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The start, in order: the management port; the own pod's read and the mesh proxy, alongside every server and
 * verticle; the user's readiness checks; then READY and the readiness gate. Fails, having stopped what started, if
 * any step fails.
 */
final class StartSequence {

  private static final Logger LOG = Logger.getLogger(StartSequence.class.getName());
  /** How often unmet readiness checks are asked again while the start waits for them. */
  private static final long READINESS_RETRY_MS = 200;

  private final RuntimeParts parts;
  private final Promise<Void> started = Promise.promise();
  private volatile Map<String, String> deployments = Map.of();
  private volatile int managementPort = -1;

  StartSequence(RuntimeParts parts) {
    this.parts = parts;
  }

  /** Starts everything; completes once READY, fails (after stopping what had started) if anything failed. */
  Future<Void> run() {
    parts.management().listen(parts.config().host(), parts.config().managementPort())
        .onSuccess(port -> {
          managementPort = port;
          LOG.info("management server listening on port " + port + " (/health/live, /health/ready, /health/started, /metrics)");
        })
        .compose(port -> deployWithProxy(parts.kubernetes().map(KubernetesIntegration::start).orElse(Future.succeededFuture())))
        .compose(ids -> {
          deployments = ids;
          parts.servers().forEach(s -> LOG.info(s.kind() + " server '" + s.name() + "' listening on port " + s.port()));
          return awaitUserReadiness(System.nanoTime() + parts.config().startTimeout().toNanos());
        })
        .compose(v -> {
          if (parts.lifecycle().moveTo(LifecycleState.READY)) {
            LOG.info("ready: " + parts.servers().size() + " server(s), " + deployments.size() + " deployment(s)");
            // The pod turns Ready only once its readiness gate is True; that call is bounded and never fails.
            return parts.kubernetes().map(KubernetesIntegration::ready).orElse(Future.succeededFuture());
          }
          return Future.succeededFuture();
        })
        .onSuccess(v -> started.tryComplete())
        .onFailure(cause -> {
          parts.lifecycle().moveTo(LifecycleState.FAILED);
          parts.kubernetes().ifPresent(k -> k.startFailed(cause.getMessage()));
          started.tryFail(cause instanceof StartFailedException ? cause : new StartFailedException(cause.getMessage(), cause));
        });
    return started.future();
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
    Startup startup = new Startup(parts.vertx(), parts.config().startTimeout());
    if (parts.sidecars().waitBeforeVerticles()) {
      return proxyReady.compose(v -> startup.deployAll(parts.units()));
    }
    Future<Map<String, String>> deployed = startup.deployAll(parts.units());
    return Future.join(deployed, proxyReady).transform(ar -> {
      if (ar.succeeded() || deployed.failed()) {
        return deployed; // a failed deploy has already stopped what it started
      }
      // The pod could not be read (GRACEFUL_KUBERNETES=true) or the proxy never became ready: stop what did start,
      // then report it, as any failed start.
      return Future.join(deployed.result().keySet().stream().map(parts.vertx()::undeploy).toList())
          .transform(x -> Future.<Map<String, String>>failedFuture(proxyReady.cause()));
    });
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
}
