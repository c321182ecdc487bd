package dev.graceful.runtime.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * When the kubelet's grace period starts to run. The kubelet times SIGKILL from the start of its kill of the container
 * ({@code killContainer} in pkg/kubelet/kuberuntime/kuberuntime_container.go): it runs the preStop hook, if any, takes
 * the hook's time off the grace period (leaving at least 2 s), then asks the runtime to stop the container with what
 * is left, and the runtime sends SIGTERM and SIGKILL that long after it. That kill starts when the kubelet gets to it,
 * which on a busy node is seconds after the deletion; the {@code deletionTimestamp} (deletion + grace period) is thus
 * the earliest the kill can come, not when it comes.
 *
 * <p>So with no preStop hook on this container the kill comes the deletion's grace period after SIGTERM. With a hook,
 * or when the container cannot be told apart from one that has a hook, the deletion timestamp stands, floored at the
 * kubelet's 2 s stop window.
 */
final class KillTimer {

  /**
   * Kept back from a grace period counted from the signal, besides the margin: between the container runtime's kill
   * (when its SIGKILL timer starts) and the JVM's signal thread taking the time, a container held at its CPU limit can
   * be paused for a scheduling period or more.
   */
  static final Duration SIGNAL_DELIVERY = Duration.ofMillis(250);

  /** The stop window the kubelet always leaves after SIGTERM ({@code minimumGracePeriodInSeconds}). */
  static final Duration MINIMUM_STOP_WINDOW = Duration.ofSeconds(2);

  /**
   * The kubelet mounts the termination-message file from {@code <root>/pods/<pod uid>/containers/<name>/<id>}: the
   * only mount that names the container. The root field of mountinfo shows that path, whatever the mount point.
   */
  private static final Pattern TERMINATION_LOG = Pattern.compile("/pods/([0-9a-fA-F-]+)/containers/([a-z0-9]([-a-z0-9]*[a-z0-9])?)/[^/]+$");

  private KillTimer() {
  }

  /** This process's container in the pod with {@code podUid}, from a mount table; empty when no mount names it. */
  static Optional<String> ownContainer(Path mountinfo, String podUid) {
    if (podUid == null) {
      return Optional.empty();
    }
    try (Stream<String> lines = Files.lines(mountinfo)) {
      return ownContainer(lines, podUid);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  static Optional<String> ownContainer(Stream<String> mountinfo, String podUid) {
    List<String> names = mountinfo.map(line -> line.split(" "))
        .filter(fields -> fields.length > 4)
        .map(fields -> TERMINATION_LOG.matcher(fields[3]))
        .filter(Matcher::find)
        .filter(m -> m.group(1).equalsIgnoreCase(podUid))
        .map(m -> m.group(2))
        .distinct()
        .toList();
    // Two different names would be a mount table this class does not understand: no guess.
    return names.size() == 1 ? Optional.of(names.get(0)) : Optional.empty();
  }

  /**
   * True when the kubelet sends SIGTERM as it starts this container's kill, so SIGKILL is the grace period after it: the
   * container is a regular one without a preStop hook. Without knowing the container, true only when no container of
   * the pod has a hook and no sidecar (an init container that keeps running, stopped after the others) is there.
   */
  static boolean startsAtSignal(Pod pod, Optional<String> container) {
    PodSpec spec = pod.getSpec();
    if (spec == null) {
      return false;
    }
    List<Container> regular = spec.getContainers() == null ? List.of() : spec.getContainers();
    List<Container> init = spec.getInitContainers() == null ? List.of() : spec.getInitContainers();
    if (container.isPresent()) {
      Optional<Container> own = regular.stream().filter(c -> container.get().equals(c.getName())).findFirst();
      if (own.isPresent()) {
        return !hasPreStop(own.get());
      }
      if (init.stream().anyMatch(c -> container.get().equals(c.getName()))) {
        return false; // a sidecar's SIGTERM waits for the regular containers to stop, inside its grace period
      }
    }
    boolean sidecars = init.stream().anyMatch(c -> "Always".equals(c.getRestartPolicy()));
    return !regular.isEmpty() && !sidecars && regular.stream().noneMatch(KillTimer::hasPreStop);
  }

  private static boolean hasPreStop(Container c) {
    return c.getLifecycle() != null && c.getLifecycle().getPreStop() != null;
  }
}
