package dev.graceful.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code k8s-manifests/} is the chart rendered with its defaults, for {@code kubectl apply -f} (namespace
 * {@code default}) and {@code kubectl apply -k} (any namespace, set in its {@code Kustomization}). This test renders it
 * again and fails when the committed copy differs; {@code -Dgraceful.updateManifests=true} rewrites it. It also checks
 * that the Kustomization lists every manifest and that every namespace in them is one kustomize rewrites.
 */
class ManifestsTest {

  static final Path DIR = Path.of("..", "k8s-manifests");
  static final Path MANIFEST = DIR.resolve("graceful-runtime.yaml");
  static final Path KUSTOMIZATION = DIR.resolve("Kustomization");
  private static final String HEADER = """
      # Generated from helm/graceful-runtime with its default values (release "graceful-runtime", namespace "default"),
      # without the labels that say Helm manages the objects. Any other namespace: see Kustomization beside this file.
      # Do not edit: change the chart, then run
      #   mvn -pl helm test -Dtest=ManifestsTest -Dgraceful.updateManifests=true
      """;
  /** Labels true of a Helm release only: kubectl, not Helm, manages the plain copy. */
  private static final Pattern HELM_ONLY_LABEL = Pattern.compile("^\\s+(helm\\.sh/chart: \\S+|app\\.kubernetes\\.io/managed-by: Helm)$");
  private static final Set<String> MANIFEST_EXTENSIONS = Set.of(".yaml", ".yml", ".json");

  /** The plain copy: the chart's defaults without the Helm-only labels and without the {@code helm test} hooks. */
  static String plain() {
    String rendered = Stream.of(Chart.template(Map.of()).split("(?m)^(?=---\\s*$)"))
        .filter(doc -> !doc.contains("helm.sh/hook:")).collect(Collectors.joining());
    return HEADER + rendered.lines().filter(l -> !HELM_ONLY_LABEL.matcher(l).matches()).collect(Collectors.joining("\n", "", "\n"));
  }

  private static List<HasMetadata> committed() throws IOException {
    return Chart.parse(Files.readString(MANIFEST));
  }

  @Test
  void committedManifestsMatchTheChartDefaults() throws IOException {
    String rendered = plain();
    if (Boolean.getBoolean("graceful.updateManifests")) {
      Files.writeString(MANIFEST, rendered);
    }
    assertEquals(rendered, Files.exists(MANIFEST) ? Files.readString(MANIFEST) : "<missing " + MANIFEST + ">",
        "k8s-manifests/ is stale: regenerate it with -Dgraceful.updateManifests=true");
  }

