package dev.graceful.bench;

import dev.graceful.bench.support.DockerfileFlags;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * What a scenario gets from the harness: the repository, its own output directory for raw files, quick or full
 * mode, {@code --set} settings, and how to start the contenders' JVMs (the base image's JVM flags, read from the
 * Dockerfile, and the class paths run.sh built).
 */
public final class BenchContext {

  private final Path repo;
  private final Path runDir;
  private final Path scenarioDir;
  private final boolean quick;
  private final Map<String, String> settings;
  private final List<String> jvmFlags;

  public BenchContext(Path repo, Path runDir, Path scenarioDir, boolean quick, Map<String, String> settings, List<String> jvmFlags) {
    this.repo = repo;
    this.runDir = runDir;
    this.scenarioDir = scenarioDir;
    this.quick = quick;
    this.settings = Map.copyOf(settings);
    this.jvmFlags = List.copyOf(jvmFlags);
  }

  /** The memory limit the Helm chart gives the pod (values.yaml resources.limits.memory). */
  public static final String CHART_MEMORY_LIMIT = "512m";

  /**
   * The context for the harness run, before any scenario; see {@link #forScenario(String)}. The contenders' JVM
   * flags are the Dockerfile's, plus {@code -XX:MaxRAM=<memory>} (setting {@code memory}, default the chart's
   * 512m limit; {@code host} leaves it out): the image sizes the heap as a share of the container's memory limit,
   * and outside a container the same flags would size it from the whole machine's memory instead.
   */
  public static BenchContext create(Path runDir, boolean quick, Map<String, String> settings) {
    Path repo = repoRoot();
    List<String> flags = new java.util.ArrayList<>(DockerfileFlags.read(repo.resolve("Dockerfile")));
    String memory = settings.getOrDefault("memory", CHART_MEMORY_LIMIT);
    if (!memory.equals("host")) {
      flags.add("-XX:MaxRAM=" + memory);
    }
    return new BenchContext(repo, runDir, runDir, quick, settings, flags);
  }

  /** Same settings, raw files going to {@code <run dir>/<scenario>/}. */
  public BenchContext forScenario(String scenario) {
    Path dir = runDir.resolve(scenario);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new BenchContext(repo, runDir, dir, quick, settings, jvmFlags);
  }

  /** The repository root: {@code -Dbench.repo}, else the working directory or its parent, whichever has the Dockerfile. */
  public static Path repoRoot() {
    String configured = System.getProperty("bench.repo");
    if (configured != null) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    Path cwd = Path.of("").toAbsolutePath();
    for (Path p = cwd; p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("Dockerfile")) && Files.isDirectory(p.resolve("runtime"))) {
        return p;
      }
    }
    return cwd;
  }

  public Path repo() {
    return repo;
  }

  /** {@code bench/results/<timestamp>/}: report.md, results.json and the plots go here. */
  public Path runDir() {
    return runDir;
  }

  /** This scenario's directory for raw tool output and server logs. */
  public Path dir() {
    return scenarioDir;
  }

  public boolean quick() {
    return quick;
  }

  /** A {@code --set key=value} setting, else the default. */
  public String setting(String key, String fallback) {
    return settings.getOrDefault(key, fallback);
  }

  public int intSetting(String key, int full, int quickValue) {
    return Integer.parseInt(setting(key, String.valueOf(quick ? quickValue : full)));
  }

  public Duration secondsSetting(String key, int full, int quickValue) {
    return Duration.ofSeconds(intSetting(key, full, quickValue));
  }

  /** The JVM options of the base image's ENTRYPOINT (Dockerfile) and the container memory, for every contender JVM. */
  public List<String> jvmFlags() {
    return jvmFlags;
  }

  /**
   * JVM options for the runtime alone: its class-data sharing archive, as the image uses it, when run.sh trained one
   * on this host ({@code -Dbench.runtime.cds}, made by the image's own training run with this JVM and class path).
   */
  public List<String> runtimeOnlyFlags() {
    String archive = System.getProperty("bench.runtime.cds", "");
    return archive.isEmpty() || !Files.isRegularFile(Path.of(archive)) ? List.of() : List.of("-XX:SharedArchiveFile=" + archive);
  }

  /** The {@code java} that runs the harness; contenders run on the same one. */
  public String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Class path of the runtime (jar + lib/*): {@code -Dbench.runtime.classpath}, else runtime/target. */
  public String runtimeClasspath() {
    return System.getProperty("bench.runtime.classpath",
        repo.resolve("runtime/target/graceful-runtime.jar") + java.io.File.pathSeparator + repo.resolve("runtime/target/lib") + "/*");
  }

  /** Class path of the plain Vert.x server (naive.jar + the runtime's lib/*): {@code -Dbench.plain.classpath}. */
  public String plainClasspath() {
    return System.getProperty("bench.plain.classpath",
        repo.resolve("bench/target/plain/naive.jar") + java.io.File.pathSeparator + repo.resolve("runtime/target/graceful-runtime.jar")
            + java.io.File.pathSeparator + repo.resolve("runtime/target/lib") + "/*");
  }

  /** The ghz binary ensure-tools.sh installed, as run.sh passes it in {@code -Dbench.ghz}. */
  public String ghz() {
    String configured = System.getProperty("bench.ghz", "");
    if (configured.isEmpty()) {
      throw new IllegalStateException("-Dbench.ghz is not set: run the benchmark through bench/run.sh, which installs ghz");
    }
    return configured;
  }

  public Path proto() {
    return repo.resolve("runtime/src/main/proto/graceful/demo/v1/demo.proto");
  }

  /** The 1, 5 and 15 minute load averages (/proc/loadavg): how busy the shared machine was. */
  public static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** A progress line on stderr, prefixed with the time. */
  public void log(String message) {
    System.err.println(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " [" + scenarioDir.getFileName() + "] " + message);
  }
}
