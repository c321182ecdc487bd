package dev.graceful.runtime.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.config.ConfigLoader;
import dev.graceful.runtime.config.SidecarSettings;
import dev.graceful.runtime.support.PodFixtures;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the runtime decides from a detected proxy: which URLs, whether to warn about the drain, whether to quit. */
class SidecarDecisionsTest {

  private static final Duration BUDGET = Duration.ofMillis(29_500);

  private static PodSidecars pod(String fixture) {
    return SidecarDetector.detect(PodFixtures.load(fixture));
  }

  private static SidecarSettings settings(String... keyValues) {
    Map<String, String> env = new java.util.HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return ConfigLoader.load(env).sidecar();
  }

  @Test
  void classicIstioWithTheDefaultDrainIsWarnedAboutNamingTheFix() {
    MeshSidecar proxy = SidecarSupport.resolve(settings(), pod("istio-classic.yaml")).orElseThrow();
    String warning = DrainWarning.check(proxy, BUDGET).orElseThrow();
    assertTrue(warning.startsWith("sidecar istio-proxy (Istio, classic sidecar) stops forwarding in both directions 5000 ms"
        + " after SIGTERM (Istio's default terminationDrainDuration), but this runtime's shutdown may take 29500 ms"), warning);
    assertTrue(warning.contains("requests still routed to the pod and every outbound call"), warning);
    assertTrue(warning.contains("sidecar.istio.io/nativeSidecar: \"true\""), warning);
    assertTrue(warning.contains("terminationDrainDuration of the pod's whole grace period (over 30s: the runtime's last report"
        + " comes past its deadline) and without EXIT_ON_ZERO_ACTIVE_CONNECTIONS"), warning);
  }

  @Test
  void theZeroConnectionsExitIsWarnedAboutAsTheRiskItIs() {
    io.fabric8.kubernetes.api.model.Pod pod = PodFixtures.load("istio-classic.yaml");
    // What the chart before 0.2 rendered: the hold that ends at the first quiet second after 5 s.
    pod.getMetadata().getAnnotations().put("proxy.istio.io/config",
        "holdApplicationUntilProxyStarts: true\nterminationDrainDuration: 30s\nproxyMetadata:\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: \"true\"\n");
    String warning = DrainWarning.check(SidecarSupport.resolve(settings(), SidecarDetector.detect(pod)).orElseThrow(), BUDGET)
        .orElseThrow(() -> new AssertionError("EXIT_ON_ZERO_ACTIVE_CONNECTIONS was once taken as safe"));
    assertTrue(warning.contains("may exit at the first second with no connection, inbound and outbound counted together,"
        + " from 5000 ms after SIGTERM"), warning);
    assertTrue(warning.contains("terminationDrainDuration is ignored with it"), warning);

    pod.getMetadata().getAnnotations().put("proxy.istio.io/config",
        "proxyMetadata:\n  EXIT_ON_ZERO_ACTIVE_CONNECTIONS: \"true\"\n  MINIMUM_DRAIN_DURATION: 30s\n");
    assertEquals(Optional.empty(), DrainWarning.check(SidecarSupport.resolve(settings(), SidecarDetector.detect(pod)).orElseThrow(),
        BUDGET), "a minimum that covers the budget is safe");
  }

  @Test
  void noWarningForNativeSidecarsOrAProxyHeldLongEnough() {
    assertEquals(Optional.empty(), DrainWarning.check(SidecarSupport.resolve(settings(), pod("istio-native.yaml")).orElseThrow(), BUDGET));
    assertEquals(Optional.empty(), DrainWarning.check(SidecarSupport.resolve(settings(), pod("istio-job.yaml")).orElseThrow(), BUDGET),
        "terminationDrainDuration 30s covers a 29.5 s budget");
    assertEquals(Optional.empty(), DrainWarning.check(SidecarSupport.resolve(settings(), pod("linkerd-native.yaml")).orElseThrow(), BUDGET));
    assertEquals(Optional.empty(), DrainWarning.check(SidecarSupport.resolve(settings(), pod("linkerd-native-2.20.yaml")).orElseThrow(), BUDGET));
    assertEquals(Optional.empty(), DrainWarning.check(SidecarSupport.resolve(settings(), pod("istio-native-auto.yaml")).orElseThrow(), BUDGET));
  }

