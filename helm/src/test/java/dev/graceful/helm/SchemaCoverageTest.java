package dev.graceful.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No value the schema accepts may be silently ignored: for every leaf of {@code values.schema.json}, a valid value other
 * than the default must change what the chart renders. Leaves are found by walking the schema, so a new value is covered
 * (or this test names it) without editing the test, except to give a sample when the value is a string or free-form.
 */
class SchemaCoverageTest {

  /** Values to set for leaves whose other valid value cannot be derived from the schema (strings with patterns, free-form). */
  private static final Map<String, Map<String, Object>> SAMPLES = Map.ofEntries(
      Map.entry("nameOverride", Map.of("nameOverride", "shop")),
      Map.entry("fullnameOverride", Map.of("fullnameOverride", "shop-api")),
      Map.entry("commonLabels", Map.of("commonLabels.team", "shop")),
      Map.entry("commonAnnotations", Map.of("commonAnnotations.example\\.com/owner", "shop")),
      Map.entry("global.imageRegistry", Map.of("global.imageRegistry", "mirror.example.com")),
      Map.entry("image.registry", Map.of("image.registry", "registry.example.com")),
      Map.entry("image.repository", Map.of("image.repository", "registry.example.com/shop")),
      Map.entry("image.tag", Map.of("image.tag", "1.2.3")),
      Map.entry("image.digest", Map.of("image.digest", "sha256:" + "ab".repeat(32))),
      Map.entry("strategy.rollingUpdate", Map.of("strategy.rollingUpdate.maxSurge", 1)),
      Map.entry("priorityClassName", Map.of("priorityClassName", "high")),
      Map.entry("extraEnv", Map.of("extraEnv[0].name", "EXTRA", "extraEnv[0].value", "extra")),
      Map.entry("envFrom", Map.of("envFrom[0].secretRef.name", "shop")),
      Map.entry("extraVolumes", Map.of("extraVolumes[0].name", "certs", "extraVolumes[0].secret.secretName", "certs")),
      Map.entry("extraVolumeMounts", Map.of("extraVolumeMounts[0].name", "certs", "extraVolumeMounts[0].mountPath", "/certs")),
      Map.entry("initContainers", Map.of("initContainers[0].name", "init", "initContainers[0].image", "busybox")),
      Map.entry("sidecars", Map.of("sidecars[0].name", "log", "sidecars[0].image", "busybox")),
      Map.entry("autoscaling.behavior", Map.of("autoscaling.behavior.scaleDown.stabilizationWindowSeconds", 60)),
      Map.entry("serviceMonitor.scrapeTimeout", Map.of("serviceMonitor.scrapeTimeout", "10s")),
      Map.entry("serviceMonitor.relabelings", Map.of("serviceMonitor.relabelings[0].action", "labeldrop",
          "serviceMonitor.relabelings[0].regex", "pod_template_hash")),
      Map.entry("serviceMonitor.metricRelabelings", Map.of("serviceMonitor.metricRelabelings[0].action", "drop",
          "serviceMonitor.metricRelabelings[0].regex", "jvm_buffer_.*")),
      Map.entry("networkPolicy.extraIngress", Map.of("networkPolicy.extraIngress[0].ports[0].port", 8443)),
      Map.entry("networkPolicy.kubernetesApi.ports", Map.of("networkPolicy.kubernetesApi.ports[0]", 8443)),
      Map.entry("networkPolicy.kubernetesApi.cidrs", Map.of("networkPolicy.kubernetesApi.cidrs[0]", "192.0.2.10/32")),
      Map.entry("networkPolicy.extraEgress", Map.of("networkPolicy.extraEgress[0].ports[0].port", 5432)),
      Map.entry("tests.httpPath", Map.of("tests.httpPath", "/healthz")),
      // auto resolves to true on the clusters the tests render for (1.33): false is the value that changes the render.
      Map.entry("mesh.istio.nativeSidecar", Map.of("mesh.istio.nativeSidecar", false)),
      Map.entry("mesh.linkerd.nativeSidecar", Map.of("mesh.linkerd.nativeSidecar", false)),
      Map.entry("imagePullSecrets", Map.of("imagePullSecrets[0].name", "regcred")),
      Map.entry("verticles", Map.of("verticles", "com.example.Shop")),
      Map.entry("shutdown.propagationDelay", Map.of("shutdown.propagationDelay", "3s")),
      Map.entry("shutdown.endpointWaitShare", Map.of("shutdown.endpointWaitShare", "40%")),
      Map.entry("readinessGate.conditionType", Map.of("readinessGate.conditionType", "example.com/ready")),
      Map.entry("mesh.readyTimeout", Map.of("mesh.readyTimeout", "2m")),
      Map.entry("resources", Map.of("resources.limits.cpu", "2")),
      Map.entry("serviceAccount.name", Map.of("serviceAccount.name", "shop")),
      Map.entry("serviceAccount.annotations", Map.of("serviceAccount.annotations.example\\.com/role", "shop")),
      Map.entry("podDisruptionBudget.maxUnavailable", Map.of("podDisruptionBudget.maxUnavailable", "25%")),
      Map.entry("serviceMonitor.interval", Map.of("serviceMonitor.interval", "15s")),
      Map.entry("serviceMonitor.labels", Map.of("serviceMonitor.labels.release", "prometheus")),
      Map.entry("podSecurityContext", Map.of("podSecurityContext.supplementalGroups[0]", 2000)),
      Map.entry("securityContext", Map.of("securityContext.runAsUser", 10002)),
      Map.entry("podAnnotations", Map.of("podAnnotations.example\\.com/team", "shop")),
      Map.entry("podLabels", Map.of("podLabels.team", "shop")),
      Map.entry("nodeSelector", Map.of("nodeSelector.disktype", "ssd")),
      Map.entry("tolerations", Map.of("tolerations[0].key", "dedicated", "tolerations[0].operator", "Exists")),
      Map.entry("affinity", Map.of("affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", 1,
          "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].key", "disktype",
          "affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].operator", "Exists")));

