package dev.graceful.bench.support;

import java.util.ArrayList;
import java.util.List;

/**
 * Which CPUs the servers and the load tools run on ({@code taskset -c}), so a tool's own CPU use does not come out
 * of the server's share and the comparison measures the servers. With none, everything shares every core.
 *
 * @param serverCpus taskset list for the servers, or null for no pinning
 * @param toolCpus   taskset list for the load tools, or null
 */
public record Pinning(String serverCpus, String toolCpus) {

  public static Pinning none() {
    return new Pinning(null, null);
  }

  /**
   * The {@code steady.pin} setting: {@code auto} (the default) gives the servers the upper half of the cores and the
   * tools the lower half when there are at least 2 and {@code taskset} exists; {@code off} pins nothing;
   * {@code SERVER/TOOLS} gives two taskset lists, e.g. {@code 1/0}.
   */
  public static Pinning parse(String setting, int cpus, boolean tasksetAvailable) {
    String value = setting.trim();
    if (value.equals("off")) {
      return none();
    }
    if (value.equals("auto")) {
      if (cpus < 2 || !tasksetAvailable) {
        return none();
      }
      int half = cpus / 2;
      return new Pinning(range(half, cpus - 1), range(0, half - 1));
    }
    String[] parts = value.split("/");
    if (parts.length != 2 || !parts[0].matches("[0-9,\\-]+") || !parts[1].matches("[0-9,\\-]+")) {
      throw new IllegalArgumentException("steady.pin must be auto, off or SERVER_CPUS/TOOL_CPUS (e.g. 1/0), not '" + setting + "'");
    }
    if (!tasksetAvailable) {
      throw new IllegalArgumentException("steady.pin=" + setting + " needs taskset (util-linux), which is not on the PATH");
    }
    return new Pinning(parts[0], parts[1]);
  }

  private static String range(int from, int to) {
    return from == to ? String.valueOf(from) : from + "-" + to;
  }

  /** Whether taskset is on the PATH. */
  public static boolean tasksetAvailable() {
    try {
      Process p = new ProcessBuilder("taskset", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (java.io.IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public List<String> server(List<String> command) {
    return prefixed(serverCpus, command);
  }

  public List<String> tool(List<String> command) {
    return prefixed(toolCpus, command);
  }

  private static List<String> prefixed(String cpus, List<String> command) {
    if (cpus == null) {
      return command;
    }
    List<String> pinned = new ArrayList<>(List.of("taskset", "-c", cpus));
    pinned.addAll(command);
    return pinned;
  }

  /** For the report. */
  public String describe() {
    return serverCpus == null ? "none (servers and tools share every core)"
        : "servers on CPU " + serverCpus + ", load tools on CPU " + toolCpus + " (taskset)";
  }
}
