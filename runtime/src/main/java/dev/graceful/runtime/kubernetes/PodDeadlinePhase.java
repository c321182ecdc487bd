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
 * Reads the pod again at the signal: its deletion says when SIGKILL comes (the deletion's grace period after the
 * signal, or its deletion timestamp when a preStop hook may have run first: {@link KillTimer}), so the whole shutdown
 * is re-based on it (minus the safety margin). When the pod cannot be read, the grace period learned at start, else the
 * configured timeout ({@link ShutdownDeadline}).
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
        .map(deletion -> {
          Optional<String> malformed = deletion.flatMap(OwnPod.Deletion::malformed);
          PhaseResult result = apply(budget, true, deletion, malformed.orElse(null));
          malformed.ifPresent(m -> faults.report(LOG, m, "the pod has a " + m + "; using " + source(result)));
          return result;
        })
        .recover(e -> {
          PhaseResult result = apply(budget, false, Optional.empty(), e.getMessage());
          faults.report(LOG, e, "cannot read the pod's deletion deadline (" + e.getMessage() + "); using " + source(result));
          return Future.succeededFuture(result);
        });
  }

  /** Why the kill is timed as it is, for the log line. */
  private static String explain(OwnPod.Deletion deletion, ShutdownDeadline deadline) {
    if ("deletionTimestamp".equals(deadline.source())) {
      return ", the earliest the kill can come: a preStop hook or a sidecar may have taken time before the signal";
    }
    if (deletion.killTimedFromSignal() && deadline.clockSkew().isEmpty()) {
      return ", counted from the signal: the kubelet times SIGKILL from SIGTERM, as "
          + deletion.container().map(c -> "container '" + c + "' has no preStop hook").orElse("no container has a preStop hook");
    }
    return "";
  }

  private static String source(PhaseResult result) {
    String source = result.details().getString("source");
    return "configured".equals(source) ? "GRACEFUL_SHUTDOWN_TIMEOUT" : source;
  }

  private PhaseResult apply(ShutdownBudget budget, boolean podRead, Optional<OwnPod.Deletion> deletion, String error) {
    Optional<Instant> deletionTimestamp = deletion.flatMap(OwnPod.Deletion::timestamp);
    boolean fromSignal = deletion.map(OwnPod.Deletion::killTimedFromSignal).orElse(false);
    ShutdownDeadline deadline = ShutdownDeadline.compute(signalledAt, podRead && deletion.isEmpty(), deletionTimestamp,
        deletion.flatMap(OwnPod.Deletion::gracePeriod), fromSignal, terminationGrace, configured, margin);
    deadline.clockSkew().ifPresent(skew -> LOG.warning("the pod's deletionTimestamp is " + skew.toMillis()
        + " ms later than its deletionGracePeriodSeconds allows: this node's clock is behind the API server's;"
        + " using the grace period, counted from the signal"));
    budget.setTotal(deadline.budget());
    String message = "shutdown started: budget " + deadline.budget().toMillis() + " ms (from " + deadline.source()
        + (deletion.isPresent() ? explain(deletion.get(), deadline) : "") + ")";
    LOG.info(message);
    events.normal("ShutdownStarted", message);
    JsonObject details = new JsonObject().put("budgetMs", deadline.budget().toMillis()).put("source", deadline.source());
    deletionTimestamp.ifPresent(t -> details.put("deletionTimestamp", t.toString()));
    deletion.ifPresent(d -> details.put("killTimer", d.killTimedFromSignal() ? "signal" : "deletion"));
    deletion.flatMap(OwnPod.Deletion::container).ifPresent(c -> details.put("container", c));
    deadline.clockSkew().ifPresent(skew -> details.put("clockSkewMs", skew.toMillis()));
    if (error != null) {
      details.put("error", error);
    }
    return PhaseResult.completed(details);
  }
}
