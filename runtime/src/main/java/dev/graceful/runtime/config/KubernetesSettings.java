package dev.graceful.runtime.config;

import java.time.Duration;
import java.util.Optional;

/**
 * How the runtime uses the Kubernetes API when it runs in a pod.
 *
 * @param mode              AUTO: use it when a service account or kubeconfig is there; ON: required; OFF: never
 * @param endpointWaitShare largest share of the shutdown budget the endpoint wait may take (0-1)
 * @param propagationDelay  wait after the control plane shows the pod out of the endpoints, for kube-proxy and
 *                          ingress controllers to act on it
 * @param deadlineMargin    kept back from the pod's SIGKILL deadline
 * @param readinessGate     pod condition type to set True when ready and False at SIGTERM; empty when off
 * @param apiTimeout        bound on each call to the API server
 */
public record KubernetesSettings(
    Mode mode,
    double endpointWaitShare,
    Duration propagationDelay,
    Duration deadlineMargin,
    Optional<String> readinessGate,
    Duration apiTimeout) {

  /** Whether to talk to the Kubernetes API. */
  public enum Mode {
    AUTO, ON, OFF
  }
}
