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

  /** True when the application has verticles of its own besides the runtime's servers. */
  boolean hasOwnVerticles() {
    return units.size() > servers.size();
  }
}
