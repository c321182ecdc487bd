package dev.graceful.runtime.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything the runtime reads from its environment, parsed and validated once at start.
 * Build it with {@link ConfigLoader}; every field is final and already checked.
 *
 * @param host              address the HTTP and gRPC servers bind to
 * @param httpPort          port of the HTTP server (0 picks a free port)
 * @param grpcPort          port of the gRPC server, HTTP/2 (0 picks a free port)
 * @param managementPort    port of the probes and metrics server (0 picks a free port)
 * @param shutdownTimeout   total budget from the first signal to exit
 * @param drainDelay        pre-drain wait: servers keep serving while load balancers catch up
 * @param stopTimeout       share of the budget kept for stopping verticles after the drain
 * @param startTimeout      how long every server and readiness check may take to come up
 * @param verticles         user classes to run instead of the demo ({@code Deployable} or {@code RuntimeModule})
 * @param grpcTls           certificate and key for gRPC over TLS with ALPN; empty means h2c
 * @param kubernetes        how to use the Kubernetes API in a pod
 * @param sidecar           how to wait for, and stop, a service-mesh proxy in the pod
 * @param jvmMetrics        whether /metrics has Micrometer's JVM and process meters
 * @param vertxMetrics      whether Vert.x's own metrics SPI records per-request meters (off: it costs throughput)
 * @param limits            protections every server gets: idle and header timeouts, HTTP/2 streams, connections
 * @param grpcReflection    whether the runtime's gRPC servers serve reflection
 * @param logging           the process's log format and level (applied by {@code Main} only)
 */
public record RuntimeConfig(
    String host,
    int httpPort,
    int grpcPort,
    int managementPort,
    Duration shutdownTimeout,
    Duration drainDelay,
    Duration stopTimeout,
    Duration startTimeout,
    List<Class<?>> verticles,
    Optional<TlsFiles> grpcTls,
    KubernetesSettings kubernetes,
    SidecarSettings sidecar,
    boolean jvmMetrics,
    boolean vertxMetrics,
    ServerLimits limits,
    boolean grpcReflection,
    LogSettings logging) {

  public RuntimeConfig {
    verticles = List.copyOf(verticles);
  }

  /** PEM files for a TLS listener. */
  public record TlsFiles(Path certificate, Path privateKey) {
  }

  /** True when the user named their own verticles, so the demo must not run. */
  public boolean runsUserVerticles() {
    return !verticles.isEmpty();
  }
}
