package dev.graceful.runtime.metrics;

import dev.graceful.runtime.lifecycle.Lifecycle;
import dev.graceful.runtime.lifecycle.LifecycleState;
import dev.graceful.runtime.server.ManagedServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The runtime's own meters, next to Vert.x's HTTP metrics in the same registry:
 * {@code graceful_requests_in_flight{server}}, {@code graceful_connections_open{server}},
 * {@code graceful_lifecycle_state{state}} (1 for the current state) and
 * {@code graceful_shutdown_phase_seconds{phase}}.
 */
public final class RuntimeMetrics {

  private final MeterRegistry registry;
  private final Map<String, AtomicLong> phaseNanos = new ConcurrentHashMap<>();

  public RuntimeMetrics(MeterRegistry registry, Lifecycle lifecycle) {
    this.registry = registry;
    for (LifecycleState state : LifecycleState.values()) {
      Gauge.builder("graceful.lifecycle.state", lifecycle, l -> l.state() == state ? 1 : 0)
          .description("1 for the runtime's current lifecycle state, 0 for the others")
          .tag("state", state.name().toLowerCase())
          .register(registry);
    }
  }

  public void bind(ManagedServer server) {
    Gauge.builder("graceful.requests.in.flight", server, ManagedServer::inFlightRequests)
        .description("requests being answered")
        .tags("server", server.name(), "kind", server.kind())
        .register(registry);
    Gauge.builder("graceful.connections.open", server, ManagedServer::openConnections)
        .description("open client connections")
        .tags("server", server.name(), "kind", server.kind())
        .register(registry);
  }

  public void recordPhase(String phase, Duration duration) {
    phaseNanos.computeIfAbsent(phase, p -> {
      AtomicLong nanos = new AtomicLong();
      Gauge.builder("graceful.shutdown.phase", nanos, n -> n.get() / 1e9)
          .description("duration of the last shutdown's phase")
          .baseUnit("seconds")
          .tag("phase", p)
          .register(registry);
      return nanos;
    }).set(duration.toNanos());
  }
}
