package dev.graceful.runtime.kubernetes;

import dev.graceful.runtime.shutdown.PhaseResult;
import dev.graceful.runtime.shutdown.ShutdownBudget;
import dev.graceful.runtime.shutdown.ShutdownPhase;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Reads the pod again at the signal: its deletion timestamp is the SIGKILL deadline, so the whole shutdown is
 * re-based on it (minus the safety margin). When the pod cannot be read, the grace period learned at start
 * stands in, else the configured timeout.
 */
final class PodDeadlinePhase implements ShutdownPhase {

  private static final Logger LOG = Logger.getLogger(PodDeadlinePhase.class.getName());

  private final OwnPod pod;
  private final Optional<Duration> terminationGrace;
  private final Duration configured;
  private final Duration margin;
  private final Instant signalledAt;
  private final PodEvents events;
  private final FaultLog faults;

  PodDeadlinePhase(OwnPod pod, Optional<Duration> terminationGrace, Duration configured, Duration margin,
      Instant signalledAt, PodEvents events, FaultLog faults) {
    this.pod = pod;
    this.terminationGrace = terminationGrace;
    this.configured = configured;
    this.margin = margin;
    this.signalledAt = signalledAt;
    this.events = events;
    this.faults = faults;
  }

  @Override
  public String name() {
    return "deadline";
  }

  @Override
  public Future<PhaseResult> run(ShutdownBudget budget) {
    return pod.readDeletion()
        .map(deletion -> apply(budget, deletion.map(OwnPod.Deletion::deletionTimestamp), null))
        .recover(e -> {
          faults.report(LOG, e, "cannot read the pod's deletion deadline (" + e.getMessage() + "); using "
              + (terminationGrace.isPresent() ? "its termination grace period" : "GRACEFUL_SHUTDOWN_TIMEOUT"));
          return Future.succeededFuture(apply(budget, Optional.empty(), e.getMessage()));
        });
  }

  private PhaseResult apply(ShutdownBudget budget, Optional<Instant> deletionTimestamp, String error) {
    ShutdownDeadline deadline = ShutdownDeadline.compute(signalledAt, deletionTimestamp, terminationGrace, configured, margin);
    budget.setTotal(deadline.budget());
    String message = "shutdown started: budget " + deadline.budget().toMillis() + " ms (from " + deadline.source() + ")";
    LOG.info(message);
    events.normal("ShutdownStarted", message);
    JsonObject details = new JsonObject().put("budgetMs", deadline.budget().toMillis()).put("source", deadline.source());
    deletionTimestamp.ifPresent(t -> details.put("deletionTimestamp", t.toString()));
    if (error != null) {
      details.put("error", error);
    }
    return PhaseResult.completed(details);
  }
}
