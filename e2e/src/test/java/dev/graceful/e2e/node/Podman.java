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
    Path output = null;
    try {
      // To a file, not a pipe: a container's logs can exceed the pipe's 64 KiB, and podman would block on it until
      // the timeout, returning nothing.
      output = Files.createTempFile("podman-", ".out");
      builder.redirectOutput(output.toFile());
      Process p = builder.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("podman " + args + " did not finish within " + timeoutSeconds + " s");
      }
      String out = new String(Files.readAllBytes(output), StandardCharsets.UTF_8).trim(); // malformed bytes replaced
      if (p.exitValue() != 0) {
        throw new IllegalStateException("podman " + args + " failed (" + p.exitValue() + "): " + out);
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("podman " + args + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      if (output != null) {
        try {
          Files.deleteIfExists(output);
        } catch (IOException ignored) {
          // a temporary file left behind
        }
      }
    }
  }

  void signal(String container, String signal) {
    run(List.of("kill", "--signal", signal, container), 30);
  }

  /** A container's main process as the host sees it: its PID, and its start time, which tells a reused PID apart. */
  record HostProcess(long pid, String startTicks) {

    /** VmRSS in KiB, while this very process runs. */
    java.util.Optional<Long> residentKiB() {
      try {
        if (!startTicks.equals(startTicks(pid))) {
          return java.util.Optional.empty();
        }
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
            .filter(l -> l.startsWith("VmRSS:")).findFirst().map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")));
      } catch (IOException | RuntimeException e) {
        return java.util.Optional.empty();
      }
    }

    /** Field 22 of /proc/PID/stat, counted after the command name (which may hold spaces and parentheses). */
    static String startTicks(long pid) throws IOException {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19];
    }
  }

  /** The container's main process; empty when podman cannot say (the container already exited) or /proc cannot. */
  java.util.Optional<HostProcess> hostProcess(String container) {
    try {
      long pid = Long.parseLong(run(List.of("inspect", "--format", "{{.State.Pid}}", container), 30).trim());
      return pid <= 0 ? java.util.Optional.empty() : java.util.Optional.of(new HostProcess(pid, HostProcess.startTicks(pid)));
    } catch (IOException | RuntimeException e) {
      return java.util.Optional.empty();
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
