package dev.graceful.runtime.sidecar;

import java.time.Duration;
import java.util.Optional;

/**
 * A classic sidecar gets SIGTERM together with the app. When it stops forwarding before the runtime's shutdown budget
 * is over, requests still arriving in the pre-drain wait and outbound calls made while draining fail. Names the fix
 * for the mesh; a native sidecar, which the kubelet stops after the app, needs none.
 */
final class DrainWarning {

  private DrainWarning() {
  }

  static Optional<String> check(MeshSidecar proxy, Duration budget) {
    if (proxy.nativeSidecar() || proxy.drain().forwardsFor().isEmpty()) {
      return Optional.empty();
    }
    Duration forwards = proxy.drain().forwardsFor().get();
    if (forwards.compareTo(budget) >= 0) {
      return Optional.empty();
    }
    long seconds = (budget.toMillis() + 999) / 1000;
    String fix = switch (proxy.mesh()) {
      case ISTIO -> "run it as a native sidecar (Kubernetes 1.29+: annotation sidecar.istio.io/nativeSidecar: \"true\"), "
          + "or hold it until the app has no connections (annotation proxy.istio.io/config: "
          + "'proxyMetadata: {EXIT_ON_ZERO_ACTIVE_CONNECTIONS: \"true\"}', or 'terminationDrainDuration: " + seconds + "s')";
      case LINKERD -> "run it as a native sidecar (Linkerd 2.15+ on Kubernetes 1.29+: annotation "
          + "config.alpha.linkerd.io/proxy-enable-native-sidecar: \"true\"), or hold it (annotation "
          + "config.alpha.linkerd.io/proxy-wait-before-exit-seconds: \"" + seconds + "\")";
      case CUSTOM -> "run it as a native sidecar, or make it wait for the app";
    };
    return Optional.of("sidecar " + proxy.describe() + " stops forwarding " + forwards.toMillis() + " ms after SIGTERM ("
        + proxy.drain().source() + "), but this runtime's shutdown may take " + budget.toMillis()
        + " ms: requests and outbound calls after that fail. Fix: " + fix);
  }
}
