package dev.graceful.runtime.sidecar;

import dev.graceful.runtime.sidecar.MeshSidecar.AtTermination;
import java.time.Duration;
import java.util.Optional;

/**
 * Whether the proxy keeps forwarding, in both directions, for as long as the runtime's shutdown may take. A classic
 * sidecar gets SIGTERM with the app; if it stops before the runtime is done, requests still routed to the pod during
 * the endpoint wait fail, and so does every outbound call after that (the verticles' stop included). The warning says
 * which requests fail from when, and names a configuration of the mesh that is safe.
 */
final class DrainWarning {

  private DrainWarning() {
  }

  static Optional<String> check(MeshSidecar proxy, Duration budget) {
    AtTermination t = proxy.atTermination();
    if (t.covers(budget)) {
      return Optional.empty();
    }
    String what = switch (t.kind()) {
      case FIXED -> t.forwardsFor().isZero()
          ? "stops accepting inbound and outbound connections at SIGTERM (" + t.source() + ")"
          : "stops forwarding in both directions " + t.forwardsFor().toMillis() + " ms after SIGTERM (" + t.source() + ")";
      case UNTIL_IDLE -> "may exit at the first second with no connection, inbound and outbound counted together, from "
          + t.forwardsFor().toMillis() + " ms after SIGTERM (" + t.source() + "): a quiet second while the endpoints"
          + " still route to the pod is enough";
      case AFTER_APP, UNKNOWN -> throw new IllegalStateException("covered: " + t.kind());
    };
    return Optional.of("sidecar " + proxy.describe() + " " + what + ", but this runtime's shutdown may take "
        + budget.toMillis() + " ms (its endpoint wait first, then the drain): from then on, requests still routed to the"
        + " pod and every outbound call (the verticles' stop included) fail. Safe: " + safeConfiguration(proxy.mesh(), budget));
  }

  /** A configuration of the mesh under which the proxy outlasts the runtime's shutdown. */
  static String safeConfiguration(MeshSidecar.Mesh mesh, Duration budget) {
    long seconds = (budget.toMillis() + 999) / 1000;
    return switch (mesh) {
      case ISTIO -> "a native sidecar (Istio 1.24+ on Kubernetes 1.29+: annotation sidecar.istio.io/nativeSidecar:"
          + " \"true\"), or annotation proxy.istio.io/config with terminationDrainDuration of the pod's whole grace period"
          + " (over " + seconds + "s: the runtime's last report comes past its deadline) and without"
          + " EXIT_ON_ZERO_ACTIVE_CONNECTIONS (with it, terminationDrainDuration is ignored)";
      case LINKERD -> "a native sidecar (Linkerd 2.15+ on Kubernetes 1.29+: annotation"
          + " config.linkerd.io/proxy-enable-native-sidecar: \"true\", the default from Linkerd 2.20), or annotation"
          + " config.alpha.linkerd.io/proxy-wait-before-exit-seconds set to terminationGracePeriodSeconds - 1 (Linkerd"
          + " requires less than the grace period) with GRACEFUL_DEADLINE_MARGIN=2s, so the runtime is done before the"
          + " proxy's SIGTERM";
      case CUSTOM -> "a native sidecar, or a proxy that waits for the app";
    };
  }

  /** One line on what the proxy does at termination, for a proxy that needs no warning. */
  static String describe(MeshSidecar proxy) {
    AtTermination t = proxy.atTermination();
    return switch (t.kind()) {
      case AFTER_APP -> proxy.container() + " is a native sidecar: the kubelet stops it after the runtime"
          + (t.inboundDrainsAtOnce() ? "; its inbound connections are asked to close from the start of the termination"
              + " (requests still served, clients reconnect)" : "");
      case FIXED -> proxy.container() + " forwards in both directions for " + t.forwardsFor().toMillis()
          + " ms after SIGTERM (" + t.source() + ")";
      case UNTIL_IDLE -> proxy.container() + " forwards for at least " + t.forwardsFor().toMillis()
          + " ms after SIGTERM, then until a second with no connection (" + t.source() + ")";
      case UNKNOWN -> proxy.container() + ": what it does at termination is not known";
    };
  }
}
