package dev.graceful.runtime;

import dev.graceful.runtime.config.RuntimeConfig;
import dev.graceful.runtime.kubernetes.KubernetesIntegration;
import dev.graceful.runtime.lifecycle.Lifecycle;
import dev.graceful.runtime.metrics.RuntimeMetrics;
import dev.graceful.runtime.probes.HealthProbes;
import dev.graceful.runtime.probes.ManagementServer;
import dev.graceful.runtime.server.ManagedServer;
import dev.graceful.runtime.server.ServerRegistry;
import dev.graceful.runtime.sidecar.SidecarSupport;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What one runtime is made of, shared by its start and its shutdown.
 *
 * @param vertx   the application's Vert.x: servers and verticles
 * @param control the runtime's own small Vert.x: probes, metrics, shutdown timers, so busy application loops cannot
 *                delay them
 * @param servers the runtime's own servers, a subset of {@code units}
 * @param units   everything deployed at start, servers first
 */
record RuntimeParts(RuntimeConfig config, Lifecycle lifecycle, Vertx vertx, Vertx control, HealthProbes probes,
    ManagementServer management, RuntimeMetrics metrics, ServerRegistry serverRegistry,
    Optional<KubernetesIntegration> kubernetes, SidecarSupport sidecars, List<ManagedServer> servers,
    List<Startup.Unit> units) {

  /** All the time the process takes past the shutdown deadline, off Kubernetes: the report, the proxy's quit, closing. */
  static final Duration PAST_DEADLINE_GRACE = Duration.ofSeconds(1);

  /**
   * The time the process may take past the shutdown deadline (the last report and events, the proxy's quit,
   * closing). In a pod the deadline is the kubelet's SIGKILL minus {@code GRACEFUL_DEADLINE_MARGIN}: half the margin,
   * so the other half is left for the JVM's own exit and the process is gone before SIGKILL, forced or not.
   */
  Duration pastDeadlineGrace() {
    return kubernetes.isPresent() ? config.kubernetes().deadlineMargin().dividedBy(2) : PAST_DEADLINE_GRACE;
  }

  /** True when the application has verticles of its own besides the runtime's servers. */
  boolean hasOwnVerticles() {
    return units.size() > servers.size();
  }
}
