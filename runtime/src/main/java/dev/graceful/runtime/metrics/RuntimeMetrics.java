package dev.graceful.runtime.metrics;

import dev.graceful.runtime.lifecycle.Lifecycle;
import dev.graceful.runtime.lifecycle.LifecycleState;
import dev.graceful.runtime.server.BoundServer;
import dev.graceful.runtime.server.ServerRegistry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The runtime's own meters, next to Vert.x's HTTP metrics in the same registry:
 * {@code graceful_requests_in_flight{server,kind}}, {@code graceful_connections_open{server,kind}} for every server on
 * the application's Vert.x (the runtime's under their names, the application's own under their addresses),
 * {@code graceful_lifecycle_state{state}} (1 for the current state) and
 * {@code graceful_shutdown_phase_seconds{phase}}.
 */
public final class RuntimeMetrics {

  private final MeterRegistry registry;
  private final Map<String, AtomicLong> phaseNanos = new ConcurrentHashMap<>();
  private final ServerRegistry servers;
  private final MultiGauge inFlight;
  private final MultiGauge connections;

  /** The request methods of RFC 9110 and PATCH: any other is counted as {@code OTHER}. */
  private static final java.util.Set<String> METHODS =
      java.util.Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  /**
   * The registry with its label values bounded, before any meter exists: Vert.x's own meters
   * ({@code GRACEFUL_VERTX_METRICS}) label requests with the method the client sent, and 20,000 made-up methods once
   * made 225,544 series and 58 MB of heap, kept for good.
   */
  public static <R extends MeterRegistry> R bounded(R registry) {
    registry.config().meterFilter(io.micrometer.core.instrument.config.MeterFilter.replaceTagValues("method",
        m -> METHODS.contains(m) ? m : "OTHER"));
    return registry;
  }

  public RuntimeMetrics(MeterRegistry registry, Lifecycle lifecycle, ServerRegistry servers) {
    this.registry = registry;
    this.servers = servers;
    this.inFlight = MultiGauge.builder("graceful.requests.in.flight").description("requests being answered").register(registry);
    this.connections = MultiGauge.builder("graceful.connections.open").description("open client connections").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("graceful.connections.refused", servers, ServerRegistry::refusedConnections)
        .description("connections closed on accept: the application's servers held GRACEFUL_MAX_CONNECTIONS").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("graceful.http.header.timeouts", servers, ServerRegistry::headerTimeouts)
        .description("HTTP/1.x connections closed: no complete request head within GRACEFUL_REQUEST_HEADER_TIMEOUT").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("graceful.http.ambiguous.framing", servers, ServerRegistry::ambiguousFraming)
        .description("requests answered 400: Content-Length with Transfer-Encoding, or a transfer coding other than chunked")
        .register(registry);
    Gauge.builder("graceful.connections.max", servers, ServerRegistry::maxConnections)
        .description("connections the application's servers may hold at once").register(registry);
    for (LifecycleState state : LifecycleState.values()) {
      Gauge.builder("graceful.lifecycle.state", lifecycle, l -> l.state() == state ? 1 : 0)
          .description("1 for the runtime's current lifecycle state, 0 for the others")
          .tag("state", state.name().toLowerCase())
          .register(registry);
    }
  }

  /**
   * Re-reads the servers, which applications open and close at any time: call before each scrape. A server stays
   * listed while it listens or still has connections.
   */
  public void refreshServers() {
    List<BoundServer> active = servers.servers().stream().filter(BoundServer::active).toList();
    inFlight.register(active.stream().map(s -> MultiGauge.Row.of(tags(s), s, BoundServer::inFlightRequests)).toList(), true);
    connections.register(active.stream().map(s -> MultiGauge.Row.of(tags(s), s, BoundServer::openConnections)).toList(), true);
  }

  private static Tags tags(BoundServer server) {
    return Tags.of("server", server.name(), "kind", server.kind());
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
