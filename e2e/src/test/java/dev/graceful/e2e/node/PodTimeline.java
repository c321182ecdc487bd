package dev.graceful.e2e.node;

import java.time.Instant;

/**
 * What happened to one pod on the node agent, for assertions and reports. Times are wall-clock instants.
 *
 * @param deleted when the deletion was seen (the preStop hook, if any, runs from here; then SIGTERM)
 * @param logs    the container's output, kept after the container is removed
 */
public record PodTimeline(String pod, String ip, Instant started, Instant ready, Instant deleted, Instant sigterm,
    Instant exited, Integer exitCode, boolean killed, String logs) {
}
