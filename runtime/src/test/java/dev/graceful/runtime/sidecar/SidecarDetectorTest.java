package dev.graceful.runtime.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.sidecar.MeshSidecar.AtTermination.Kind;
import dev.graceful.runtime.sidecar.MeshSidecar.Mesh;
import dev.graceful.runtime.support.PodFixtures;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Detection on pod specs as Istio's and Linkerd's injectors write them (src/test/resources/pods). */
class SidecarDetectorTest {

  private static MeshSidecar only(PodSidecars found) {
    assertEquals(1, found.sidecars().size(), found.toString());
    return found.sidecars().get(0);
  }

  @Test
  void istioClassicSidecarWithTheMeshDefaults() {
    PodSidecars found = SidecarDetector.detect(PodFixtures.load("istio-classic.yaml"));
    MeshSidecar proxy = only(found);
    assertEquals(Mesh.ISTIO, proxy.mesh());
    assertEquals("istio-proxy", proxy.container());
    assertFalse(proxy.nativeSidecar(), "istio-init is a plain init container; istio-proxy runs beside the app");
    assertEquals(URI.create("http://127.0.0.1:15021/healthz/ready"), proxy.readyUrl());
    assertEquals(Optional.of(URI.create("http://127.0.0.1:15020/quitquitquit")), proxy.quitUrl());
    assertEquals(Kind.FIXED, proxy.atTermination().kind(), "pilot-agent kills Envoy terminationDrainDuration after SIGTERM");
    assertEquals(Duration.ofSeconds(5), proxy.atTermination().forwardsFor());
    assertTrue(proxy.atTermination().inboundDrainsAtOnce(), "drain_listeners?inboundonly&graceful at SIGTERM");
    assertEquals("Istio's default terminationDrainDuration", proxy.atTermination().source());
    assertEquals(List.of(), found.notes());
    assertFalse(found.runsToCompletion(), "a ReplicaSet's pod with restartPolicy Always");
  }

  @Test
  void istioJobPodWithProxyConfigAnnotation() {
    PodSidecars found = SidecarDetector.detect(PodFixtures.load("istio-job.yaml"));
    MeshSidecar proxy = only(found);
    assertEquals(Mesh.ISTIO, proxy.mesh());
    assertFalse(proxy.nativeSidecar());
    assertEquals(Duration.ofSeconds(30), proxy.atTermination().forwardsFor());
    assertEquals("proxy.istio.io/config terminationDrainDuration", proxy.atTermination().source());
    assertEquals(Optional.of("Job nightly-report-28734120"), found.jobOwner());
    assertEquals("Never", found.restartPolicy());
    assertTrue(found.runsToCompletion());
  }

  @Test
  void istioNativeSidecarIsTheRestartableInitContainer() {
    PodSidecars found = SidecarDetector.detect(PodFixtures.load("istio-native.yaml"));
    MeshSidecar proxy = only(found);
    assertEquals(Mesh.ISTIO, proxy.mesh());
    assertEquals("istio-proxy", proxy.container());
    assertTrue(proxy.nativeSidecar());
    assertEquals(URI.create("http://127.0.0.1:15021/healthz/ready"), proxy.readyUrl(), "from its startup probe");
    assertEquals(Kind.AFTER_APP, proxy.atTermination().kind());
  }

  @Test
  void istioNativeSidecarMadeByIstiosAutoDetectionWithItsPreStopDrain() {
    MeshSidecar proxy = only(SidecarDetector.detect(PodFixtures.load("istio-native-auto.yaml")));
    assertTrue(proxy.nativeSidecar(), "native without the annotation: the restartable init container says so");
    assertEquals(Kind.AFTER_APP, proxy.atTermination().kind(), "outbound works until the app has exited");
    assertTrue(proxy.atTermination().inboundDrainsAtOnce(), "the preStop drains inbound at the start of the termination");
    assertTrue(DrainWarning.describe(proxy).contains("inbound connections are asked to close"), DrainWarning.describe(proxy));
  }

