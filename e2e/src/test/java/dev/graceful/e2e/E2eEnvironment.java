package dev.graceful.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether the end-to-end tests can run here. {@code GRACEFUL_E2E=require} (set by CI) turns a missing
 * prerequisite into a failure; otherwise the test is skipped with one line saying why.
 */
public final class E2eEnvironment {

  public static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  private E2eEnvironment() {
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

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
