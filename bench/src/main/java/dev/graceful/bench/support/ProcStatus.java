package dev.graceful.bench.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory of a process from {@code /proc/<pid>/status} (Linux): resident set now and its peak, in MiB. */
public final class ProcStatus {

  private ProcStatus() {
  }

  /** VmRSS in MiB, or NaN if the process is gone. */
  public static double rssMiB(long pid) {
    return field(pid, "VmRSS:");
  }

  /** VmHWM (peak resident set) in MiB, or NaN if the process is gone. */
  public static double peakRssMiB(long pid) {
    return field(pid, "VmHWM:");
  }

  private static double field(long pid, String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
        if (line.startsWith(name)) {
          String[] parts = line.substring(name.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) / 1024.0; // kB
        }
      }
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}
