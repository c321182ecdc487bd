package dev.graceful.e2e.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The podman commands the node agent needs, each bounded. */
final class Podman {

  private final Path containersConf;

  Podman(Path containersConf) {
    if (!Files.isRegularFile(containersConf)) {
      throw new IllegalArgumentException("podman configuration " + containersConf + " does not exist");
    }
    this.containersConf = containersConf;
  }

  /** Runs podman with the arguments; returns stdout, or throws with stderr on a non-zero exit. */
  String run(List<String> args, long timeoutSeconds) {
    List<String> command = new ArrayList<>();
    command.add("podman");
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("CONTAINERS_CONF", containersConf.toString());
    try {
      Process p = builder.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("podman " + args + " did not finish within " + timeoutSeconds + " s");
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.exitValue() != 0) {
        throw new IllegalStateException("podman " + args + " failed (" + p.exitValue() + "): " + out);
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("podman " + args + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  void signal(String container, String signal) {
    run(List.of("kill", "--signal", signal, container), 30);
  }

  /** The host PID of the container's main process; 0 when podman cannot say (the container already exited). */
  long pid(String container) {
    try {
      return Long.parseLong(run(List.of("inspect", "--format", "{{.State.Pid}}", container), 30).trim());
    } catch (RuntimeException e) {
      return 0;
    }
  }

  String logs(String container) {
    try {
      return run(List.of("logs", container), 30);
    } catch (IllegalStateException e) {
      return "(no logs: " + e.getMessage() + ")";
    }
  }

  void remove(String container) {
    try {
      run(List.of("rm", "-f", container), 60);
    } catch (IllegalStateException ignored) {
      // already gone
    }
  }
}
