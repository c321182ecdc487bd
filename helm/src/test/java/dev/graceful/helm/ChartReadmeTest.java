package dev.graceful.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code graceful-runtime/README.md} is what helm-docs generates from Chart.yaml, the {@code # --} comments of
 * values.yaml and README.md.gotmpl. This test generates it again (helm-docs is built from the Go module proxy into the
 * cache by {@code ensure-helm-docs.sh}) and fails when the committed copy differs, or when a value of the schema has no
 * row; {@code -Dgraceful.updateChartReadme=true} rewrites it.
 */
class ChartReadmeTest {

  private static final Path README = Chart.DIR.resolve("README.md");
  /** A row of the values table: key, type, default, description. */
  private static final Pattern ROW = Pattern.compile("(?m)^\\| ([A-Za-z0-9_.\\[\\]]+) \\| \\w+ \\| .* \\| (.*) \\|$");

  private static String run(List<String> command) throws IOException, InterruptedException {
    Path out = Files.createTempFile("helm-docs", ".out");
    Path err = Files.createTempFile("helm-docs", ".err");
    Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " took over 10 minutes");
    }
    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " exited " + process.exitValue() + ":\n" + stdout
          + Files.readString(err, StandardCharsets.UTF_8));
    }
    return stdout;
  }

  static String generated() throws IOException, InterruptedException {
    String ensured = run(List.of("bash", "ensure-helm-docs.sh")).strip();
    String helmDocs = ensured.substring(ensured.lastIndexOf("helm-docs-path=") + "helm-docs-path=".length());
    return run(List.of(helmDocs, "--chart-search-root", Chart.DIR.toString(), "--dry-run", "--sort-values-order", "file",
        "--log-level", "warning"));
  }

  @Test
  void committedReadmeIsWhatHelmDocsGenerates() throws Exception {
    String generated = generated();
    if (Boolean.getBoolean("graceful.updateChartReadme")) {
      Files.writeString(README, generated);
    }
    assertEquals(generated, Files.readString(README),
        "helm/graceful-runtime/README.md is stale: regenerate it with -Dgraceful.updateChartReadme=true");
  }

  @Test
  void everySchemaValueHasARow() throws Exception {
    Set<String> rows = new TreeSet<>();
    Matcher row = ROW.matcher(generated());
    while (row.find()) {
      if (!row.group(2).isBlank()) {
        rows.add(row.group(1));
      }
    }
    assertTrue(rows.size() > 50, "the table was found, with descriptions: " + rows);
    Set<String> missing = new TreeSet<>();
    for (String leaf : SchemaCoverageTest.leaves().keySet()) {
      // A value documented as a whole (strategy) covers the parts the schema checks (strategy.type).
      boolean covered = rows.stream().anyMatch(r -> leaf.equals(r) || leaf.startsWith(r + "."));
      if (!covered) {
        missing.add(leaf);
      }
    }
    assertEquals(Set.of(), missing, "values without a `# --` description in values.yaml");
  }
}
