package dev.graceful.runtime.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KillTimerTest {

  private static final String UID = "3f0c2a7e-5b1d-4c8e-9f00-1a2b3c4d5e6f";

  /** As containerd's runc shows it: the kubelet's root on the node's root file system. */
  private static final List<String> MOUNTINFO = List.of(
      "611 540 0:52 / / rw,relatime master:253 - overlay overlay rw,lowerdir=/var/lib/containerd/l1,upperdir=/u,workdir=/w",
      "630 611 254:1 /var/lib/kubelet/pods/" + UID + "/etc-hosts /etc/hosts rw,relatime - ext4 /dev/vda1 rw",
      "631 611 254:1 /var/lib/kubelet/pods/" + UID + "/containers/graceful-runtime/6a3b1e0d /dev/termination-log rw,relatime - ext4 /dev/vda1 rw",
      "632 611 254:1 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw");

  @Test
  void theTerminationLogMountNamesTheContainer() {
    assertEquals(Optional.of("graceful-runtime"), KillTimer.ownContainer(MOUNTINFO.stream(), UID));
    assertEquals(Optional.empty(), KillTimer.ownContainer(MOUNTINFO.stream(), "another-pod"), "another pod's mount is not ours");
    // the kubelet's root on a file system of its own: the mount's root is relative to it
    assertEquals(Optional.of("app"), KillTimer.ownContainer(Stream.of(
        "631 611 8:17 /pods/" + UID + "/containers/app/0c1d2e3f /dev/termination-log rw - xfs /dev/sdb1 rw"), UID));
  }

  @Test
  void noMountOrTwoNamesGiveNoGuess(@TempDir Path dir) throws Exception {
    assertEquals(Optional.empty(), KillTimer.ownContainer(Stream.of(MOUNTINFO.get(0)), UID), "podman, a laptop");
    assertEquals(Optional.empty(), KillTimer.ownContainer(Stream.of(MOUNTINFO.get(2),
        "700 611 254:1 /var/lib/kubelet/pods/" + UID + "/containers/other/1 /tmp/log rw - ext4 /dev/vda1 rw"), UID));
    assertEquals(Optional.empty(), KillTimer.ownContainer(dir.resolve("missing"), UID), "no mount table");
    Path file = Files.write(dir.resolve("mountinfo"), MOUNTINFO);
    assertEquals(Optional.of("graceful-runtime"), KillTimer.ownContainer(file, UID));
    assertEquals(Optional.empty(), KillTimer.ownContainer(file, null));
  }

  @Test
  void aRegularContainerWithoutAHookIsKilledTheGracePeriodAfterItsSignal() {
    Pod pod = pod(List.of(container("app", false), container("istio-proxy", true)), List.of());
    assertTrue(KillTimer.startsAtSignal(pod, Optional.of("app")), "the proxy's hook runs in parallel, not before ours");
    assertFalse(KillTimer.startsAtSignal(pod, Optional.of("istio-proxy")));
    assertFalse(KillTimer.startsAtSignal(pod, Optional.empty()), "unknown container, and one of them has a hook");
    assertTrue(KillTimer.startsAtSignal(pod(List.of(container("app", false)), List.of()), Optional.empty()));
  }

  @Test
  void sidecarsAreTimedFromTheDeletion() {
    Container sidecar = new ContainerBuilder(container("istio-proxy", false)).withRestartPolicy("Always").build();
    Pod pod = pod(List.of(container("app", false)), List.of(sidecar));
    assertTrue(KillTimer.startsAtSignal(pod, Optional.of("app")));
    assertFalse(KillTimer.startsAtSignal(pod, Optional.of("istio-proxy")), "a sidecar waits for the others first");
    assertFalse(KillTimer.startsAtSignal(pod, Optional.empty()), "unknown: this could be the sidecar");
    assertTrue(KillTimer.startsAtSignal(pod(List.of(container("app", false)), List.of(container("init", false))), Optional.empty()),
        "an init container that ran to completion is no sidecar");
    assertFalse(KillTimer.startsAtSignal(pod, Optional.of("not-in-the-spec")), "a name not in the spec counts as unknown");
    assertTrue(KillTimer.startsAtSignal(pod(List.of(container("app", false)), List.of()), Optional.of("not-in-the-spec")));
    assertFalse(KillTimer.startsAtSignal(new PodBuilder().build(), Optional.empty()), "no spec");
  }

  private static Container container(String name, boolean preStop) {
    ContainerBuilder c = new ContainerBuilder().withName(name).withImage("example/" + name);
    if (preStop) {
      c.withNewLifecycle().withNewPreStop().withNewExec().withCommand("sleep", "5").endExec().endPreStop().endLifecycle();
    }
    return c.build();
  }

  private static Pod pod(List<Container> containers, List<Container> init) {
    return new PodBuilder().withNewMetadata().withName("web-1").withUid(UID).endMetadata()
        .withNewSpec().withContainers(containers).withInitContainers(init).endSpec().build();
  }
}