  @Test
  void thePlainCopyHasTheStandardLabelsButNoneThatSayHelm() throws IOException {
    List<HasMetadata> objects = committed();
    assertEquals(Set.of("ServiceAccount", "Role", "RoleBinding", "Service", "Deployment", "PodDisruptionBudget"),
        objects.stream().map(HasMetadata::getKind).collect(Collectors.toSet()));
    List<Map<String, String>> labelSets = new ArrayList<>();
    objects.forEach(o -> labelSets.add(o.getMetadata().getLabels()));
    objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
        .forEach(d -> labelSets.add(d.getSpec().getTemplate().getMetadata().getLabels()));
    for (Map<String, String> labels : labelSets) {
      assertFalse(labels.containsKey("helm.sh/chart"), "helm.sh/chart in the plain copy: " + labels);
      assertFalse(labels.containsKey("app.kubernetes.io/managed-by"), "app.kubernetes.io/managed-by in the plain copy: " + labels);
      for (String key : List.of("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
          "app.kubernetes.io/component", "app.kubernetes.io/part-of")) {
        assertTrue(labels.containsKey(key), "the plain copy lacks " + key + ": " + labels);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> kustomization() throws IOException {
    return Serialization.unmarshal(Files.readString(KUSTOMIZATION), Map.class);
  }

  @Test
  void theKustomizationListsEveryManifestAndEveryNamespaceIsOneKustomizeRewrites() throws IOException {
    Map<String, Object> kustomization = kustomization();
    assertEquals("Kustomization", kustomization.get("kind"));
    List<String> files;
    try (Stream<Path> list = Files.list(DIR)) {
      files = list.map(p -> p.getFileName().toString())
          .filter(name -> MANIFEST_EXTENSIONS.stream().anyMatch(name::endsWith)).sorted().toList();
    }
    assertEquals(files, kustomization.get("resources"),
        "the Kustomization's resources must be exactly the manifests that `kubectl apply -f k8s-manifests/` applies");
    String namespace = (String) kustomization.get("namespace");
    assertEquals(Chart.NAMESPACE, namespace, "the Kustomization names the namespace the manifests were rendered for");

    List<HasMetadata> objects = committed();
    Set<String> accounts = objects.stream().filter(ServiceAccount.class::isInstance).map(o -> o.getMetadata().getName())
        .collect(Collectors.toSet());
    for (HasMetadata o : objects) {
      // So that `kubectl apply -n other -f` is refused instead of binding the Role to an account in "default".
      assertEquals(namespace, o.getMetadata().getNamespace(), o.getKind() + " " + o.getMetadata().getName() + " metadata.namespace");
      if (o instanceof RoleBinding binding) {
        for (Subject s : binding.getSubjects()) {
          assertEquals("ServiceAccount", s.getKind(), "RoleBinding subject " + s.getName());
          assertTrue(accounts.contains(s.getName()),
              "RoleBinding subject " + s.getName() + " is not a ServiceAccount of the manifests, so kustomize would not move it");
          assertEquals(namespace, s.getNamespace(), "RoleBinding subject " + s.getName() + " namespace");
        }
      }
    }
    // Nothing else may carry a namespace: kustomize rewrites only metadata.namespace and those subjects.
    for (String doc : Files.readString(MANIFEST).split("(?m)^---\\s*$")) {
      if (doc.lines().allMatch(l -> l.isBlank() || l.startsWith("#"))) {
        continue;
      }
      Map<?, ?> tree = Serialization.unmarshal(doc, Map.class);
      List<String> paths = new ArrayList<>();
      namespaceKeys(tree, tree.get("kind") + ":", paths);
      List<String> allowed = List.of(tree.get("kind") + ":.metadata.namespace");
      List<String> unexpected = paths.stream().filter(p -> !allowed.contains(p) && !p.matches("RoleBinding:\\.subjects\\[\\d+]\\.namespace"))
          .toList();
      assertEquals(List.of(), unexpected, "namespaces kustomize would not rewrite");
    }
  }

  private static void namespaceKeys(Object node, String path, List<String> found) {
    if (node instanceof Map<?, ?> map) {
      map.forEach((k, v) -> {
        if ("namespace".equals(k)) {
          found.add(path + ".namespace");
        }
        namespaceKeys(v, path + "." + k, found);
      });
    } else if (node instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        namespaceKeys(list.get(i), path + "[" + i + "]", found);
      }
    }
  }

  private static Optional<Path> onPath(String command) {
    return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .filter(d -> !d.isEmpty()).map(d -> Path.of(d, command)).filter(Files::isExecutable).findFirst();
  }

  /** Kustomize itself (kubectl's built-in copy, or the standalone binary) moves the whole deployment to another namespace. */
  @Test
  void kustomizeMovesTheWholeDeploymentToAnotherNamespace(@TempDir Path dir) throws Exception {
    Optional<Path> kubectl = onPath("kubectl");
    Optional<Path> kustomize = onPath("kustomize");
    Assumptions.assumeTrue(kubectl.isPresent() || kustomize.isPresent(),
        "neither kubectl nor kustomize on PATH: the Kustomization is checked statically only");
    String source = Files.readString(KUSTOMIZATION);
    String moved = source.replaceAll("(?m)^namespace: " + Chart.NAMESPACE + "$", "namespace: shop");
    assertNotEquals(source, moved, "the Kustomization has no top-level `namespace: " + Chart.NAMESPACE + "` line to set");
    Files.writeString(dir.resolve("Kustomization"), moved);
    Files.copy(MANIFEST, dir.resolve(MANIFEST.getFileName()));

    List<String> command = kubectl.isPresent()
        ? List.of(kubectl.get().toString(), "kustomize", dir.toString())
        : List.of(kustomize.get().toString(), "build", dir.toString());
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail(command + " did not finish in 60 s");
    }
    String built = new String(out, StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), command + ":\n" + built);

    List<HasMetadata> objects = Chart.parse(built);
    assertEquals(committed().size(), objects.size(), built);
    for (HasMetadata o : objects) {
      assertEquals("shop", o.getMetadata().getNamespace(), o.getKind() + " " + o.getMetadata().getName());
    }
    RoleBinding binding = objects.stream().filter(RoleBinding.class::isInstance).map(RoleBinding.class::cast).findFirst().orElseThrow();
    assertEquals(List.of("shop"), binding.getSubjects().stream().map(Subject::getNamespace).toList(), "the RoleBinding's subject");
    assertFalse(Pattern.compile("(?m)namespace: " + Chart.NAMESPACE + "$").matcher(built).find(),
        "a namespace \"" + Chart.NAMESPACE + "\" is left:\n" + built);
  }
}
