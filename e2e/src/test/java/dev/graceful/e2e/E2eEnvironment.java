package dev.graceful.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether the end-to-end tests can run here. {@code GRACEFUL_E2E=require} (set by CI) turns a missing
 * prerequisite into a failure; otherwise the test is skipped with one line saying why.
 */
public final class E2eEnvironment {

  /** The repository root: the first of the working directory and its parents that holds e2e/controlplane. */
  public static final Path REPO = repositoryRoot();

  private E2eEnvironment() {
  }

  private static Path repositoryRoot() {
    // Maven runs the tests in e2e/, the benchmark harness runs from the root: both find the same repository.
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("e2e/controlplane"))) {
        return dir;
      }
    }
    throw new IllegalStateException("not inside the repository: no e2e/controlplane above " + Path.of("").toAbsolutePath());
  }

  static boolean required() {
    return "require".equals(System.getenv("GRACEFUL_E2E"));
  }

  /** Podman is there, or can be installed (root with apt-get). */
  static void assumePodman() {
    boolean installed = onPath("podman") && onPath("runc");
    boolean installable = "root".equals(System.getProperty("user.name")) && onPath("apt-get");
    String why = "podman is not installed and cannot be installed here (needs root and apt-get)";
    if (!installed && !installable) {
      if (required()) {
        throw new AssertionError("GRACEFUL_E2E=require but " + why);
      }
      Assumptions.abort(why);
    }
    if ("skip".equals(System.getenv("GRACEFUL_E2E"))) {
      Assumptions.abort("GRACEFUL_E2E=skip");
    }
  }

  /** Podman as above, and Go to build the control plane (installed on the project's machines). */
  static void assumeControlPlane() {
    assumePodman();
    if (!onPath("go") && !Files.isExecutable(Path.of("/usr/local/go/bin/go"))) {
      String why = "Go is not installed: the control plane is built from Go modules";
      if (required()) {
        throw new AssertionError("GRACEFUL_E2E=require but " + why);
      }
      Assumptions.abort(why);
    }
  }

  /** Runs a repository script, echoing its output with the script's name; fails when it fails. */
  public static String script(String path, String... args) throws IOException, InterruptedException {
    var command = new java.util.ArrayList<String>();
    command.add("bash");
    command.add(path);
    command.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
      String line;
      while ((line = in.readLine()) != null) {
        System.out.println("[" + Path.of(path).getFileName() + "] " + line);
        out.append(line).append('\n');
      }
    }
    if (!p.waitFor(80, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(path + " failed:\n" + out);
    }
    return out.toString();
  }

  /**
   * Builds the pinned Kubernetes binaries unless present (minutes on a cold cache): {@code controlplane} or
   * {@code node}; the script prints only the bin directory.
   */
  public static Path buildBinaries(String component) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", "e2e/controlplane/build-binaries.sh", component)
        .directory(REPO.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    if (!p.waitFor(60, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("e2e/controlplane/build-binaries.sh " + component + " failed");
    }
    return Path.of(out);
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