  /** Values that only matter with a switch elsewhere on (a sibling {@code enabled} is turned on without being listed). */
  private static final Map<String, Map<String, Object>> CONTEXT = Map.of(
      "mesh.readyTimeout", Map.of("mesh.istio.enabled", true),
      "mesh.waitBeforeVerticles", Map.of("mesh.istio.enabled", true),
      "networkPolicy.extraEgress", Map.of("networkPolicy.allowExternalEgress", false),
      "networkPolicy.kubernetesApi.ports", Map.of("networkPolicy.enabled", true, "networkPolicy.allowExternalEgress", false),
      "networkPolicy.kubernetesApi.cidrs", Map.of("networkPolicy.enabled", true, "networkPolicy.allowExternalEgress", false));

  /** Schema leaves the chart reads on purpose nowhere, with the reason. */
  private static final Map<String, String> EXEMPT = Map.of();

  private static final Map<String, Object> SCHEMA = read("values.schema.json");
  private static final Map<String, Object> DEFAULTS = read("values.yaml");
  private static final Map<Map<String, Object>, String> RENDERED = new HashMap<>();

  @SuppressWarnings("unchecked")
  private static Map<String, Object> read(String file) {
    try {
      return Serialization.unmarshal(Files.readString(Chart.DIR.resolve(file)), Map.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o == null ? Map.of() : (Map<String, Object>) o;
  }

  /** Every leaf of the schema, by dotted path, with its schema. */
  static Map<String, Map<String, Object>> leaves() {
    Map<String, Map<String, Object>> leaves = new LinkedHashMap<>();
    collect("", SCHEMA, leaves);
    return leaves;
  }

  private static void collect(String prefix, Map<String, Object> schema, Map<String, Map<String, Object>> leaves) {
    map(schema.get("properties")).forEach((name, child) -> {
      String path = prefix.isEmpty() ? name : prefix + "." + name;
      Map<String, Object> childSchema = map(child);
      if (childSchema.containsKey("properties")) {
        collect(path, childSchema, leaves);
      } else {
        leaves.put(path, childSchema);
      }
    });
  }

  static List<String> leafPaths() {
    return new ArrayList<>(leaves().keySet());
  }

  private static Object defaultOf(String path) {
    Object node = DEFAULTS;
    for (String part : path.split("\\.")) {
      node = map(node).get(part);
    }
    return node;
  }

  private static Map<String, Object> schemaOf(String path) {
    Map<String, Object> node = SCHEMA;
    for (String part : path.split("\\.")) {
      node = map(map(node.get("properties")).get(part));
    }
    return node;
  }

  private static List<?> types(Map<String, Object> schema) {
    Object type = schema.get("type");
    return type instanceof List<?> list ? list : type == null ? List.of() : List.of(type);
  }

  /** A valid value other than the default, from the sample list or derived from the schema. */
  private static Map<String, Object> mutation(String path, Map<String, Object> schema) {
    if (SAMPLES.containsKey(path)) {
      return SAMPLES.get(path);
    }
    Object current = defaultOf(path);
    if (schema.get("enum") instanceof List<?> values) {
      Object other = values.stream().filter(v -> !v.equals(current)).findFirst()
          .orElseThrow(() -> new AssertionError(path + ": enum with a single value"));
      return Map.of(path, other);
    }
    if (types(schema).contains("boolean") && current instanceof Boolean b) {
      return Map.of(path, !b);
    }
    if (types(schema).contains("integer") && current instanceof Number n) {
      long value = n.longValue();
      long max = schema.get("maximum") instanceof Number m ? m.longValue() : Long.MAX_VALUE;
      return Map.of(path, value + 1 <= max ? value + 1 : value - 1);
    }
    fail(path + " (default " + current + ", schema " + schema + "): add a valid non-default value to SAMPLES");
    return null;
  }

  /** Switches the value needs on: the sibling {@code enabled}, and anything listed in CONTEXT. */
  private static Map<String, Object> context(String path) {
    Map<String, Object> context = new HashMap<>(CONTEXT.getOrDefault(path, Map.of()));
    int dot = path.lastIndexOf('.');
    if (dot > 0 && !path.endsWith(".enabled")) {
      String parent = path.substring(0, dot);
      if (map(schemaOf(parent).get("properties")).containsKey("enabled")) {
        context.put(parent + ".enabled", true);
      }
    }
    return context;
  }

  private static String render(Map<String, Object> values) {
    return RENDERED.computeIfAbsent(values, Chart::template);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("leafPaths")
  void everySchemaValueChangesTheRenderedChart(String path) {
    if (EXEMPT.containsKey(path)) {
      return;
    }
    Map<String, Object> schema = leaves().get(path);
    Map<String, Object> context = context(path);
    Map<String, Object> changed = new HashMap<>(context);
    Map<String, Object> mutation = mutation(path, schema);
    changed.putAll(mutation);
    String before = render(Map.copyOf(context));
    String after;
    try {
      after = render(Map.copyOf(changed));
    } catch (RuntimeException e) {
      throw new AssertionError("the chart rejects " + mutation + " (with " + context + "): " + e.getMessage(), e);
    }
    assertFalse(before.equals(after), path + " is accepted by values.schema.json but ignored by the templates: setting "
        + mutation + " (with " + context + ") renders the same objects");
  }

  @Test
  void samplesContextsAndExemptionsNameSchemaLeaves() {
    Set<String> leaves = leaves().keySet();
    Set<String> named = new TreeSet<>(SAMPLES.keySet());
    named.addAll(CONTEXT.keySet());
    named.addAll(EXEMPT.keySet());
    named.removeAll(leaves);
    assertEquals(Set.of(), named, "not leaves of values.schema.json (stale entries in this test)");
    assertTrue(leaves.contains("probes.startup.timeoutSeconds") && leaves.contains("probes.liveness.timeoutSeconds"),
        "the walk reaches the probe blocks: " + leaves);
  }

  @Test
  void startupAndLivenessProbesTakeNoSuccessThreshold() {
    for (String probe : List.of("startup", "liveness")) {
      Exception e = assertThrows(Exception.class,
          () -> Chart.template(Map.of("probes." + probe + ".successThreshold", 2)));
      assertTrue(e.getMessage().contains("'successThreshold' not allowed"), e.getMessage());
    }
  }
}
