package dev.graceful.runtime.kubernetes;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Whether the control plane has taken the pod out of rotation: every EndpointSlice that lists the pod shows it
 * {@code ready=false} and {@code serving=false} (or no slice lists it any more).
 *
 * <p>Never "the pod is gone from the slice": terminating endpoints stay listed until the pod object is deleted,
 * which happens only after this process has exited. Missing conditions count as ready, as the API defines.
 *
 * @param drained      true when no slice still routes to the pod
 * @param stillServing {@code slice-name: ready=..,serving=..} for each slice that still does
 */
public record EndpointVerdict(boolean drained, List<String> stillServing) {

  public static EndpointVerdict of(Collection<EndpointSlice> slices, PodIdentity pod, String podUid) {
    List<String> serving = new ArrayList<>();
    for (EndpointSlice slice : slices) {
      if (slice == null || slice.getEndpoints() == null) {
        continue;
      }
      for (Endpoint endpoint : slice.getEndpoints()) {
        if (endpoint == null || !isPod(endpoint, pod, podUid)) {
          continue;
        }
        EndpointConditions c = endpoint.getConditions();
        boolean ready = c == null || c.getReady() == null || c.getReady();
        boolean servingNow = c == null || c.getServing() == null ? ready : c.getServing();
        if (ready || servingNow) {
          String name = slice.getMetadata() == null ? "?" : slice.getMetadata().getName();
          serving.add(name + ": ready=" + ready + ",serving=" + servingNow);
        }
      }
    }
    return new EndpointVerdict(serving.isEmpty(), serving);
  }

  private static boolean isPod(Endpoint endpoint, PodIdentity pod, String podUid) {
    ObjectReference ref = endpoint.getTargetRef();
    if (ref != null) {
      // A targetRef is authoritative: an address may already belong to a newer pod.
      boolean samePod = ref.getUid() != null && podUid != null
          ? podUid.equals(ref.getUid())
          : pod.name().equals(ref.getName()) && (ref.getNamespace() == null || pod.namespace().equals(ref.getNamespace()));
      return (ref.getKind() == null || "Pod".equals(ref.getKind())) && samePod;
    }
    Optional<String> ip = pod.ip();
    return ip.isPresent() && endpoint.getAddresses() != null && endpoint.getAddresses().contains(ip.get());
  }
}
