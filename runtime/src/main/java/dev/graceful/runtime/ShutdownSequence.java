package dev.graceful.runtime;

import dev.graceful.runtime.lifecycle.LifecycleState;
import dev.graceful.runtime.logging.StructuredMessage;
import dev.graceful.runtime.shutdown.DrainServers;
import dev.graceful.runtime.shutdown.FixedDelayWait;
import dev.graceful.runtime.shutdown.NeverReadyNoWait;
import dev.graceful.runtime.shutdown.ReadinessDown;
import dev.graceful.runtime.shutdown.ShutdownBudget;
import dev.graceful.runtime.shutdown.ShutdownCoordinator;
import dev.graceful.runtime.shutdown.ShutdownPhase;
import dev.graceful.runtime.shutdown.ShutdownReport;
import dev.graceful.runtime.shutdown.StopVerticles;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The shutdown, on one budget: readiness down, the pre-drain wait (the Kubernetes-aware phases in a pod, else the
 * fixed delay), the drain, the verticles' stop; then the report and the last Kubernetes events. A second call forces
 * it.
 */
final class ShutdownSequence {

  private static final Logger LOG = Logger.getLogger(ShutdownSequence.class.getName());
  /** What stopping drained servers needs: undeploying them takes milliseconds. */
  private static final Duration SERVERS_ONLY_STOP_RESERVE = Duration.ofMillis(250);

  private final RuntimeParts parts;
  private final StartSequence start;
  private final AtomicReference<ShutdownBudget> budget = new AtomicReference<>();
  private final CompletableFuture<ShutdownBudget> begun = new CompletableFuture<>();
  private final Promise<ShutdownReport> done = Promise.promise();

  ShutdownSequence(RuntimeParts parts, StartSequence start) {
    this.parts = parts;
    this.start = start;
  }

  /**
   * Starts the graceful shutdown; calling it again (a second signal) forces it: remaining waits are skipped and
   * whatever is still open is closed now. Completes with the report once every phase has run.
   *
   * @param signalledNanos when the signal arrived ({@link System#nanoTime()}): the budget counts from then
   */
  Future<ShutdownReport> begin(long signalledNanos) {
    ShutdownBudget mine = new ShutdownBudget(parts.control(), parts.config().shutdownTimeout(), signalledNanos);
    Future<Void> settled = start.settled();
    if (settled.failed() && !(settled.cause() instanceof StartAbandonedException)) {
      LOG.info("shutdown requested after a failed start: already stopping");
      return Future.failedFuture(settled.cause());
    }
    if (!budget.compareAndSet(null, mine)) {
      LOG.warning("shutdown already in progress: forcing it");
      budget.get().force();
      return done.future();
    }
    LOG.info("shutdown started: budget " + parts.config().shutdownTimeout().toMillis() + " ms");
    Instant signalledAt = Instant.now().minusNanos(Math.max(0, System.nanoTime() - signalledNanos));
    // Readiness goes down at the signal, not once a start in progress has settled: a start that completes after it
    // can then no longer turn the runtime READY, nor set the readiness gate True.
    parts.lifecycle().moveTo(LifecycleState.DRAINING);
    begun.complete(mine);
    start.abandon();
    start.settled().transform(ar -> ar.failed() && !(ar.cause() instanceof StartAbandonedException)
        // The start failed for real (its rollback stopped what it started): that is the outcome, not a shutdown.
        ? Future.<ShutdownReport>failedFuture(ar.cause())
        : podReadSettled().compose(v -> runPhases(mine, signalledAt))).onComplete(done);
    return done.future();
  }

  /**
   * Completes once the start-time pod read has ended, or after the API timeout: readiness no longer waits for it, so a
   * signal soon after READY can find it under way, and the phases (the pod's deadline, the endpoint wait) need its
   * answer. Without one in time the shutdown falls back to the fixed delay, as when the read failed.
   */
  private Future<Void> podReadSettled() {
    if (!start.becameReady()) {
      return Future.succeededFuture(); // never routed to: no endpoint wait, nothing to learn from the read worth waiting for
    }
    return parts.kubernetes().map(k -> {
      if (k.startReadPending()) {
        LOG.info("shutdown: waiting up to " + parts.config().kubernetes().apiTimeout().toMillis()
            + " ms for the pod read begun at start, which picks the pre-drain wait");
      }
      return k.startReadSettled(parts.config().kubernetes().apiTimeout());
    }).orElse(Future.succeededFuture());
  }

  /** Completes with the budget once a shutdown has begun. */
  CompletableFuture<ShutdownBudget> begun() {
    return begun;
  }

  /** Completes with the report once the shutdown has run. */
  Future<ShutdownReport> done() {
    return done.future();
  }

  private Future<ShutdownReport> runPhases(ShutdownBudget budget, Instant signalledAt) {
    // Keep GRACEFUL_STOP_TIMEOUT back from the drain only for verticles of the user's own, whose stop may take time;
    // with servers alone, in-flight requests get nearly all of it.
    Duration stopReserve = parts.hasOwnVerticles() ? parts.config().stopTimeout() : SERVERS_ONLY_STOP_RESERVE;
    List<ShutdownPhase> phases = new ArrayList<>();
    phases.add(new ReadinessDown(parts.lifecycle()));
    // Never ready, never routed to: no load balancer or endpoint has this pod to take out, so nothing to wait for.
    boolean routable = start.becameReady();
    phases.addAll(parts.kubernetes()
        .map(k -> k.beforeDrain(signalledAt, parts.config().shutdownTimeout(), parts.config().drainDelay(), stopReserve,
            routable))
        .orElseGet(() -> List.of(routable
            ? new FixedDelayWait(parts.config().drainDelay(), stopReserve)
            : new NeverReadyNoWait())));
    phases.add(new DrainServers(parts.serverRegistry(), parts.control(), stopReserve));
    phases.add(new StopVerticles(parts.vertx(), parts.lifecycle(), start.deployments()));
    return new ShutdownCoordinator(phases, parts.metrics()::recordPhase).run(budget)
        .onComplete(ar -> parts.lifecycle().moveTo(LifecycleState.STOPPED))
        .onSuccess(report -> StructuredMessage.log(LOG, Level.INFO, "shutdown complete: " + report.outcome() + " in "
            + report.total().toMillis() + " ms, exit code " + report.exitCode().code(), report.toJson()))
        .compose(report -> parts.kubernetes().map(k -> {
          k.shutdownFinished(report);
          // Events are best effort, but a forced shutdown ends with the budget spent: the flush may then use half the
          // time the process has past the deadline, or close() would kill the ShutdownForced POST before it is written.
          Duration remaining = budget.remaining(Duration.ZERO);
          Duration pastDeadline = parts.pastDeadlineGrace().dividedBy(2);
          return k.flushEvents(remaining.compareTo(pastDeadline) > 0 ? remaining : pastDeadline).map(report);
        }).orElse(Future.succeededFuture(report)));
  }
}
