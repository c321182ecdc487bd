package dev.graceful.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** The chart under test, rendered by Helm itself (helm-java) and parsed into fabric8's model. */
final class Chart {

  static final Path DIR = Path.of("graceful-runtime");
  static final String RELEASE = "graceful-runtime";
  static final String NAMESPACE = "default";
  /** The cluster version rendered for: helm-java's default (1.20) is below the chart's kubeVersion. */
  static final String KUBE_VERSION = "1.33.0";

  private Chart() {
  }

  /** Renders with the given {@code --set} values; throws Helm's error (schema, fail) as an exception. */
  static String template(Map<String, Object> values) {
    return template(NAMESPACE, values);
  }

  /**
   * Renders like {@code helm template} on the command line, hooks included: helm-java returns the release's manifest
   * only, so the hooks are rendered from a copy of the chart whose hook annotation Helm does not recognise, and the
   * annotation is put back in the output.
   */
  static String template(String namespace, Map<String, Object> values) {
    return template(namespace, values, KUBE_VERSION);
  }

  /** Rendered for a cluster of {@code kubeVersion}, as Helm reads it from the API server. */
  static String template(String namespace, Map<String, Object> values, String kubeVersion) {
    TemplateCommand template = new Helm(HOOKS_REVEALED.get()).template().withName(RELEASE).withNamespace(namespace)
        .withKubeVersion(kubeVersion);
    values.forEach(template::set);
    return template.call().replace(REVEALED_HOOK, HOOK);
  }

  private static final String HOOK = "helm.sh/hook:";
  private static final String REVEALED_HOOK = "helm.sh/hook-revealed-by-the-tests:";
  private static final Supplier<Path> HOOKS_REVEALED = memoize(Chart::copyWithHooksRevealed);

  private static Path copyWithHooksRevealed() {
    try {
      Path copy = Files.createTempDirectory("chart-").resolve(DIR.getFileName());
      try (Stream<Path> files = Files.walk(DIR)) {
        for (Path source : files.toList()) {
          Path target = copy.resolve(DIR.relativize(source).toString());
          if (Files.isDirectory(source)) {
            Files.createDirectories(target);
          } else {
            Files.writeString(target, Files.readString(source).replace(HOOK, REVEALED_HOOK));
          }
        }
      }
      return copy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T> Supplier<T> memoize(Supplier<T> supplier) {
    return new Supplier<>() {
      private T value;

      @Override
      public synchronized T get() {
        if (value == null) {
          value = supplier.get();
        }
        return value;
      }
    };
  }

  /**
   * NOTES.txt as {@code helm install} prints it: {@code helm template} never renders it, so this is a client-only dry-run
   * install (no cluster is contacted), in namespace {@code namespace}.
   */
  static String notes(String namespace, Map<String, Object> values) {
    InstallCommand install = new Helm(DIR).install().withName(RELEASE).withNamespace(namespace).withKubeVersion(KUBE_VERSION)
        .clientOnly().dryRun();
    values.forEach(install::set);
    String output = install.call().getOutput();
    int notes = output.indexOf("NOTES:\n");
    if (notes < 0) {
      throw new AssertionError("no NOTES in the install output:\n" + output);
    }
    return output.substring(notes + "NOTES:\n".length());
  }

  static Rendered render(Map<String, Object> values) {
    return new Rendered(parse(template(values)));
  }

  static List<HasMetadata> parse(String yaml) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String doc : yaml.split("(?m)^---\\s*$")) {
      String body = doc.lines().filter(l -> !l.startsWith("#")).reduce("", (a, b) -> a + b + "\n");
      if (!body.isBlank()) {
        objects.add(Serialization.unmarshal(body));
      }
    }
    return objects;
  }

  /** The objects of one rendering. */
  record Rendered(List<HasMetadata> objects) {

    <T extends HasMetadata> Optional<T> find(Class<T> type) {
      return objects.stream().filter(type::isInstance).map(type::cast).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> type) {
      return find(type).orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " rendered"));
    }

    Optional<GenericKubernetesResource> generic(String kind) {
      return objects.stream().filter(o -> kind.equals(o.getKind()) && o instanceof GenericKubernetesResource)
          .map(GenericKubernetesResource.class::cast).findFirst();
    }

    List<String> kinds() {
      return objects.stream().map(HasMetadata::getKind).toList();
    }
  }
}