  @Test
  void classicLinkerdIsWarnedAboutWithItsAnnotations() {
    String warning = DrainWarning.check(SidecarSupport.resolve(settings(), pod("linkerd-classic.yaml")).orElseThrow(), BUDGET).orElseThrow();
    assertTrue(warning.contains("stops accepting inbound and outbound connections at SIGTERM"), warning);
    assertTrue(warning.contains("config.linkerd.io/proxy-enable-native-sidecar: \"true\""), warning);
    assertTrue(warning.contains("config.alpha.linkerd.io/proxy-wait-before-exit-seconds set to terminationGracePeriodSeconds - 1"
        + " (Linkerd requires less than the grace period) with GRACEFUL_DEADLINE_MARGIN=2s"), warning);
  }

  @Test
  void configuredUrlsOverrideTheDetectedOnesAndAloneMakeACustomProxy() {
    SidecarSettings urls = settings("GRACEFUL_SIDECAR_READY_URL", "http://127.0.0.1:1234/ready",
        "GRACEFUL_SIDECAR_QUIT_URL", "http://127.0.0.1:1234/quit");
    MeshSidecar istio = SidecarSupport.resolve(urls, pod("istio-classic.yaml")).orElseThrow();
    assertEquals(MeshSidecar.Mesh.ISTIO, istio.mesh());
    assertEquals(URI.create("http://127.0.0.1:1234/ready"), istio.readyUrl());
    assertEquals(Optional.of(URI.create("http://127.0.0.1:1234/quit")), istio.quitUrl());

    MeshSidecar custom = SidecarSupport.resolve(urls, PodSidecars.none()).orElseThrow();
    assertEquals(MeshSidecar.Mesh.CUSTOM, custom.mesh());
    assertEquals(Optional.empty(), DrainWarning.check(custom, BUDGET), "nothing known about its drain: no guess");

    assertEquals(Optional.empty(), SidecarSupport.resolve(settings(), PodSidecars.none()), "outside a mesh nothing changes");
    assertEquals(Optional.empty(), SidecarSupport.resolve(settings("GRACEFUL_SIDECAR", "off"), pod("istio-classic.yaml")));
  }

  @Test
  void quitOnlyForRunToCompletionPodsWithAClassicSidecar() {
    SidecarSettings auto = settings();
    PodSidecars job = pod("istio-job.yaml");
    Optional<MeshSidecar> jobProxy = SidecarSupport.resolve(auto, job);
    assertTrue(ProxyQuit.decide(auto.quit(), jobProxy, job, 0).quit());
    assertTrue(ProxyQuit.decide(auto.quit(), jobProxy, job, 3).quit(), "restartPolicy Never: a failed pod is not restarted");
    assertEquals("the pod belongs to Job nightly-report-28734120", ProxyQuit.decide(auto.quit(), jobProxy, job, 0).why());

    PodSidecars deployment = pod("istio-classic.yaml");
    assertFalse(ProxyQuit.decide(auto.quit(), SidecarSupport.resolve(auto, deployment), deployment, 0).quit());
    assertTrue(ProxyQuit.decide(SidecarSettings.Quit.ALWAYS, SidecarSupport.resolve(auto, deployment), deployment, 0).quit());
    assertFalse(ProxyQuit.decide(SidecarSettings.Quit.NEVER, jobProxy, job, 0).quit());

    PodSidecars shutdownOff = pod("linkerd-native-2.20.yaml");
    ProxyQuit.Decision off = ProxyQuit.decide(SidecarSettings.Quit.ALWAYS, SidecarSupport.resolve(auto, shutdownOff), shutdownOff, 0);
    assertFalse(off.quit());
    assertTrue(off.why().contains("config.linkerd.io/proxy-admin-shutdown: enabled"), off.why());

    PodSidecars nativeJob = pod("linkerd-native.yaml");
    ProxyQuit.Decision nativeDecision = ProxyQuit.decide(auto.quit(), SidecarSupport.resolve(auto, nativeJob), nativeJob, 0);
    assertFalse(nativeDecision.quit());
    assertTrue(nativeDecision.why().startsWith("native sidecar"), nativeDecision.why());

    // A Job's pod with restartPolicy OnFailure and a classic sidecar: the app is restarted next to the same proxy.
    io.fabric8.kubernetes.api.model.Pod onFailure = PodFixtures.load("istio-job.yaml");
    onFailure.getSpec().setRestartPolicy("OnFailure");
    PodSidecars restarted = SidecarDetector.detect(onFailure);
    assertFalse(ProxyQuit.decide(auto.quit(), SidecarSupport.resolve(auto, restarted), restarted, 3).quit());
    assertTrue(ProxyQuit.decide(auto.quit(), SidecarSupport.resolve(auto, restarted), restarted, 0).quit());
  }
}
