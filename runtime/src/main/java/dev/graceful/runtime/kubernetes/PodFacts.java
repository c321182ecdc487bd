package dev.graceful.runtime.kubernetes;

import dev.graceful.runtime.sidecar.PodSidecars;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the runtime learns about its own pod at start.
 *
 * @param uid                 the pod's uid, to recognise its endpoints
 * @param labels              the pod's labels, to find the Services that select it again at the signal
 * @param terminationGrace    {@code spec.terminationGracePeriodSeconds}
 * @param services            Services whose selector matches the pod and that take pods out of their endpoints
 * @param notReadyServices    matching Services with {@code publishNotReadyAddresses}: their endpoints never flip
 * @param readinessGates      condition types the pod spec lists as readiness gates
 * @param sidecars            mesh proxies in the pod spec, and whether the pod runs to completion
 */
public record PodFacts(
    String uid,
    java.util.Map<String, String> labels,
    Optional<Duration> terminationGrace,
    List<String> services,
    List<String> notReadyServices,
    List<String> readinessGates,
    PodSidecars sidecars) {

  public PodFacts {
    labels = java.util.Map.copyOf(labels);
    services = List.copyOf(services);
    notReadyServices = List.copyOf(notReadyServices);
    readinessGates = List.copyOf(readinessGates);
  }
}
