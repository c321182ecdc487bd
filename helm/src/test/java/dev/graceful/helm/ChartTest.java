package dev.graceful.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChartTest {

  private static Container container(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  private static Map<String, EnvVar> env(Deployment d) {
    return container(d).getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
  }

  private static int containerPort(Container c, String name) {
    return c.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst().orElseThrow().getContainerPort();
  }

  /** Each rule as "group|resource|verb,verb". */
  private static List<String> rules(Role role) {
    return role.getRules().stream().map((PolicyRule r) -> String.join(",", r.getApiGroups()) + "|"
        + String.join(",", r.getResources()) + "|" + String.join(",", r.getVerbs())).sorted().toList();
  }

  @Test
  void lintStrictIsClean() {
    LintResult lint = new Helm(Chart.DIR).lint().strict().call();
    assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
  }

  @Test
  void probesUseTheManagementPortWhichTheServiceNeverExposes() {
    Chart.Rendered r = Chart.render(Map.of());
    Deployment d = r.get(Deployment.class);
    Container c = container(d);
    int management = containerPort(c, "management");
    assertEquals(9000, management);
    assertEquals(String.valueOf(management), env(d).get("GRACEFUL_MANAGEMENT_PORT").getValue());
    Map<String, Probe> probes = Map.of("/health/started", c.getStartupProbe(), "/health/live", c.getLivenessProbe(),
        "/health/ready", c.getReadinessProbe());
    probes.forEach((path, probe) -> {
      assertEquals(path, probe.getHttpGet().getPath());
      assertEquals("management", probe.getHttpGet().getPort().getStrVal());
    });
    assertTrue(c.getReadinessProbe().getPeriodSeconds() * c.getReadinessProbe().getFailureThreshold() <= 2,
        "a draining pod must leave the endpoints within about 2 s even without the readiness gate");

    Service service = r.get(Service.class);
    assertEquals(List.of("http", "grpc"), service.getSpec().getPorts().stream().map(p -> p.getTargetPort().getStrVal()).toList());
    assertTrue(service.getSpec().getPorts().stream().noneMatch(p -> p.getPort() == management));
    assertEquals(d.getSpec().getSelector().getMatchLabels(), service.getSpec().getSelector());
    assertTrue(d.getSpec().getTemplate().getMetadata().getLabels().entrySet().containsAll(service.getSpec().getSelector().entrySet()));
  }

  @Test
  void gracePeriodIsWiredToThePodAndTheRuntime() {
    Deployment d = Chart.render(Map.of("terminationGracePeriodSeconds", 45, "shutdown.deadlineMarginMillis", 2000)).get(Deployment.class);
    assertEquals(45L, d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds());
    Map<String, EnvVar> env = env(d);
    assertEquals("43000ms", env.get("GRACEFUL_SHUTDOWN_TIMEOUT").getValue());
    assertEquals("2000ms", env.get("GRACEFUL_DEADLINE_MARGIN").getValue());
    assertEquals("metadata.name", env.get("POD_NAME").getValueFrom().getFieldRef().getFieldPath());
    assertEquals("metadata.namespace", env.get("POD_NAMESPACE").getValueFrom().getFieldRef().getFieldPath());
    assertEquals("status.podIP", env.get("POD_IP").getValueFrom().getFieldRef().getFieldPath());
    assertEquals(0, d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal(),
        "rollouts must not drop below the wanted capacity");
  }

  @Test
  void rbacIsExactlyTheMinimalSet() {
    Chart.Rendered r = Chart.render(Map.of());
    Role role = r.get(Role.class);
    assertEquals(List.of("discovery.k8s.io|endpointslices|list,watch", "|events|create", "|pods|get", "|services|list"), rules(role));
    RoleBinding binding = r.get(RoleBinding.class);
    ServiceAccount account = r.get(ServiceAccount.class);
    assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
    assertEquals(account.getMetadata().getName(), binding.getSubjects().get(0).getName());
    assertEquals(account.getMetadata().getName(), r.get(Deployment.class).getSpec().getTemplate().getSpec().getServiceAccountName());
  }

  @Test
  void readinessGateAddsTheConditionThePermissionAndTheSetting() {
    Chart.Rendered r = Chart.render(Map.of("readinessGate.enabled", true));
    Deployment d = r.get(Deployment.class);
    assertEquals("graceful.dev/serving", d.getSpec().getTemplate().getSpec().getReadinessGates().get(0).getConditionType());
    assertEquals("graceful.dev/serving", env(d).get("GRACEFUL_READINESS_GATE").getValue());
    assertEquals(List.of("discovery.k8s.io|endpointslices|list,watch", "|events|create", "|pods/status|patch", "|pods|get",
        "|services|list"), rules(r.get(Role.class)), "the minimal set plus pods/status patch, nothing else");
    assertTrue(Chart.render(Map.of()).get(Deployment.class).getSpec().getTemplate().getSpec().getReadinessGates().isEmpty());
  }

  @Test
  void replicasSpreadOverZonesAndNodesBestEffort() {
    Deployment d = Chart.render(Map.of()).get(Deployment.class);
    List<TopologySpreadConstraint> spread = d.getSpec().getTemplate().getSpec().getTopologySpreadConstraints();
    assertEquals(List.of("topology.kubernetes.io/zone", "kubernetes.io/hostname"),
        spread.stream().map(TopologySpreadConstraint::getTopologyKey).toList());
    for (TopologySpreadConstraint c : spread) {
      assertEquals(1, c.getMaxSkew(), c.getTopologyKey());
      assertEquals("ScheduleAnyway", c.getWhenUnsatisfiable(), c.getTopologyKey() + ": small clusters must still schedule");
      assertEquals(d.getSpec().getSelector().getMatchLabels(), c.getLabelSelector().getMatchLabels(), c.getTopologyKey());
      assertTrue(c.getLabelSelector().getMatchExpressions().isEmpty(), c.getTopologyKey() + ": only the selector's labels");
    }

    List<TopologySpreadConstraint> skew = Chart.render(Map.of("topologySpread.maxSkew", 3)).get(Deployment.class)
        .getSpec().getTemplate().getSpec().getTopologySpreadConstraints();
    assertEquals(List.of(3, 3), skew.stream().map(TopologySpreadConstraint::getMaxSkew).toList());

    assertTrue(Chart.render(Map.of("topologySpread.enabled", false)).get(Deployment.class)
        .getSpec().getTemplate().getSpec().getTopologySpreadConstraints().isEmpty());
  }

  private static Map<String, String> quantities(Map<String, Quantity> quantities) {
    return quantities.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().toString()));
  }

  @Test
  void resourcesAreRenderedAsGiven() {
    ResourceRequirements defaults = container(Chart.render(Map.of()).get(Deployment.class)).getResources();
    assertEquals(Map.of("cpu", "100m", "memory", "256Mi"), quantities(defaults.getRequests()));
    assertEquals(Map.of("memory", "512Mi"), quantities(defaults.getLimits()), "a memory limit (the heap is a share of it), no CPU limit");

    ResourceRequirements set = container(Chart.render(Map.of("resources.requests.cpu", "250m", "resources.limits.memory", "1Gi",
        "resources.limits.cpu", "2")).get(Deployment.class)).getResources();
    assertEquals(Map.of("cpu", "250m", "memory", "256Mi"), quantities(set.getRequests()));
    assertEquals(Map.of("cpu", "2", "memory", "1Gi"), quantities(set.getLimits()));
  }

  private static Map<String, String> podAnnotations(Deployment d) {
    Map<String, String> annotations = d.getSpec().getTemplate().getMetadata().getAnnotations();
    return annotations == null ? Map.of() : annotations;
  }

  @Test
  void noMeshByDefault() {
    Deployment d = Chart.render(Map.of()).get(Deployment.class);
    assertEquals(Map.of(), podAnnotations(d));
    assertFalse(d.getSpec().getTemplate().getMetadata().getLabels().containsKey("sidecar.istio.io/inject"));
    assertFalse(env(d).containsKey("GRACEFUL_SIDECAR_READY_TIMEOUT"));
  }

  private static Map<?, ?> proxyConfig(Deployment d) {
    return io.fabric8.kubernetes.client.utils.Serialization.unmarshal(podAnnotations(d).get("proxy.istio.io/config"), Map.class);
  }

  private static Deployment renderFor(String kubeVersion, Map<String, Object> values) {
    return new Chart.Rendered(Chart.parse(Chart.template(Chart.NAMESPACE, values, kubeVersion))).get(Deployment.class);
  }

  @Test
  void istioClassicSidecarStartsFirstAndForwardsForTheWholeBudget() {
    Deployment d = Chart.render(Map.of("mesh.istio.enabled", true, "mesh.istio.nativeSidecar", false,
        "terminationGracePeriodSeconds", 45)).get(Deployment.class);
    assertEquals("true", d.getSpec().getTemplate().getMetadata().getLabels().get("sidecar.istio.io/inject"),
        "Istio's webhook selects on the label; the annotation alone injects nothing");
    assertEquals("false", podAnnotations(d).get("sidecar.istio.io/nativeSidecar"), "Istio 1.27+ would otherwise decide itself");
    Map<?, ?> proxyConfig = proxyConfig(d);
    assertEquals(true, proxyConfig.get("holdApplicationUntilProxyStarts"));
    assertEquals("45s", proxyConfig.get("terminationDrainDuration"),
        "the whole grace period: the runtime's last report and Events come up to half its margin past its 44.5 s deadline");
    assertNull(proxyConfig.get("proxyMetadata"),
        "no EXIT_ON_ZERO_ACTIVE_CONNECTIONS: it ignores terminationDrainDuration and may end Envoy at the first quiet second");
    assertEquals("60s", env(d).get("GRACEFUL_SIDECAR_READY_TIMEOUT").getValue());
    assertEquals("false", env(d).get("GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES").getValue());
    assertEquals("500ms", env(d).get("GRACEFUL_DEADLINE_MARGIN").getValue());
  }

  @Test
  void istioNativeSidecar() {
    Deployment d = Chart.render(Map.of("mesh.istio.enabled", true, "mesh.istio.nativeSidecar", true,
        "mesh.readyTimeout", "2m", "mesh.waitBeforeVerticles", true)).get(Deployment.class);
    assertEquals("true", podAnnotations(d).get("sidecar.istio.io/nativeSidecar"));
    assertEquals(Map.of("terminationDrainDuration", "30s"), proxyConfig(d),
        "no hold (Istio's native template then drops its preStop drain); the drain duration only for an Istio too old for"
            + " the annotation, which injects a classic proxy");
    assertEquals("2m", env(d).get("GRACEFUL_SIDECAR_READY_TIMEOUT").getValue());
    assertEquals("true", env(d).get("GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES").getValue());
  }

  @Test
  void autoMeansNativeWhereTheClusterRunsNativeSidecars() {
    for (String mesh : List.of("istio", "linkerd")) {
      Map<String, Object> values = Map.of("mesh." + mesh + ".enabled", true);
      String annotation = mesh.equals("istio") ? "sidecar.istio.io/nativeSidecar" : "config.linkerd.io/proxy-enable-native-sidecar";
      assertEquals("true", podAnnotations(renderFor("1.29.0", values)).get(annotation), mesh + " on 1.29");
      assertEquals("true", podAnnotations(renderFor("1.33.2", values)).get(annotation), mesh + " on 1.33");
      assertEquals("false", podAnnotations(renderFor("1.28.9", values)).get(annotation), mesh + " on 1.28: classic");
    }
    assertEquals("30s", proxyConfig(renderFor("1.28.9", Map.of("mesh.istio.enabled", true))).get("terminationDrainDuration"),
        "a classic Istio sidecar on an older cluster gets the holds");
  }

  @Test
  void linkerdClassicAndNativeSidecars() {
    Deployment classic = Chart.render(Map.of("mesh.linkerd.enabled", true, "mesh.linkerd.nativeSidecar", false)).get(Deployment.class);
    assertEquals(Map.of("linkerd.io/inject", "enabled", "config.linkerd.io/proxy-await", "enabled",
        "config.linkerd.io/proxy-enable-native-sidecar", "false", "config.alpha.linkerd.io/proxy-enable-native-sidecar", "false",
        "config.alpha.linkerd.io/proxy-wait-before-exit-seconds", "29"), podAnnotations(classic),
        "the wait must be less than the 30 s grace period (Linkerd's rule)");
    assertEquals("2000ms", env(classic).get("GRACEFUL_DEADLINE_MARGIN").getValue(),
        "the runtime ends its last work by 29 s, when the proxy gets its SIGTERM and stops accepting");
    assertEquals("28000ms", env(classic).get("GRACEFUL_SHUTDOWN_TIMEOUT").getValue());
    assertFalse(classic.getSpec().getTemplate().getMetadata().getLabels().containsKey("sidecar.istio.io/inject"));
    assertTrue(env(classic).containsKey("GRACEFUL_SIDECAR_READY_TIMEOUT"));
    assertEquals("3000ms", env(Chart.render(Map.of("mesh.linkerd.enabled", true, "mesh.linkerd.nativeSidecar", false,
        "shutdown.deadlineMarginMillis", 3000)).get(Deployment.class)).get("GRACEFUL_DEADLINE_MARGIN").getValue(), "a larger margin stays");

    Deployment nativeSidecar = Chart.render(Map.of("mesh.linkerd.enabled", true, "mesh.linkerd.nativeSidecar", true)).get(Deployment.class);
    assertEquals(Map.of("linkerd.io/inject", "enabled", "config.linkerd.io/proxy-await", "enabled",
        "config.linkerd.io/proxy-enable-native-sidecar", "true", "config.alpha.linkerd.io/proxy-enable-native-sidecar", "true",
        "config.alpha.linkerd.io/proxy-wait-before-exit-seconds", "29"), podAnnotations(nativeSidecar),
        "the current name and the deprecated alpha one that Linkerd before 2.20 reads; the wait, which a native proxy ignores,"
            + " holds a classic one that a Linkerd too old for native sidecars injects instead");
    assertEquals("2000ms", env(nativeSidecar).get("GRACEFUL_DEADLINE_MARGIN").getValue());
  }

  @Test
  void podAnnotationsAreMergedWithTheMeshsAndWin() {
    Deployment d = Chart.render(Map.of("mesh.linkerd.enabled", true, "podAnnotations.config\\.linkerd\\.io/proxy-await", "disabled",
        "podAnnotations.example\\.com/team", "shop")).get(Deployment.class);
    Map<String, String> annotations = podAnnotations(d);
    assertEquals("disabled", annotations.get("config.linkerd.io/proxy-await"));
    assertEquals("shop", annotations.get("example.com/team"));
    assertEquals("enabled", annotations.get("linkerd.io/inject"));
  }

  @Test
  void twoMeshesAreRejected() {
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("mesh.istio.enabled", true, "mesh.linkerd.enabled", true)));
    assertTrue(e.getMessage().contains("mesh.istio.enabled and mesh.linkerd.enabled: enable at most one mesh"), e.getMessage());
  }

  @Test
  void securityContextIsHardened() {
    Deployment d = Chart.render(Map.of()).get(Deployment.class);
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    assertTrue(pod.getSecurityContext().getRunAsNonRoot());
    assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
    var c = container(d).getSecurityContext();
    assertTrue(c.getReadOnlyRootFilesystem());
    assertFalse(c.getAllowPrivilegeEscalation());
    assertEquals(List.of("ALL"), c.getCapabilities().getDrop());
    assertEquals("/tmp", container(d).getVolumeMounts().get(0).getMountPath());
    assertEquals("tmp", pod.getVolumes().get(0).getName());
    assertTrue(pod.getVolumes().get(0).getEmptyDir() != null);
  }

  @Test
  void standardLabelsEverywhere() {
    for (var o : Chart.render(Map.of("serviceMonitor.enabled", true, "autoscaling.enabled", true)).objects()) {
      Map<String, String> labels = o.getMetadata().getLabels();
      for (String key : List.of("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
          "app.kubernetes.io/managed-by", "helm.sh/chart")) {
        assertTrue(labels.containsKey(key), o.getKind() + " lacks " + key);
      }
    }
  }

  @Test
  void everyObjectAndTheRoleBindingSubjectAreInTheReleaseNamespace() {
    Chart.Rendered r = new Chart.Rendered(Chart.parse(Chart.template("shop",
        Map.of("serviceMonitor.enabled", true, "autoscaling.enabled", true, "networkPolicy.enabled", true))));
    assertEquals(12, r.objects().size(), "every kind the chart has, helm test's included: " + r.kinds());
    for (var o : r.objects()) {
      assertEquals("shop", o.getMetadata().getNamespace(), o.getKind() + " " + o.getMetadata().getName());
    }
    assertEquals("shop", r.get(RoleBinding.class).getSubjects().get(0).getNamespace());
  }

  @Test
  void optionalObjects() {
    Chart.Rendered defaults = Chart.render(Map.of());
    assertEquals(java.util.Set.of("ServiceAccount", "Role", "RoleBinding", "Service", "Deployment", "PodDisruptionBudget", "Pod"),
        java.util.Set.copyOf(defaults.kinds()));
    assertEquals(8, defaults.kinds().size(), "and the helm test's Service: " + defaults.kinds());
    assertEquals(1, defaults.get(PodDisruptionBudget.class).getSpec().getMaxUnavailable().getIntVal());

    Chart.Rendered all = Chart.render(Map.of("autoscaling.enabled", true, "serviceMonitor.enabled", true));
    assertEquals(10, all.get(HorizontalPodAutoscaler.class).getSpec().getMaxReplicas());
    assertNull(all.get(Deployment.class).getSpec().getReplicas(), "the HPA owns the replica count");
    assertTrue(all.generic("ServiceMonitor").isPresent());
    Service metrics = all.objects().stream().filter(o -> o instanceof Service && o.getMetadata().getName().endsWith("-metrics"))
        .map(Service.class::cast).findFirst().orElseThrow();
    assertTrue(metrics.getSpec().getPublishNotReadyAddresses(), "scraping continues while a pod drains, and the runtime ignores it");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "terminationGracePeriodSeconds | thirty | '/terminationGracePeriodSeconds'",
      "terminationGracePeriodSeconds | 1      | '/terminationGracePeriodSeconds'",
      "replicaCount                  | -1     | '/replicaCount'",
      "service.type                  | Public | '/service/type': value must be one of 'ClusterIP', 'NodePort', 'LoadBalancer'",
      "ports.http                    | 70000  | '/ports/http': maximum: got 70,000, want 65,535",
      "shutdown.endpointWaitShare    | 95%    | '/shutdown/endpointWaitShare'",
      "shutdown.propagationDelay     | 2      | '/shutdown/propagationDelay'",
      "readinessGate.conditionType   | bad gate! | '/readinessGate/conditionType'",
      "replicas                      | 3      | 'replicas' not allowed",
      "verticles                     | 'com.example.A;rm -rf' | '/verticles'",
      "mesh.readyTimeout             | 0s     | '/mesh/readyTimeout'",
      "mesh.istio.enabled            | yes    | '/mesh/istio/enabled'",
      "mesh.consul.enabled           | true   | 'consul' not allowed",
  })
  void badValuesAreRejectedNamingTheValue(String key, String value, String named) {
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of(key, value)));
    assertTrue(e.getMessage().contains(named), e.getMessage());
  }

  @ParameterizedTest(name = "podDisruptionBudget.maxUnavailable={0}")
  @CsvSource({"'one'", "'-1'", "'25 pods'", "'101%'", "'25 %'", "'%'", "'1.5'"})
  void podDisruptionBudgetTakesOnlyACountOrAPercentage(String value) {
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("podDisruptionBudget.maxUnavailable", value)));
    assertTrue(e.getMessage().contains("at '/podDisruptionBudget/maxUnavailable'") && e.getMessage().contains(value), e.getMessage());
  }

  @Test
  void podDisruptionBudgetCountsAndPercentagesRender() {
    assertEquals(2, Chart.render(Map.of("podDisruptionBudget.maxUnavailable", 2)).get(PodDisruptionBudget.class)
        .getSpec().getMaxUnavailable().getIntVal());
    for (String percent : List.of("0%", "25%", "100%")) {
      assertEquals(percent, Chart.render(Map.of("podDisruptionBudget.maxUnavailable", percent)).get(PodDisruptionBudget.class)
          .getSpec().getMaxUnavailable().getStrVal());
    }
  }

  @Test
  void autoscalingMinAboveMaxIsRejectedNamingBoth() {
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("autoscaling.enabled", true,
        "autoscaling.minReplicas", 5, "autoscaling.maxReplicas", 3)));
    assertTrue(e.getMessage().contains("autoscaling.minReplicas (5) must not be greater than autoscaling.maxReplicas (3)"), e.getMessage());
    HorizontalPodAutoscaler equal = Chart.render(Map.of("autoscaling.enabled", true, "autoscaling.minReplicas", 4,
        "autoscaling.maxReplicas", 4)).get(HorizontalPodAutoscaler.class);
    assertEquals(4, equal.getSpec().getMinReplicas());
    assertEquals(4, equal.getSpec().getMaxReplicas());
  }

  @Test
  void gracePeriodTooShortForTheWaitsIsRejected() {
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("terminationGracePeriodSeconds", 10)));
    assertTrue(e.getMessage().contains("shutdown.drainDelaySeconds + shutdown.stopTimeoutSeconds (10 s) must be less than"
        + " terminationGracePeriodSeconds minus shutdown.deadlineMarginMillis (9500 ms)"), e.getMessage());
  }
}
