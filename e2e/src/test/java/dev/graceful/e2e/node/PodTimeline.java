package dev.graceful.e2e.node;

import java.time.Instant;

/**
 * What happened to one pod on the node agent, for assertions and reports. Times are wall-clock instants.
 *
 * @param deleted          when the deletion was seen (the preStop hook, if any, runs from here; then SIGTERM)
 * @param logs             the container's output, kept after the container is removed
 * @param rssAtReadyKiB    the container process's resident memory (VmRSS) when its readiness probe first passed; null
 *                         where not measured (clusters other than the node agent's)
 * @param rssAtDeletionKiB the same when the pod's deletion was seen, before any preStop hook or signal: after serving
 *                         whatever load it had since Ready
 */
public record PodTimeline(String pod, String ip, Instant started, Instant ready, Instant deleted, Instant sigterm,
    Instant exited, Integer exitCode, boolean killed, String logs, Long rssAtReadyKiB, Long rssAtDeletionKiB) {

  /** A timeline without memory samples. */
  public PodTimeline(String pod, String ip, Instant started, Instant ready, Instant deleted, Instant sigterm,
      Instant exited, Integer exitCode, boolean killed, String logs) {
    this(pod, ip, started, ready, deleted, sigterm, exited, exitCode, killed, logs, null, null);
  }
}
