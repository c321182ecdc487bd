package dev.graceful.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The conventions users of Helm charts expect (bitnami's, Helm's best practices), beyond the runtime's own wiring. */
class ChartConventionsTest {

  private static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

  private static PodSpec pod(Chart.Rendered r) {
    return r.get(Deployment.class).getSpec().getTemplate().getSpec();
  }

  private static Container runtime(Chart.Rendered r) {
    return pod(r).getContainers().get(0);
  }

  private static Pod testPod(Chart.Rendered r) {
    return r.get(Pod.class);
  }

  private static String env(Container c, String name) {
    return c.getEnv().stream().filter(e -> name.equals(e.getName())).map(EnvVar::getValue).findFirst().orElse(null);
  }

  @Test
  void theImageIsTaggedByDefaultAndPinnedByDigest() {
    assertEquals("graceful-runtime:0.1.0", runtime(Chart.render(Map.of())).getImage());
    assertEquals("graceful-runtime@" + DIGEST, runtime(Chart.render(Map.of("image.digest", DIGEST, "image.tag", "9.9"))).getImage(),
        "a digest wins over a tag");
    assertEquals("mirror.example.com/graceful-runtime:0.1.0",
        runtime(Chart.render(Map.of("global.imageRegistry", "mirror.example.com"))).getImage());
    Chart.Rendered own = Chart.render(Map.of("global.imageRegistry", "mirror.example.com", "image.registry", "own.example.com",
        "image.digest", DIGEST));
    assertEquals("own.example.com/graceful-runtime@" + DIGEST, runtime(own).getImage(), "image.registry wins over the global one");
    assertEquals(runtime(own).getImage(), testPod(own).getSpec().getContainers().get(0).getImage(), "helm test runs the same image");
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("image.digest", "latest")));
    assertTrue(e.getMessage().contains("/image/digest"), e.getMessage());
  }

  @Test
  void withoutKubernetesTheRuntimeIsToldAndGetsNoRoleNorToken() {
    Chart.Rendered on = Chart.render(Map.of());
    assertTrue(pod(on).getAutomountServiceAccountToken());
    assertNull(env(runtime(on), "GRACEFUL_KUBERNETES"));
    assertFalse(on.find(Role.class).isEmpty());
    assertFalse(on.get(ServiceAccount.class).getAutomountServiceAccountToken(), "the pod spec, not the account, mounts the token");

    Chart.Rendered off = Chart.render(Map.of("kubernetes.enabled", false));
    assertEquals("false", env(runtime(off), "GRACEFUL_KUBERNETES"));
    assertFalse(pod(off).getAutomountServiceAccountToken());
    assertTrue(off.find(Role.class).isEmpty());
    assertTrue(off.find(RoleBinding.class).isEmpty());

    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("kubernetes.enabled", false,
        "readinessGate.enabled", true)));
    assertTrue(e.getMessage().contains("readinessGate.enabled needs kubernetes.enabled"), e.getMessage());
  }

  @Test
  void commonLabelsAndAnnotationsReachEveryObjectAndThePods() {
    Chart.Rendered r = Chart.render(Map.of("commonLabels.team", "shop", "commonAnnotations.example\\.com/owner", "shop-team",
        "serviceMonitor.enabled", true, "autoscaling.enabled", true, "networkPolicy.enabled", true,
        "serviceAccount.annotations.example\\.com/role", "shop"));
    for (HasMetadata o : r.objects()) {
      String what = o.getKind() + " " + o.getMetadata().getName();
      assertEquals("shop", o.getMetadata().getLabels().get("team"), what);
      assertEquals("shop-team", o.getMetadata().getAnnotations().get("example.com/owner"), what);
    }
    assertEquals("shop", r.get(ServiceAccount.class).getMetadata().getAnnotations().get("example.com/role"), "merged, not replaced");
    assertEquals("shop", r.get(Deployment.class).getSpec().getTemplate().getMetadata().getLabels().get("team"));
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("commonLabels.team", 3)));
    assertTrue(e.getMessage().contains("/commonLabels/team"), e.getMessage());
  }

  @Test
  void podLabelsMergeWithoutDuplicatesAndNeverReplaceTheSelector() {
    Deployment d = Chart.render(Map.of("commonLabels.team", "shop", "podLabels.team", "checkout",
        "podLabels.app\\.kubernetes\\.io/name", "other", "mesh.istio.enabled", true)).get(Deployment.class);
    Map<String, String> labels = d.getSpec().getTemplate().getMetadata().getLabels();
    assertEquals("checkout", labels.get("team"), "podLabels win over commonLabels");
    assertEquals("graceful-runtime", labels.get("app.kubernetes.io/name"), "the selector's labels win: the pods stay selected");
    assertEquals("true", labels.get("sidecar.istio.io/inject"));
    assertEquals(d.getSpec().getSelector().getMatchLabels().entrySet().stream().filter(e -> labels.get(e.getKey()).equals(e.getValue()))
        .count(), d.getSpec().getSelector().getMatchLabels().size());
  }

  @Test
  void theTestPodIsNoneOfTheReleasesPodsAndItsClientLabelFitsForLongNames() {
    Chart.Rendered r = Chart.render(Map.of("networkPolicy.enabled", true, "networkPolicy.allowExternal", false,
        "fullnameOverride", "a-release-name-that-is-quite-long-for-a-shop-checkout-api-x"));
    Map<String, String> selector = r.get(Deployment.class).getSpec().getSelector().getMatchLabels();
    Map<String, String> testLabels = testPod(r).getMetadata().getLabels();
    assertFalse(selector.entrySet().stream().allMatch(e -> e.getValue().equals(testLabels.get(e.getKey()))),
        "the Service, PDB, HPA and NetworkPolicy must not select the test pod: " + testLabels);
    String client = r.get(NetworkPolicy.class).getSpec().getIngress().get(0).getFrom().get(0).getPodSelector().getMatchLabels()
        .keySet().iterator().next();
    assertTrue(client.length() <= 63, client);
    assertEquals("true", testLabels.get(client), "the test pod passes a NetworkPolicy that admits labelled clients only");
  }

  @Test
  void namesCanBeOverridden() {
    Chart.Rendered name = Chart.render(Map.of("nameOverride", "shop"));
    assertEquals("graceful-runtime-shop", name.get(Deployment.class).getMetadata().getName());
    assertEquals("shop", name.get(Deployment.class).getSpec().getSelector().getMatchLabels().get("app.kubernetes.io/name"));
    Chart.Rendered full = Chart.render(Map.of("fullnameOverride", "shop-api"));
    for (HasMetadata o : full.objects()) {
      assertTrue(o.getMetadata().getName().startsWith("shop-api"), o.getKind() + " " + o.getMetadata().getName());
    }
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("fullnameOverride", "Shop_API")));
    assertTrue(e.getMessage().contains("/fullnameOverride"), e.getMessage());
  }

  @Test
  void deploymentSettings() {
    Deployment defaults = Chart.render(Map.of()).get(Deployment.class);
    assertEquals(0, defaults.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal(),
        "never below the wanted capacity by default");
    assertEquals(5, defaults.getSpec().getRevisionHistoryLimit());
    assertNull(defaults.getSpec().getMinReadySeconds());
    Deployment set = Chart.render(Map.of("strategy.type", "Recreate", "minReadySeconds", 10, "revisionHistoryLimit", 2,
        "priorityClassName", "critical")).get(Deployment.class);
    assertEquals("Recreate", set.getSpec().getStrategy().getType());
    assertNull(set.getSpec().getStrategy().getRollingUpdate(), "Kubernetes rejects rollingUpdate with Recreate");
    assertEquals(10, set.getSpec().getMinReadySeconds());
    assertEquals(2, set.getSpec().getRevisionHistoryLimit());
    assertEquals("critical", set.getSpec().getTemplate().getSpec().getPriorityClassName());
  }

  @Test
  void extraEnvEnvFromVolumesInitContainersAndSidecars() {
    Chart.Rendered r = Chart.render(Map.ofEntries(
        Map.entry("extraEnv[0].name", "GRACEFUL_GRPC_TLS_CERT"), Map.entry("extraEnv[0].value", "/certs/tls.crt"),
        Map.entry("extraEnv[1].name", "DB_PASSWORD"), Map.entry("extraEnv[1].valueFrom.secretKeyRef.name", "db"),
        Map.entry("extraEnv[1].valueFrom.secretKeyRef.key", "password"),
        Map.entry("envFrom[0].configMapRef.name", "shop"),
        Map.entry("extraVolumes[0].name", "certs"), Map.entry("extraVolumes[0].secret.secretName", "shop-tls"),
        Map.entry("extraVolumeMounts[0].name", "certs"), Map.entry("extraVolumeMounts[0].mountPath", "/certs"),
        Map.entry("initContainers[0].name", "migrate"), Map.entry("initContainers[0].image", "shop-migrations:1"),
        Map.entry("sidecars[0].name", "log-shipper"), Map.entry("sidecars[0].image", "shipper:2")));
    Container runtime = runtime(r);
    assertEquals("/certs/tls.crt", env(runtime, "GRACEFUL_GRPC_TLS_CERT"));
    assertEquals("password", runtime.getEnv().stream().filter(e -> e.getName().equals("DB_PASSWORD")).findFirst().orElseThrow()
        .getValueFrom().getSecretKeyRef().getKey());
    assertEquals("shop", runtime.getEnvFrom().get(0).getConfigMapRef().getName());
    assertEquals(List.of("/tmp", "/certs"), runtime.getVolumeMounts().stream().map(m -> m.getMountPath()).toList());
    assertEquals("shop-tls", pod(r).getVolumes().stream().filter(v -> v.getName().equals("certs")).findFirst().orElseThrow()
        .getSecret().getSecretName());
    assertEquals("migrate", pod(r).getInitContainers().get(0).getName());
    assertEquals(List.of("runtime", "log-shipper"), pod(r).getContainers().stream().map(Container::getName).toList(),
        "the runtime stays the first container");
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("env[0].name", "X", "env[0].value", "y")));
    assertTrue(e.getMessage().contains("'env' not allowed"), "env was renamed extraEnv: " + e.getMessage());
  }

  @Test
  void autoscalerBehaviorAndEvictionPolicy() {
    Chart.Rendered r = Chart.render(Map.of("autoscaling.enabled", true,
        "autoscaling.behavior.scaleDown.stabilizationWindowSeconds", 300,
        "podDisruptionBudget.unhealthyPodEvictionPolicy", "AlwaysAllow"));
    assertEquals(300, r.get(io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler.class).getSpec()
        .getBehavior().getScaleDown().getStabilizationWindowSeconds());
    assertEquals("AlwaysAllow", r.get(PodDisruptionBudget.class).getSpec().getUnhealthyPodEvictionPolicy());
    assertNull(Chart.render(Map.of()).get(PodDisruptionBudget.class).getSpec().getUnhealthyPodEvictionPolicy());
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("podDisruptionBudget.unhealthyPodEvictionPolicy", "Never")));
    assertTrue(e.getMessage().contains("/podDisruptionBudget/unhealthyPodEvictionPolicy"), e.getMessage());
  }

  @Test
  void networkPolicyOpensTheApplicationAndManagementPortsAndKeepsTheApiReachable() {
    assertTrue(Chart.render(Map.of()).find(NetworkPolicy.class).isEmpty(), "off by default");
    NetworkPolicy open = Chart.render(Map.of("networkPolicy.enabled", true)).get(NetworkPolicy.class);
    assertEquals(List.of("Ingress"), open.getSpec().getPolicyTypes(), "egress is not limited by default");
    assertEquals(List.of("http", "grpc"), ports(open.getSpec().getIngress().get(0).getPorts()));
    assertTrue(open.getSpec().getIngress().get(0).getFrom().isEmpty());
    assertEquals(List.of("management"), ports(open.getSpec().getIngress().get(1).getPorts()), "the kubelet's probes and scraping");

    NetworkPolicy closed = Chart.render(Map.of("networkPolicy.enabled", true, "networkPolicy.allowExternal", false,
        "networkPolicy.allowExternalEgress", false, "networkPolicy.kubernetesApi.cidrs[0]", "192.0.2.10/32")).get(NetworkPolicy.class);
    assertEquals(List.of("Ingress", "Egress"), closed.getSpec().getPolicyTypes());
    assertEquals("true", closed.getSpec().getIngress().get(0).getFrom().get(0).getPodSelector().getMatchLabels()
        .get("graceful-runtime-client"));
    assertEquals(List.of("53", "53"), ports(closed.getSpec().getEgress().get(0).getPorts()), "DNS");
    assertEquals(List.of("443", "6443"), ports(closed.getSpec().getEgress().get(1).getPorts()), "the API server");
    assertEquals("192.0.2.10/32", closed.getSpec().getEgress().get(1).getTo().get(0).getIpBlock().getCidr());
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("networkPolicy.kubernetesApi.cidrs[0]", "apiserver")));
    assertTrue(e.getMessage().contains("/networkPolicy/kubernetesApi/cidrs/0"), e.getMessage());
  }

  private static List<String> ports(List<NetworkPolicyPort> ports) {
    return ports.stream().map(p -> p.getPort().getStrVal() != null ? p.getPort().getStrVal() : String.valueOf(p.getPort().getIntVal()))
        .toList();
  }

  @Test
  void helmTestChecksTheReleaseThroughItsServicesWithTheChartsImage() {
    Chart.Rendered r = Chart.render(Map.of());
    Pod test = testPod(r);
    assertEquals("test", test.getMetadata().getAnnotations().get("helm.sh/hook"));
    assertEquals("Never", test.getSpec().getRestartPolicy());
    assertFalse(test.getSpec().getAutomountServiceAccountToken());
    Container check = test.getSpec().getContainers().get(0);
    assertTrue(check.getCommand().isEmpty(), "the image's own entry point, so its class path and JVM flags apply");
    assertEquals(List.of("check", "--host", "$(GRACEFUL_RUNTIME_SERVICE_HOST)", "--host-name", "graceful-runtime.default.svc",
        "--http-port", "80", "--http-path", "/delay?ms=0", "--http-status", "200", "--grpc-port", "9090",
        "--probes-host", "$(GRACEFUL_RUNTIME_PROBES_SERVICE_HOST)", "--probes-host-name", "graceful-runtime-probes.default.svc",
        "--management-port", "9000"), check.getArgs());
    Service probes = r.objects().stream().filter(o -> o instanceof Service && o.getMetadata().getName().endsWith("-probes"))
        .map(Service.class::cast).findFirst().orElseThrow();
    assertEquals("test", probes.getMetadata().getAnnotations().get("helm.sh/hook"));
    assertEquals("-1", probes.getMetadata().getAnnotations().get("helm.sh/hook-weight"), "created before the pod reads its variables");
    assertTrue(probes.getSpec().getPublishNotReadyAddresses(), "so the runtime's endpoint wait ignores it");
    assertEquals(List.of(9000), probes.getSpec().getPorts().stream().map(p -> p.getPort()).toList());

    assertTrue(Chart.render(Map.of("tests.enabled", false)).find(Pod.class).isEmpty());
    assertEquals("/orders", testPod(Chart.render(Map.of("tests.httpPath", "/orders"))).getSpec().getContainers().get(0).getArgs()
        .get(8));
    Exception e = assertThrows(Exception.class, () -> Chart.template(Map.of("tests.httpPath", "orders")));
    assertTrue(e.getMessage().contains("/tests/httpPath"), e.getMessage());
  }
}
