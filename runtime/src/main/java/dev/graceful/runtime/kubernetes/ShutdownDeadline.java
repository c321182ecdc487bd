package dev.graceful.runtime.kubernetes;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Where the shutdown budget comes from, most exact first: the pod's {@code deletionTimestamp} (the moment the
 * kubelet sends SIGKILL; time already spent in a preStop hook is thereby accounted for), else the grace period of
 * the deletion ({@code deletionGracePeriodSeconds}, e.g. {@code kubectl delete --grace-period=5}), else the
 * termination grace period learned at start, both counted from the signal, else the configured timeout. Each minus
 * the safety margin.
 *
 * @param budget time from the signal to the deadline
 * @param source {@code deletionTimestamp}, {@code deletionGracePeriodSeconds}, {@code terminationGracePeriodSeconds}
 *               or {@code configured}
 */
public record ShutdownDeadline(Duration budget, String source) {

  static ShutdownDeadline compute(Instant signalledAt, Optional<Instant> deletionTimestamp, Optional<Duration> deletionGrace,
      Optional<Duration> terminationGrace, Duration configured, Duration margin) {
    if (deletionTimestamp.isPresent()) {
      return new ShutdownDeadline(nonNegative(Duration.between(signalledAt, deletionTimestamp.get()).minus(margin)),
          "deletionTimestamp");
    }
    if (deletionGrace.isPresent()) {
      // Without the timestamp, time spent in a preStop hook is unknown: this errs late by that much.
      return new ShutdownDeadline(nonNegative(deletionGrace.get().minus(margin)), "deletionGracePeriodSeconds");
    }
    if (terminationGrace.isPresent()) {
      return new ShutdownDeadline(nonNegative(terminationGrace.get().minus(margin)), "terminationGracePeriodSeconds");
    }
    return new ShutdownDeadline(configured, "configured");
  }

  private static Duration nonNegative(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }
}