  @Test
  void istioDrainFromTheMergedProxyConfigAndExitOnZeroConnections() {
    Pod pod = PodFixtures.load("istio-classic.yaml");
    proxyEnv(pod, "PROXY_CONFIG").setValue("{\"terminationDrainDuration\":\"12.500s\"}");
    assertEquals(Duration.ofMillis(12_500), only(SidecarDetector.detect(pod)).atTermination().forwardsFor(),
        "the mesh-wide default arrives in PROXY_CONFIG as protobuf JSON");

    // pilot-agent ignores terminationDrainDuration once EXIT_ON_ZERO_ACTIVE_CONNECTIONS is on: Envoy is sure to stay
    // only MINIMUM_DRAIN_DURATION, then until the first second without a connection.
    pod.getMetadata().getAnnotations().put("proxy.istio.io/config",
        "terminationDrainDuration: 1m30s\nproxyMetadata:\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: \"true\"\n");
    MeshSidecar idle = only(SidecarDetector.detect(pod));
    assertEquals(Kind.UNTIL_IDLE, idle.atTermination().kind());
    assertEquals(Duration.ofSeconds(5), idle.atTermination().forwardsFor(), "MINIMUM_DRAIN_DURATION's default, not 1m30s");
    assertTrue(idle.atTermination().source().contains("terminationDrainDuration is ignored"), idle.atTermination().source());

    pod.getMetadata().getAnnotations().put("proxy.istio.io/config", "proxyMetadata:\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: \"true\"\n"
        + "  MINIMUM_DRAIN_DURATION: 40s\n");
    assertEquals(Duration.ofSeconds(40), only(SidecarDetector.detect(pod)).atTermination().forwardsFor());

    pod.getMetadata().getAnnotations().put("proxy.istio.io/config", "terminationDrainDuration: 1m30s\n");
    assertEquals(Duration.ofSeconds(90), only(SidecarDetector.detect(pod)).atTermination().forwardsFor());

    pod.getMetadata().getAnnotations().remove("proxy.istio.io/config");
    proxyEnv(pod, "PROXY_CONFIG").setValue("{}");
    pod.getSpec().getContainers().stream().filter(c -> c.getName().equals("istio-proxy")).findFirst().orElseThrow()
        .getEnv().add(new EnvVar("TERMINATION_DRAIN_DURATION_SECONDS", "60", null));
    assertEquals(Duration.ofSeconds(5), only(SidecarDetector.detect(pod)).atTermination().forwardsFor(),
        "TERMINATION_DRAIN_DURATION_SECONDS is read by no Istio since 1.10");
  }

  @Test
  void istioStatusPortAnnotationMovesQuitquitquit() {
    Pod pod = PodFixtures.load("istio-classic.yaml");
    pod.getMetadata().getAnnotations().put("status.sidecar.istio.io/port", "15999");
    assertEquals(Optional.of(URI.create("http://127.0.0.1:15999/quitquitquit")), only(SidecarDetector.detect(pod)).quitUrl());

    pod.getMetadata().getAnnotations().put("status.sidecar.istio.io/port", "0");
    PodSidecars off = SidecarDetector.detect(pod);
    assertEquals(Optional.empty(), only(off).quitUrl(), "port 0 turns the status server off; it does not fall back to 15020");
    assertTrue(off.notes().get(0).contains("turns pilot-agent's status server off"), off.notes().toString());
  }

  @Test
  void linkerdClassicSidecarRefusesNewRequestsAtSigterm() {
    PodSidecars found = SidecarDetector.detect(PodFixtures.load("linkerd-classic.yaml"));
    MeshSidecar proxy = only(found);
    assertEquals(Mesh.LINKERD, proxy.mesh());
    assertEquals("linkerd-proxy", proxy.container());
    assertFalse(proxy.nativeSidecar(), "linkerd-init (proxy-init image) is not the proxy");
    assertEquals(URI.create("http://127.0.0.1:4191/ready"), proxy.readyUrl());
    assertEquals(Optional.of(URI.create("http://127.0.0.1:4191/shutdown")), proxy.quitUrl());
    assertEquals(Kind.FIXED, proxy.atTermination().kind());
    assertEquals(Duration.ZERO, proxy.atTermination().forwardsFor(), "stops accepting inbound and outbound at SIGTERM");
    assertFalse(found.runsToCompletion());

    Pod held = PodFixtures.load("linkerd-classic.yaml");
    held.getMetadata().getAnnotations().put("config.alpha.linkerd.io/proxy-wait-before-exit-seconds", "40");
    assertEquals(Duration.ofSeconds(40), only(SidecarDetector.detect(held)).atTermination().forwardsFor());
  }

  @Test
  void linkerd220NativeSidecarWithTheCurrentAnnotationAndShutdownOff() {
    PodSidecars found = SidecarDetector.detect(PodFixtures.load("linkerd-native-2.20.yaml"));
    MeshSidecar proxy = only(found);
    assertTrue(proxy.nativeSidecar());
    assertEquals(Kind.AFTER_APP, proxy.atTermination().kind());
    assertEquals(URI.create("http://127.0.0.1:4191/ready"), proxy.readyUrl(), "from its startup probe");
    assertEquals(Optional.empty(), proxy.quitUrl(), "POST /shutdown is off by default since Linkerd 2.16");
    assertEquals(List.of(), found.notes());

    Pod enabled = PodFixtures.load("linkerd-native-2.20.yaml");
    enabled.getSpec().getInitContainers().get(1).getEnv().removeIf(e -> e.getName().equals("LINKERD2_PROXY_SHUTDOWN_ENDPOINT_ENABLED"));
    enabled.getMetadata().getAnnotations().put("config.linkerd.io/proxy-admin-shutdown", "enabled");
    assertEquals(Optional.of(URI.create("http://127.0.0.1:4191/shutdown")), only(SidecarDetector.detect(enabled)).quitUrl());
    enabled.getMetadata().getAnnotations().put("config.linkerd.io/proxy-admin-shutdown", "disabled");
    assertEquals(Optional.empty(), only(SidecarDetector.detect(enabled)).quitUrl());
  }

