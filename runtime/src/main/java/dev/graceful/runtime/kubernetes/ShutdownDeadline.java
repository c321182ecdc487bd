package dev.graceful.runtime.kubernetes;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Where the shutdown budget comes from, each minus the safety margin:
 * <ul>
 *   <li>the pod is being deleted: its {@code deletionTimestamp} (the moment the kubelet sends SIGKILL; time already
 *   spent in a preStop hook is thereby accounted for), capped by the deletion's grace period counted from the signal
 *   ({@code deletionGracePeriodSeconds}, e.g. {@code kubectl delete --grace-period=5}), since the timestamp is the API
 *   server's clock and the kubelet times SIGKILL on its own: a node clock behind the API server's would otherwise put
 *   the cutoff after SIGKILL. A gap of more than a second in that direction is reported as {@link #clockSkew()};</li>
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
   */
  static ShutdownDeadline compute(Instant signalledAt, boolean notBeingDeleted, Optional<Instant> deletionTimestamp,
      Optional<Duration> deletionGrace, Optional<Duration> terminationGrace, Duration configured, Duration margin) {
    if (deletionTimestamp.isPresent()) {
      Duration fromTimestamp = Duration.between(signalledAt, deletionTimestamp.get());
      if (deletionGrace.isPresent() && fromTimestamp.compareTo(deletionGrace.get()) > 0) {
        Duration skew = fromTimestamp.minus(deletionGrace.get());
        return new ShutdownDeadline(nonNegative(deletionGrace.get().minus(margin)), "deletionGracePeriodSeconds",
            skew.compareTo(SKEW_TOLERANCE) > 0 ? Optional.of(skew) : Optional.empty());
      }
      return new ShutdownDeadline(nonNegative(fromTimestamp.minus(margin)), "deletionTimestamp", Optional.empty());
    }
    if (deletionGrace.isPresent()) {
      // Without the timestamp, time spent in a preStop hook is unknown: this errs late by that much.
      return new ShutdownDeadline(nonNegative(deletionGrace.get().minus(margin)), "deletionGracePeriodSeconds", Optional.empty());
    }
    if (terminationGrace.isPresent()) {
      Duration grace = nonNegative(terminationGrace.get().minus(margin));
      if (!notBeingDeleted || grace.compareTo(configured) < 0) {
        return new ShutdownDeadline(grace, "terminationGracePeriodSeconds", Optional.empty());
      }
    }
    return new ShutdownDeadline(configured, "configured", Optional.empty());
  }

  private static Duration nonNegative(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }
}
