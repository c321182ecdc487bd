package dev.graceful.runtime.config;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * How the runtime works with a service-mesh proxy (Istio's {@code istio-proxy}, Linkerd's {@code linkerd-proxy}) in
 * its pod.
 *
 * @param mode               AUTO: detect the proxy from the pod spec; OFF: never wait for or talk to a proxy
 * @param readyUrl           the proxy's readiness URL, instead of the detected mesh's; outside Kubernetes, setting it
 *                           is what turns the wait on
 * @param readyTimeout       how long the start may wait for the proxy to report ready
 * @param waitBeforeVerticles true: servers and verticles start only once the proxy is ready (for verticles that call
 *                           out in {@code start}); false: they start in parallel and only readiness waits
 * @param quit               when to ask the proxy to exit as the runtime exits
 * @param quitUrl            the URL to POST to, instead of the detected mesh's
 * @param meshAnnotations    the pod's mesh-injection annotations, when the downward API passes them in
 */
public record SidecarSettings(
    Mode mode,
    Optional<URI> readyUrl,
    Duration readyTimeout,
    boolean waitBeforeVerticles,
    Quit quit,
    Optional<URI> quitUrl,
    MeshAnnotations meshAnnotations) {

  /** Whether to look for a proxy at all. */
  public enum Mode {
    AUTO, OFF
  }

  /** When to ask the proxy to exit. */
  public enum Quit {
    /** When the pod runs to completion (a Job's, or restartPolicy Never/OnFailure) and the proxy is a classic sidecar. */
    AUTO,
    /** At every exit, when there is a proxy to ask. */
    ALWAYS,
    /** Never. */
    NEVER
  }

  /** No proxy: the defaults outside a mesh. */
  public static SidecarSettings off() {
    return new SidecarSettings(Mode.OFF, Optional.empty(), Duration.ofSeconds(60), false, Quit.NEVER, Optional.empty(), MeshAnnotations.unknown());
  }
}