  @Test
  void linkerdNativeSidecarInAJob() {
    PodSidecars found = SidecarDetector.detect(PodFixtures.load("linkerd-native.yaml"));
    MeshSidecar proxy = only(found);
    assertEquals(Mesh.LINKERD, proxy.mesh());
    assertTrue(proxy.nativeSidecar());
    assertEquals(Optional.of("Job import-batch"), found.jobOwner());
    assertEquals("OnFailure", found.restartPolicy());
  }

  @Test
  void byImageWhenTheContainerIsRenamed() {
    Pod pod = PodFixtures.load("linkerd-classic.yaml");
    pod.getSpec().getContainers().get(0).setName("mesh");
    pod.getSpec().getContainers().get(0).setImage("ghcr.io/linkerd/proxy:edge-24.5.1@sha256:0f3e5d7c9b1a4c2e8f6d4b2a0c8e6d91");
    pod.getMetadata().getAnnotations().remove("linkerd.io/proxy-version");
    MeshSidecar proxy = only(SidecarDetector.detect(pod));
    assertEquals(Mesh.LINKERD, proxy.mesh());
    assertEquals("mesh", proxy.container());

    Pod mirrored = PodFixtures.load("istio-classic.yaml");
    mirrored.getSpec().getContainers().get(1).setName("envoy");
    mirrored.getSpec().getContainers().get(1).setImage("mcr.microsoft.com/oss/istio/proxyv2:1.22.3-distroless");
    mirrored.getMetadata().getAnnotations().remove("sidecar.istio.io/status");
    assertEquals(Mesh.ISTIO, only(SidecarDetector.detect(mirrored)).mesh());
  }

  @Test
  void noMeshNoSidecarsAndInjectionThatDidNotHappenIsNoted() {
    PodSidecars plain = SidecarDetector.detect(PodFixtures.load("plain.yaml"));
    assertEquals(List.of(), plain.sidecars());
    assertEquals(List.of(), plain.notes());

    Pod requested = PodFixtures.load("plain.yaml");
    requested.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of("linkerd.io/inject", "enabled")));
    requested.getMetadata().getLabels().put("sidecar.istio.io/inject", "true");
    PodSidecars notes = SidecarDetector.detect(requested);
    assertEquals(List.of(), notes.sidecars());
    assertEquals(2, notes.notes().size(), notes.notes().toString());
    assertTrue(notes.notes().get(0).startsWith("label sidecar.istio.io/inject=true but Istio did not inject a proxy"), notes.notes().get(0));
    assertTrue(notes.notes().get(1).startsWith("linkerd.io/inject=enabled but Linkerd did not inject a proxy"), notes.notes().get(1));

    // Istio's webhook selects on the label: the annotation of the same name alone never brings a proxy.
    Pod annotated = PodFixtures.load("plain.yaml");
    annotated.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of("sidecar.istio.io/inject", "true")));
    List<String> annotationNotes = SidecarDetector.detect(annotated).notes();
    assertEquals(1, annotationNotes.size(), annotationNotes.toString());
    assertTrue(annotationNotes.get(0).contains("alone does not inject Istio's proxy"), annotationNotes.get(0));
  }

  @Test
  void goDurations() {
    assertEquals(Optional.of(Duration.ofSeconds(5)), SidecarDetector.goDuration("5s"));
    assertEquals(Optional.of(Duration.ofSeconds(90)), SidecarDetector.goDuration("1m30s"));
    assertEquals(Optional.of(Duration.ofMillis(500)), SidecarDetector.goDuration("0.5s"));
    assertEquals(Optional.of(Duration.ofMillis(250)), SidecarDetector.goDuration("250ms"));
    assertEquals(Optional.empty(), SidecarDetector.goDuration("soon"));
    assertEquals(Optional.empty(), SidecarDetector.goDuration("5s later"));
  }

  private static EnvVar proxyEnv(Pod pod, String name) {
    return pod.getSpec().getContainers().stream().filter(c -> c.getName().equals("istio-proxy")).findFirst().orElseThrow()
        .getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow();
  }
}
