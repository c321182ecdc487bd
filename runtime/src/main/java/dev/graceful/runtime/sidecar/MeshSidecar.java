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
 * @param atTermination what the proxy does once the pod terminates, in both directions
 */
public record MeshSidecar(Mesh mesh, String container, boolean nativeSidecar, URI readyUrl, Optional<URI> quitUrl,
    AtTermination atTermination) {

  /** The meshes the runtime knows; CUSTOM is a proxy known only by the URLs in the settings. */
  public enum Mesh {
    ISTIO, LINKERD, CUSTOM
  }

  /**
   * What a proxy does once its pod terminates, measured from the app's SIGTERM (which a classic sidecar gets at the
   * same moment), for requests coming in through it and calls the app makes out through it.
   *
   * @param kind                how it ends
   * @param forwardsFor         FIXED: both directions work this long, then not at all; UNTIL_IDLE: at least this long;
   *                            zero for the others
   * @param inboundDrainsAtOnce inbound connections are asked to close from the start (HTTP/1.1 {@code Connection:
   *                            close}, HTTP/2 GOAWAY): requests are still forwarded, clients reconnect for the next
   * @param source              what the figure comes from (an annotation, an env variable, the mesh's default), for logs
   */
  public record AtTermination(Kind kind, Duration forwardsFor, boolean inboundDrainsAtOnce, String source) {

    /** The ways a proxy ends. */
    public enum Kind {
      /** Forwards in both directions for {@code forwardsFor}, then stops (killed, or stops accepting). */
      FIXED,
      /** Forwards for at least {@code forwardsFor}, then exits at the first second with no connection in either direction. */
      UNTIL_IDLE,
      /** A native sidecar: the kubelet stops it only after the app has exited. */
      AFTER_APP,
      /** A proxy known only by the URLs in the settings. */
      UNKNOWN
    }

    static AtTermination fixed(Duration forwardsFor, boolean inboundDrainsAtOnce, String source) {
      return new AtTermination(Kind.FIXED, forwardsFor, inboundDrainsAtOnce, source);
    }

    static AtTermination untilIdle(Duration atLeast, String source) {
      return new AtTermination(Kind.UNTIL_IDLE, atLeast, true, source);
    }

    static AtTermination afterApp(boolean inboundDrainsAtOnce, String source) {
      return new AtTermination(Kind.AFTER_APP, Duration.ZERO, inboundDrainsAtOnce, source);
    }

    static AtTermination unknown() {
      return new AtTermination(Kind.UNKNOWN, Duration.ZERO, false, "unknown");
    }

    /** Whether both directions are sure to work for {@code budget} after the app's SIGTERM. */
    boolean covers(Duration budget) {
      return switch (kind) {
        case AFTER_APP, UNKNOWN -> true;
        case FIXED, UNTIL_IDLE -> forwardsFor.compareTo(budget) >= 0;
      };
    }
  }

  public MeshSidecar withUrls(Optional<URI> ready, Optional<URI> quit) {
    return new MeshSidecar(mesh, container, nativeSidecar, ready.orElse(readyUrl), quit.or(() -> quitUrl), atTermination);
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
