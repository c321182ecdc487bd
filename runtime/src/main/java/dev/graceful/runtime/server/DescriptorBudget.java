package dev.graceful.runtime.server;

import java.lang.management.ManagementFactory;

/**
 * How many connections the application's servers may hold so that the process never runs out of file descriptors:
 * with all of them taken, accept fails on every port, the management port's included, and the kubelet's probes time
 * out on a pod that is merely busy. The limit less what is open now (jars, the JVM's own) less a reserve for probes,
 * the Kubernetes API, logs and files opened later.
 */
final class DescriptorBudget {

  /** Descriptors kept back beyond those open at start: at least this many, or a tenth of the limit. */
  static final int MIN_RESERVE = 64;

  private DescriptorBudget() {
  }

  static int connectionsAllowed() {
    // /proc first: the JMX bean loads a good part of java.management, a cost at every start for two numbers.
    try (java.util.stream.Stream<java.nio.file.Path> open = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
      long count = open.count();
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
          return soft.equals("unlimited") ? Integer.MAX_VALUE : connectionsAllowed(Long.parseLong(soft), count);
        }
      }
    } catch (java.io.IOException | RuntimeException notLinux) {
      // fall through to the JMX bean
    }
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return connectionsAllowed(unix.getMaxFileDescriptorCount(), unix.getOpenFileDescriptorCount());
    }
    return Integer.MAX_VALUE;
  }

  static int connectionsAllowed(long limit, long open) {
    long reserve = Math.max(MIN_RESERVE, limit / 10);
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, limit - open - reserve));
  }
}
