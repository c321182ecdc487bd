package dev.graceful.runtime.kubernetes;

import dev.graceful.runtime.sidecar.SidecarDetector;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/** Reads this process's own Pod and the Services that select it. */
final class OwnPod {

  /**
   * What the Pod says about its deletion, once it is being deleted.
   *
   * @param timestamp   {@code deletionTimestamp}; empty when absent or malformed
   * @param gracePeriod {@code deletionGracePeriodSeconds}
   * @param malformed   what was wrong with the timestamp, when it could not be read
   * @param killTimedFromSignal the kubelet starts the grace period at its SIGTERM ({@link KillTimer#startsAtSignal})
   * @param container   this process's container, when the mount table names it
   */
  record Deletion(Optional<Instant> timestamp, Optional<Duration> gracePeriod, Optional<String> malformed,
      boolean killTimedFromSignal, Optional<String> container) {
  }

  /** Where the kubelet's mounts for this container show (the one naming the container is read at the signal). */
  static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  private final KubernetesApi api;
  private final PodIdentity identity;
  private final Path mountinfo;
  /** The first pod read, begun before the start asked for it; taken once. */
  private final AtomicReference<CompletableFuture<Pod>> firstPod;

  OwnPod(KubernetesApi api, PodIdentity identity) {
    this(api, identity, Optional.empty(), MOUNTINFO);
  }

  /**
   * @param firstPod  a read of the pod already asked for, which the first {@link #readFacts} uses
   * @param mountinfo this process's mount table, which names its container
   */
  OwnPod(KubernetesApi api, PodIdentity identity, Optional<CompletableFuture<Pod>> firstPod, Path mountinfo) {
    this.api = api;
    this.identity = identity;
    this.mountinfo = mountinfo;
    this.firstPod = new AtomicReference<>(firstPod.orElse(null));
  }

  /**
   * The pod and the Services that select it, each call bounded by {@code bound}. Both are asked at once: the start
   * waits for the slower one, not for the two in turn.
   */
  Future<PodFacts> readFacts(Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    String getPod = "get pod " + identity.namespace() + "/" + identity.name();
    // Neither waits on a worker thread for the client's build or the pod read begun with it: the management
    // server's scrapes and the Events share those two threads.
    CompletableFuture<Pod> asked = firstPod.getAndSet(null);
    Future<Pod> pod = asked != null ? api.await(getPod, asked, bound) : api.call(getPod, this::getPod, bound);
    Future<List<Service>> services = api.built(bound).compose(c -> api.call("list services in namespace " + identity.namespace(),
        () -> c.services().inNamespace(identity.namespace()).list().getItems(),
        Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()))));
    // The pod's failure first: "pod not found" or "forbidden" says more than a Service list that failed with it.
    return Future.join(pod, services).transform(ar -> pod.failed() ? Future.failedFuture(pod.cause())
        : services.failed() ? Future.failedFuture(services.cause())
        : Future.succeededFuture(facts(pod.result(), services.result())));
  }

  /**
   * The Services that select a pod with these labels now, those with {@code publishNotReadyAddresses} left out: a
   * Service created after the start, or one re-pointed at this pod (a blue-green switch), counts at the signal too.
   */
  Future<List<String>> readServices(Map<String, String> labels) {
    return api.call("list services in namespace " + identity.namespace(),
        () -> api.client().services().inNamespace(identity.namespace()).list().getItems())
        .map(services -> Selected.of(labels, services).draining());
  }

  /**
   * The pod's deletion timestamp and grace period and how the kubelet times the kill, or empty when it shows no
   * deletion (not being deleted).
   */
  Future<Optional<Deletion>> readDeletion() {
    return api.call("get pod " + identity.namespace() + "/" + identity.name(), () -> {
      Pod pod = getPod();
      return deletion(pod, KillTimer.ownContainer(mountinfo, pod.getMetadata() == null ? null : pod.getMetadata().getUid()));
    });
  }

  private Pod getPod() {
    return get(api.client(), identity);
  }

  /** The pod, read with {@code client}; fails when it does not exist. */
  static Pod get(KubernetesClient client, PodIdentity identity) {
    Pod pod = client.pods().inNamespace(identity.namespace()).withName(identity.name()).get();
    if (pod == null) {
      throw new IllegalStateException("pod " + identity.namespace() + "/" + identity.name() + " not found");
    }
    return pod;
  }

  static Optional<Deletion> deletion(Pod pod, Optional<String> container) {
    String timestamp = pod.getMetadata() == null ? null : pod.getMetadata().getDeletionTimestamp();
    Long grace = pod.getMetadata() == null ? null : pod.getMetadata().getDeletionGracePeriodSeconds();
    if (timestamp == null && grace == null) {
      return Optional.empty();
    }
    Optional<Instant> at = Optional.empty();
    Optional<String> malformed = Optional.empty();
    if (timestamp != null) {
      try {
        at = Optional.of(Instant.parse(timestamp));
      } catch (DateTimeParseException e) {
        malformed = Optional.of("malformed deletionTimestamp '" + timestamp + "'");
      }
    }
    return Optional.of(new Deletion(at, Optional.ofNullable(grace).map(Duration::ofSeconds), malformed,
        KillTimer.startsAtSignal(pod, container), container));
  }

  /** The Services whose selector matches the labels: those that take the pod out of rotation, and the others. */
  private record Selected(List<String> draining, List<String> notReady) {

    static Selected of(Map<String, String> labels, List<Service> services) {
      List<String> draining = new ArrayList<>();
      List<String> notReady = new ArrayList<>();
      for (Service service : services) {
        if (service.getSpec() == null || service.getMetadata() == null) {
          continue;
        }
        Map<String, String> selector = service.getSpec().getSelector();
        if (selector == null || selector.isEmpty() || !labels.entrySet().containsAll(selector.entrySet())) {
          continue;
        }
        (Boolean.TRUE.equals(service.getSpec().getPublishNotReadyAddresses()) ? notReady : draining)
            .add(service.getMetadata().getName());
      }
      return new Selected(draining, notReady);
    }
  }

  private static PodFacts facts(Pod pod, List<Service> services) {
    Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
    Selected selected = Selected.of(labels, services);
    Long grace = pod.getSpec() == null ? null : pod.getSpec().getTerminationGracePeriodSeconds();
    List<String> gates = pod.getSpec() == null || pod.getSpec().getReadinessGates() == null ? List.of()
        : pod.getSpec().getReadinessGates().stream().map(PodReadinessGate::getConditionType).toList();
    return new PodFacts(pod.getMetadata().getUid(), labels, Optional.ofNullable(grace).map(Duration::ofSeconds),
        selected.draining(), selected.notReady(), gates, SidecarDetector.detect(pod));
  }
}
