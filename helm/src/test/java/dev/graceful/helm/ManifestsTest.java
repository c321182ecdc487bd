package dev.graceful.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code k8s-manifests/} is the chart rendered with its defaults, for {@code kubectl apply -f}. This test renders it
 * again and fails when the committed copy differs; {@code -Dgraceful.updateManifests=true} rewrites it.
 */
class ManifestsTest {

  static final Path MANIFEST = Path.of("..", "k8s-manifests", "graceful-runtime.yaml");
  private static final String HEADER = """
      # Generated from helm/graceful-runtime with its default values (release "graceful-runtime", namespace "default").
      # Do not edit: change the chart, then run
      #   mvn -pl helm test -Dtest=ManifestsTest -Dgraceful.updateManifests=true
      """;

  @Test
  void committedManifestsMatchTheChartDefaults() throws IOException {
    String rendered = HEADER + Chart.template(Map.of());
    if (Boolean.getBoolean("graceful.updateManifests")) {
      Files.writeString(MANIFEST, rendered);
    }
    assertEquals(rendered, Files.exists(MANIFEST) ? Files.readString(MANIFEST) : "<missing " + MANIFEST + ">",
        "k8s-manifests/ is stale: regenerate it with -Dgraceful.updateManifests=true");
  }
}
