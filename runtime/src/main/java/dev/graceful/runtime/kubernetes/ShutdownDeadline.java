package dev.graceful.runtime.kubernetes;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Where the shutdown budget comes from, each minus the safety margin:
 * <ul>
 *   <li>the pod is being deleted and the kubelet times SIGKILL from its SIGTERM (no preStop hook on this container,
 *   {@link KillTimer}): the deletion's grace period ({@code deletionGracePeriodSeconds}, e.g.
 *   {@code kubectl delete --grace-period=5}) counted from the signal, less {@link KillTimer#SIGNAL_DELIVERY} for the
 *   signal's way to the JVM's handler. The {@code deletionTimestamp} would be earlier
 *   by however long the kubelet took to act on the deletion, seconds on a busy node;</li>
 *   <li>it is being deleted and a preStop hook ran (or may have) before the signal: its {@code deletionTimestamp}, the
 *   earliest the kill can come (the hook started at the deletion at the earliest, and its time is taken off the grace
 *   period), but never less than the 2 s the kubelet leaves after SIGTERM (or the grace period, if shorter); capped by the grace period counted
 *   from the signal, since the timestamp is the API server's clock and the kubelet times SIGKILL on its own: a node
 *   clock behind the API server's would otherwise put the cutoff after SIGKILL. A gap of more than a second in that
 *   direction is reported as {@link #clockSkew()};</li>
 *   <li>it is being deleted but the timestamp is unreadable: the grace period alone;</li>
 *   <li>it is not being deleted (a liveness restart, a node's graceful shutdown): the configured timeout, capped by
 *   the pod's termination grace period, whichever is shorter, since the kill may come sooner than the pod's spec says;</li>
 *   <li>it could not be read at all: the termination grace period learned at start (it is most likely being deleted),
 *   else the configured timeout.</li>
 * </ul>
 *
 * @param budget    time from the signal to the deadline
 * @param source    {@code deletionTimestamp}, {@code deletionGracePeriodSeconds}, {@code terminationGracePeriodSeconds}
 *                  or {@code configured}
 * @param clockSkew how far the node's clock seems behind the API server's, when more than a second
 */
public record ShutdownDeadline(Duration budget, String source, Optional<Duration> clockSkew) {

  private static final Duration SKEW_TOLERANCE = Duration.ofSeconds(1);

  /**
   * @param notBeingDeleted the pod was read at the signal and shows no deletion at all (a malformed timestamp is a
   *                        deletion; a pod that could not be read may well be one)
   * @param killTimedFromSignal the kubelet's grace period starts at its SIGTERM ({@link KillTimer#startsAtSignal})
   */
  static ShutdownDeadline compute(Instant signalledAt, boolean notBeingDeleted, Optional<Instant> deletionTimestamp,
      Optional<Duration> deletionGrace, boolean killTimedFromSignal, Optional<Duration> terminationGrace,
      Duration configured, Duration margin) {
    if (deletionGrace.isPresent() && (killTimedFromSignal || deletionTimestamp.isEmpty())) {
      // Without the timestamp and with a preStop hook, the hook's time is unknown: this errs late by that much.
      return new ShutdownDeadline(fromSignal(deletionGrace.get(), margin), "deletionGracePeriodSeconds", Optional.empty());
    }
    if (deletionTimestamp.isPresent()) {
      Duration fromTimestamp = Duration.between(signalledAt, deletionTimestamp.get());
      if (deletionGrace.isPresent() && fromTimestamp.compareTo(deletionGrace.get()) > 0) {
        Duration skew = fromTimestamp.minus(deletionGrace.get());
        return new ShutdownDeadline(fromSignal(deletionGrace.get(), margin), "deletionGracePeriodSeconds",
            skew.compareTo(SKEW_TOLERANCE) > 0 ? Optional.of(skew) : Optional.empty());
      }
      // A hook that used up the grace period still leaves the kubelet's stop window after SIGTERM (kubelets that let
      // the grace period override it leave the whole grace period, which is longer).
      Duration floor = deletionGrace.map(g -> min(g, KillTimer.MINIMUM_STOP_WINDOW)).orElse(Duration.ZERO);
      return new ShutdownDeadline(nonNegative(max(fromTimestamp, floor).minus(margin)), "deletionTimestamp", Optional.empty());
    }
    if (terminationGrace.isPresent()) {
      Duration grace = nonNegative(terminationGrace.get().minus(margin));
      if (!notBeingDeleted || grace.compareTo(configured) < 0) {
        return new ShutdownDeadline(grace, "terminationGracePeriodSeconds", Optional.empty());
      }
    }
    return new ShutdownDeadline(configured, "configured", Optional.empty());
  }

  /** A grace period the kubelet counts from its SIGTERM, as a budget from the moment the JVM took the signal. */
  private static Duration fromSignal(Duration grace, Duration margin) {
    return nonNegative(grace.minus(margin).minus(KillTimer.SIGNAL_DELIVERY));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static Duration nonNegative(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }
}
