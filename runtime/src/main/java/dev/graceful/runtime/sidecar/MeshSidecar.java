package dev.graceful.runtime.sidecar;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * A service-mesh proxy found in the pod (or named by the settings).
 *
 * @param mesh          which mesh injected it
 * @param container     the container's name, e.g. {@code istio-proxy}
 * @param nativeSidecar an init container with {@code restartPolicy: Always}: the kubelet starts it before the app and
 *                      stops it after; false for a classic sidecar, which gets SIGTERM together with the app
 * @param readyUrl      answers 2xx once the proxy forwards traffic
 * @param quitUrl       a POST here makes the proxy exit; empty when unknown
 * @param drain         how long the proxy keeps forwarding after SIGTERM
 */
public record MeshSidecar(Mesh mesh, String container, boolean nativeSidecar, URI readyUrl, Optional<URI> quitUrl, Drain drain) {

  /** The meshes the runtime knows; CUSTOM is a proxy known only by the URLs in the settings. */
  public enum Mesh {
    ISTIO, LINKERD, CUSTOM
  }

  /**
   * How long a proxy keeps forwarding new requests and connections after its SIGTERM.
   *
   * @param forwardsFor the time; empty when it holds on until the app has no connections left, or when unknown
   * @param source      where the figure comes from, for the log (an annotation, an env variable, the mesh default)
   */
  public record Drain(Optional<Duration> forwardsFor, String source) {

    static Drain fixed(Duration time, String source) {
      return new Drain(Optional.of(time), source);
    }

    static Drain untilIdle(String source) {
      return new Drain(Optional.empty(), source);
    }
  }

  public MeshSidecar withUrls(Optional<URI> ready, Optional<URI> quit) {
    return new MeshSidecar(mesh, container, nativeSidecar, ready.orElse(readyUrl), quit.or(() -> quitUrl), drain);
  }

  /** For logs: {@code istio-proxy (Istio, classic sidecar)}. */
  public String describe() {
    String name = switch (mesh) {
      case ISTIO -> "Istio";
      case LINKERD -> "Linkerd";
      case CUSTOM -> "configured";
    };
    return container + " (" + name + ", " + (nativeSidecar ? "native sidecar" : "classic sidecar") + ")";
  }
}
