package dev.graceful.runtime.sidecar;

import java.util.List;
import java.util.Optional;

/**
 * What the own Pod spec says about mesh proxies and about how the pod ends.
 *
 * @param sidecars        proxies found, in pod-spec order (native sidecars first)
 * @param notes           things worth a warning, e.g. injection requested but no proxy in the spec
 * @param jobOwner        {@code Job <name>} when a Job owns the pod (a CronJob's pods are owned by its Jobs)
 * @param restartPolicy   the pod's {@code restartPolicy}: Always (the default), OnFailure or Never
 */
public record PodSidecars(List<MeshSidecar> sidecars, List<String> notes, Optional<String> jobOwner, String restartPolicy) {

  public PodSidecars {
    sidecars = List.copyOf(sidecars);
    notes = List.copyOf(notes);
  }

  public static PodSidecars none() {
    return new PodSidecars(List.of(), List.of(), Optional.empty(), "Always");
  }

  /** The pod is meant to finish (a Job's, or a bare pod that is not restarted): its proxy must not outlive it. */
  public boolean runsToCompletion() {
    return jobOwner.isPresent() || !"Always".equals(restartPolicy);
  }
}
