package dev.graceful.runtime.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.config.Setting;
import dev.graceful.runtime.lifecycle.ExitCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The docs must match the code and hold together: the settings table is generated from {@link Setting}
 * ({@code -Dgraceful.updateDocs=true} rewrites it), every exit code is documented, the README gives the CI's test
 * command and stays a front page that links every page, and every relative link and anchor resolves.
 */
class DocsTest {

  private static final Path ROOT = Path.of("..");
  private static final Path README = ROOT.resolve("README.md");
  private static final Path DOCS = ROOT.resolve("docs");
  private static final Path CONFIGURATION = DOCS.resolve("configuration.md");
  private static final String TABLE_START = "<!-- generated from Setting.java by DocsTest (-Dgraceful.updateDocs=true rewrites it) -->\n";
  private static final String TABLE_END = "<!-- end of the generated settings -->";
  /** {@code [text](target)} outside code; targets with a scheme (https:, mailto:) are not checked. */
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  private static final Pattern FENCE = Pattern.compile("(?ms)^```.*?^```");

  private static String read(Path file) throws IOException {
    return Files.readString(file);
  }

  /** The settings table, as generated from the code. */
  static String settingsTable() {
    StringBuilder table = new StringBuilder("| setting | default | meaning |\n| --- | --- | --- |\n");
    for (Setting s : Setting.values()) {
      String defaultCell = s.defaultValue().isEmpty() ? "(empty)" : "`" + s.defaultValue() + "`";
      String meaning = s.description().replace("GRACEFUL_GRPC_TLS_CERT", "`GRACEFUL_GRPC_TLS_CERT`");
      table.append("| `").append(s.key()).append("` | ").append(defaultCell).append(" | ").append(meaning).append(" |\n");
    }
    return table.toString();
  }

  @Test
  void theSettingsTableIsTheOneGeneratedFromTheCode() throws IOException {
    String page = read(CONFIGURATION);
    int start = page.indexOf(TABLE_START);
    int end = page.indexOf(TABLE_END);
    assertTrue(start >= 0 && end > start, "docs/configuration.md lacks the generated table's markers");
    String committed = page.substring(start + TABLE_START.length(), end);
    if (Boolean.getBoolean("graceful.updateDocs")) {
      Files.writeString(CONFIGURATION, page.substring(0, start + TABLE_START.length()) + settingsTable() + page.substring(end));
      committed = settingsTable();
    }
    assertEquals(settingsTable(), committed, "docs/configuration.md's settings table is stale: rerun with -Dgraceful.updateDocs=true");
  }

  @Test
  void everyExitCodeIsDocumented() throws IOException {
    String lifecycle = read(DOCS.resolve("lifecycle.md"));
    for (ExitCode code : ExitCode.values()) {
      assertTrue(lifecycle.contains("| " + code.code() + " | "), "docs/lifecycle.md lacks exit code " + code.code() + " (" + code + ")");
    }
  }

  @Test
  void ciRunsTheReadmeTestCommand() throws IOException {
    String command = "mvn -B verify";
    assertTrue(read(README).contains("```sh\n" + command + "\n```"), "README must give the test command " + command);
    assertTrue(read(ROOT.resolve(".ci").resolve("run")).lines().anyMatch(l -> l.trim().equals(command)),
        ".ci/run must run the README's test command");
  }

  @Test
  void theReadmeIsAFrontPageThatLinksEveryPage() throws IOException {
    String readme = read(README);
    long lines = readme.lines().count();
    assertTrue(lines <= 150, "README.md has " + lines + " lines; move detail into docs/");
    try (Stream<Path> pages = Files.list(DOCS)) {
      for (Path page : pages.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
        assertTrue(readme.contains("](docs/" + page.getFileName() + ")"), "README.md does not link " + page);
      }
    }
  }

  @Test
  void everyRelativeLinkAndAnchorResolves() throws IOException {
    List<Path> files = new ArrayList<>(List.of(README, ROOT.resolve("bench/README.md"), ROOT.resolve("helm/graceful-runtime/README.md")));
    try (Stream<Path> pages = Files.list(DOCS)) {
      pages.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    Set<String> broken = new TreeSet<>();
    for (Path file : files) {
      Matcher link = LINK.matcher(FENCE.matcher(read(file)).replaceAll(""));
      while (link.find()) {
        String target = link.group(1);
        if (target.matches("^[a-z]+:.*")) {
          continue;
        }
        int hash = target.indexOf('#');
        String path = hash < 0 ? target : target.substring(0, hash);
        Path resolved = path.isEmpty() ? file : file.getParent().resolve(path).normalize();
        if (!Files.exists(resolved)) {
          broken.add(ROOT.relativize(file) + ": " + target + " (no such file)");
        } else if (hash >= 0 && resolved.toString().endsWith(".md")
            && !anchors(resolved).contains(target.substring(hash + 1))) {
          broken.add(ROOT.relativize(file) + ": " + target + " (no such heading)");
        }
      }
    }
    assertEquals(Set.of(), broken, "broken links");
  }

  /** GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as hyphens. */
  static Set<String> anchors(Path page) throws IOException {
    return FENCE.matcher(read(page)).replaceAll("").lines().filter(l -> l.matches("^#+ .*"))
        .map(l -> l.replaceFirst("^#+ ", "").trim().toLowerCase(Locale.ROOT).replace("`", "")
            .replaceAll("[^\\p{L}\\p{N}_\\- ]", "").replace(' ', '-'))
        .collect(Collectors.toSet());
  }
}
