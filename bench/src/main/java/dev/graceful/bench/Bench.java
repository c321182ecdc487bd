package dev.graceful.bench;

import dev.graceful.bench.model.BenchRun;
import dev.graceful.bench.model.ScenarioResult;
import dev.graceful.bench.report.Report;
import dev.graceful.bench.support.Footprint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The harness: {@code Bench [all|SCENARIO...] [--quick] [--out DIR] [--set key=value]...} (see {@link BenchOptions}).
 * Writes {@code bench/results/<UTC timestamp>/} (results.json, report.md, plots, raw tool output per scenario) and
 * points {@code bench/results/latest} at it. The report is rewritten after every scenario, so an interrupted run
 * keeps what it measured. Exit code 0 when every scenario ran, 1 when one failed, 2 for a bad command line.
 */
public final class Bench {

  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private Bench() {
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("java.awt.headless", "true");
    BenchOptions options;
    try {
      options = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(BenchOptions.USAGE);
      Scenarios.all().forEach((name, s) -> System.out.println("  " + name + ": " + s.get().description()));
      return;
    }
    System.exit(run(options));
  }

  static int run(BenchOptions options) throws IOException {
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Path root = options.out().orElseGet(() -> Path.of(System.getProperty("bench.results",
        BenchContext.repoRoot().resolve("bench/results").toString())));
    Path runDir = root.resolve(STAMP.format(started));
    Files.createDirectories(runDir);
    BenchContext base = BenchContext.create(runDir, options.quick(), options.settings());
    BenchRun run = new BenchRun(started, options.quick());
    run.environment("scenarios", String.join(", ", options.scenarios()))
        .environment("mode", options.quick() ? "quick" : "full")
        .environment("git commit", git(base.repo()))
        .environment("cores", String.valueOf(Runtime.getRuntime().availableProcessors()))
        .environment("memory", memTotal())
        .environment("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"))
        .environment("contender JVM flags (Dockerfile ENTRYPOINT + chart memory limit as MaxRAM)", String.join(" ", base.jvmFlags()));
    options.settings().forEach((k, v) -> run.environment("--set " + k, v));
    run.footprint(Footprint.RUNTIME_JARS, Footprint.runtimeJars(base.repo()).describe());
    String noImage = "not measured (only the rollout scenario builds the images" + (options.scenarios().contains("rollout")
        ? ", and it did not finish: see Failed scenarios, or the run is still going)" : "; it is not part of this run)");
    run.footprint(Footprint.IMAGE_RUNTIME, noImage).footprint(Footprint.IMAGE_PLAIN, noImage);

    for (String name : options.scenarios()) {
      Scenario scenario = Scenarios.create(name);
      BenchContext context = base.forScenario(name);
      context.log("start: " + scenario.description());
      long t0 = System.nanoTime();
      String loadBefore = BenchContext.loadAverage();
      try {
        ScenarioResult result = scenario.run(context);
        result.elapsed(Duration.ofNanos(System.nanoTime() - t0));
        result.note("Machine load average (1/5/15 min) before: " + loadBefore + "; after: " + BenchContext.loadAverage()
            + " on " + Runtime.getRuntime().availableProcessors() + " cores (the machine is shared: other work adds noise).");
        run.add(result);
        result.partFailures().forEach((part, why) -> run.failed(name + ": " + part, why));
        context.log("done in " + result.elapsed().toSeconds() + " s");
      } catch (Exception | AssertionError e) {
        run.failed(name, e.toString());
        context.log("FAILED: " + e);
        e.printStackTrace();
      }
      Report.write(run, runDir);
    }
    Report.write(run, runDir);
    linkLatest(root, runDir);
    System.out.println(Files.readString(runDir.resolve("report.md"), StandardCharsets.UTF_8));
    System.out.println("results: " + runDir + " (also " + root.resolve("latest") + ")");
    return run.failures().isEmpty() ? 0 : 1;
  }

  /** {@code latest} as a relative symlink to the run; a copy where symlinks are not possible. */
  static void linkLatest(Path root, Path runDir) throws IOException {
    Path latest = root.resolve("latest");
    if (Files.isSymbolicLink(latest) || Files.isRegularFile(latest)) {
      Files.delete(latest);
    } else if (Files.isDirectory(latest)) {
      try (var walk = Files.walk(latest)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    try {
      Files.createSymbolicLink(latest, root.relativize(runDir));
    } catch (IOException | UnsupportedOperationException e) {
      try (var walk = Files.walk(runDir)) {
        for (Path p : walk.toList()) {
          Files.copy(p, latest.resolve(runDir.relativize(p).toString()));
        }
      }
    }
  }

  private static String git(Path repo) {
    try {
      Process p = new ProcessBuilder("git", "-C", repo.toString(), "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "unknown";
      }
      String head = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      Process d = new ProcessBuilder("git", "-C", repo.toString(), "status", "--porcelain", "--untracked-files=no").redirectErrorStream(true).start();
      boolean dirty = d.waitFor(10, TimeUnit.SECONDS) && !new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8).isBlank();
      return head + (dirty ? " (with uncommitted changes)" : "");
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  private static String memTotal() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
      return lines.stream().filter(l -> l.startsWith("MemTotal:")).findFirst()
          .map(l -> Math.round(Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0) + " GiB").orElse("unknown");
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
