package dev.graceful.runtime.config;

import java.util.Arrays;
import java.util.Optional;

/** Every setting the runtime understands, with its default and a one-line description for the docs. */
public enum Setting {
  HOST("GRACEFUL_HOST", "0.0.0.0", "address the HTTP and gRPC servers bind to"),
  HTTP_PORT("GRACEFUL_HTTP_PORT", "8080", "HTTP server port (0 = any free port)"),
  GRPC_PORT("GRACEFUL_GRPC_PORT", "9090", "gRPC server port, HTTP/2 (0 = any free port)"),
  MANAGEMENT_PORT("GRACEFUL_MANAGEMENT_PORT", "9000", "probes and metrics port (0 = any free port)"),
  SHUTDOWN_TIMEOUT("GRACEFUL_SHUTDOWN_TIMEOUT", "25s", "total budget from the first signal to exit (1s to 24h)"),
  DRAIN_DELAY("GRACEFUL_DRAIN_DELAY", "5s", "pre-drain wait while load balancers stop sending traffic (0 to 1h)"),
  STOP_TIMEOUT("GRACEFUL_STOP_TIMEOUT", "5s", "part of the budget kept for stopping verticles after the drain (0 to 1h)"),
  START_TIMEOUT("GRACEFUL_START_TIMEOUT", "60s", "time allowed for all servers and readiness checks to come up (1s to 24h)"),
  VERTICLES("GRACEFUL_VERTICLES", "", "comma-separated classes to run instead of the demo"),
  GRPC_TLS_CERT("GRACEFUL_GRPC_TLS_CERT", "", "PEM certificate chain: turns on TLS with ALPN for gRPC"),
  GRPC_TLS_KEY("GRACEFUL_GRPC_TLS_KEY", "", "PEM private key for GRACEFUL_GRPC_TLS_CERT"),
  CONFIG_FILE("GRACEFUL_CONFIG_FILE", "", "properties file with any of these keys (a regular file of at most 1 MiB); the environment wins"),
  KUBERNETES("GRACEFUL_KUBERNETES", "auto", "auto: use the Kubernetes API when in a pod; true: require it; false: never"),
  ENDPOINT_WAIT_SHARE("GRACEFUL_ENDPOINT_WAIT_SHARE", "50%", "largest share of the budget the endpoint wait may take"),
  PROPAGATION_DELAY("GRACEFUL_PROPAGATION_DELAY", "2s", "wait after the endpoints show the pod gone, for kube-proxy and ingresses (0 to 10m)"),
  DEADLINE_MARGIN("GRACEFUL_DEADLINE_MARGIN", "500ms", "kept back from the pod's SIGKILL deadline; the process uses half of it past its deadline (last report, Events, close) and leaves the other half to the JVM's exit (100ms to 1m)"),
  READINESS_GATE("GRACEFUL_READINESS_GATE", "", "pod condition type to set True when ready, False at SIGTERM"),
  KUBERNETES_TIMEOUT("GRACEFUL_KUBERNETES_TIMEOUT", "2s", "bound on each call to the Kubernetes API (100ms to 5m)"),
  JVM_METRICS("GRACEFUL_JVM_METRICS", "true", "true: JVM and process meters (jvm_*, process_*: memory, GC, threads, classes, CPU, uptime, open files) in /metrics"),
  VERTX_METRICS("GRACEFUL_VERTX_METRICS", "false", "true: also record Vert.x's own per-request meters (vertx_*) in /metrics, at a cost in throughput"),
  SIDECAR("GRACEFUL_SIDECAR", "auto", "auto: detect a mesh proxy (Istio, Linkerd) from the pod spec; off: never wait for or call one"),
  SIDECAR_READY_URL("GRACEFUL_SIDECAR_READY_URL", "", "proxy readiness URL instead of the detected mesh's; outside Kubernetes, setting it turns the wait on"),
  SIDECAR_READY_TIMEOUT("GRACEFUL_SIDECAR_READY_TIMEOUT", "60s", "how long the start waits for the proxy to report ready, then the start fails (100ms to 1h)"),
  SIDECAR_WAIT_BEFORE_VERTICLES("GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES", "false", "true: start servers and verticles only once the proxy is ready; false: only readiness waits"),
  SIDECAR_QUIT("GRACEFUL_SIDECAR_QUIT", "auto", "ask the proxy to exit when the runtime exits: auto (run-to-completion pods with a classic sidecar), always, never"),
  SIDECAR_QUIT_URL("GRACEFUL_SIDECAR_QUIT_URL", "", "URL to POST to at exit instead of the detected mesh's"),
  GRPC_REFLECTION("GRACEFUL_GRPC_REFLECTION", "true", "serve gRPC reflection on the runtime's gRPC servers (what grpcurl lists); false: a service's schema stays private"),
  IDLE_TIMEOUT("GRACEFUL_IDLE_TIMEOUT", "65m", "a connection to any server of the application with no traffic for this long is closed; keep it above the idle timeout of every pool that connects to the pod (Envoy's and Istio's: 1h) (1s to 24h)"),
  MANAGEMENT_IDLE_TIMEOUT("GRACEFUL_MANAGEMENT_IDLE_TIMEOUT", "2m", "the same on the management port (1s to 1h)"),
  REQUEST_HEADER_TIMEOUT("GRACEFUL_REQUEST_HEADER_TIMEOUT", "10s", "an HTTP/1.x request head, or a TLS handshake, not complete this long after its first byte closes its connection (1s to 10m)"),
  HTTP2_MAX_CONCURRENT_STREAMS("GRACEFUL_HTTP2_MAX_CONCURRENT_STREAMS", "100", "streams one client may have open on one HTTP/2 connection of the runtime's servers, enforced from its first frame (1 to 10000)"),
  MAX_CONNECTIONS("GRACEFUL_MAX_CONNECTIONS", "auto", "connections the application's servers hold at once; more are closed on accept. auto: the file-descriptor limit less a reserve for probes, the API and files (1 to 1000000)"),
  LOG_FORMAT("GRACEFUL_LOG_FORMAT", "text", "text: one line per record for people; json: one JSON object per line (Elastic Common Schema), stray output lines included"),
  LOG_LEVEL("GRACEFUL_LOG_LEVEL", "info", "least severe level written, for every logger: error, warn, info, debug, trace (or java.util.logging's names), off");

  private final String key;
  private final String defaultValue;
  private final String description;

  Setting(String key, String defaultValue, String description) {
    this.key = key;
    this.defaultValue = defaultValue;
    this.description = description;
  }

  public String key() {
    return key;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  public static Optional<Setting> byKey(String key) {
    return Arrays.stream(values()).filter(s -> s.key.equals(key)).findFirst();
  }
}
