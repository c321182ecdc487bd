package dev.graceful.bench.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the runtime ships, for the report's Footprint section: its own jars (graceful-runtime.jar and
 * runtime/target/lib/*.jar, the class path every contender JVM runs on) and, when the rollout scenario built them,
 * the container images' sizes as podman reports them. Nothing here throws: what cannot be measured says why.
 */
public final class Footprint {

  private Footprint() {
  }

  /** The report's Footprint keys for the two images: "not measured" until the rollout scenario builds them. */
  public static final String IMAGE_RUNTIME = "container image, graceful-runtime";
  public static final String IMAGE_PLAIN = "container image, plain-vertx";
  public static final String RUNTIME_JARS = "runtime jars (class path of both contenders)";

  /** The runtime's jars: graceful-runtime.jar (if built) and the jars in lib/, with their total size in bytes. */
  public record Jars(boolean mainJar, long mainBytes, int libJars, long libBytes) {

    public int count() {
      return (mainJar ? 1 : 0) + libJars;
    }

    public long bytes() {
      return mainBytes + libBytes;
    }

    /** E.g. "71 jars, 33.4 MiB (graceful-runtime.jar 0.31 MiB + 70 in runtime/target/lib/ 33.1 MiB)". */
    public String describe() {
      if (count() == 0) {
        return "not measured (runtime/target/graceful-runtime.jar and runtime/target/lib/ are not built)";
      }
      return String.format(Locale.ROOT, "%d jars, %s (graceful-runtime.jar %s + %d in runtime/target/lib/ %s)", count(),
          mib(bytes()), mainJar ? mib(mainBytes) : "missing", libJars, mib(libBytes));
    }
  }

  /** Counts and sizes {@code runtime/target/graceful-runtime.jar} and {@code runtime/target/lib/*.jar} under {@code repo}. */
  public static Jars runtimeJars(Path repo) {
    Path main = repo.resolve("runtime/target/graceful-runtime.jar");
    long mainBytes = size(main);
    int libJars = 0;
    long libBytes = 0;
    Path lib = repo.resolve("runtime/target/lib");
    if (Files.isDirectory(lib)) {
      try (Stream<Path> files = Files.list(lib)) {
        for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f)).toList()) {
          libJars++;
          libBytes += Math.max(0, size(p));
        }
      } catch (IOException e) {
        return new Jars(mainBytes >= 0, Math.max(0, mainBytes), 0, 0);
      }
    }
    return new Jars(mainBytes >= 0, Math.max(0, mainBytes), libJars, libBytes);
  }

  /** A container image's size in bytes, or why it is not known. */
  public record ImageSize(String image, long bytes, String failure) {

    public boolean measured() {
      return failure == null;
    }

    /** "554 MB (528.4 MiB)" or "not measured (why)". */
    public String describe() {
      return measured() ? String.format(Locale.ROOT, "%s (%s)", mb(bytes), mib(bytes)) : "not measured (" + failure + ")";
    }
  }

  /**
   * {@code podman image inspect --format '{{.Size}}' IMAGE}, with the project's podman configuration
   * ({@code e2e/podman/containers.conf}, as the rollout scenario's podman uses); bounded to 30 s.
   */
  public static ImageSize imageSize(Path repo, String image) {
    List<String> command = new ArrayList<>(List.of("podman", "image", "inspect", "--format", "{{.Size}}", image));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    Path conf = repo.resolve("e2e/podman/containers.conf");
    if (Files.isRegularFile(conf)) {
      pb.environment().put("CONTAINERS_CONF", conf.toString());
    }
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new ImageSize(image, -1, "podman image inspect did not answer in 30 s");
      }
      String text = new String(out, StandardCharsets.UTF_8).trim();
      if (p.exitValue() != 0) {
        return new ImageSize(image, -1, "podman image inspect " + image + ": " + firstLine(text));
      }
      long bytes = parseSize(text);
      return bytes < 0 ? new ImageSize(image, -1, "unexpected podman output: " + firstLine(text)) : new ImageSize(image, bytes, null);
    } catch (IOException e) {
      return new ImageSize(image, -1, "podman not available: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new ImageSize(image, -1, "interrupted");
    }
  }

  /** The byte count {@code podman image inspect --format '{{.Size}}'} prints (one line per image; the first), or -1. */
  static long parseSize(String output) {
    String line = firstLine(output.trim()).trim();
    try {
      long bytes = Long.parseLong(line);
      return bytes >= 0 ? bytes : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** "1.11x plain Vert.x's" style ratio of two measured images, or "" when either is missing. */
  public static String ratio(ImageSize image, ImageSize baseline) {
    if (image == null || baseline == null || !image.measured() || !baseline.measured() || baseline.bytes() == 0) {
      return "";
    }
    return String.format(Locale.ROOT, "%.3f", image.bytes() / (double) baseline.bytes());
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1024.0 / 1024.0);
  }

  /** Decimal megabytes, as podman image ls prints them. */
  static String mb(long bytes) {
    return String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
  }

  private static long size(Path p) {
    try {
      return Files.isRegularFile(p) ? Files.size(p) : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  private static String firstLine(String text) {
    int nl = text.indexOf('\n');
    return nl < 0 ? text : text.substring(0, nl);
  }
}
