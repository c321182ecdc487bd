package dev.graceful.bench.report;

import dev.graceful.bench.model.BenchRun;
import dev.graceful.bench.model.Goals;
import dev.graceful.bench.model.Metric;
import dev.graceful.bench.model.ScenarioResult;
import dev.graceful.bench.model.Stats;
import dev.graceful.bench.model.Target;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run's outputs into its directory: {@code results.json} (every raw sample and series point),
 * {@code report.md} (medians, ratios against the baseline, targets met or missed) and, for each scenario with
 * time series, {@code <scenario>.png} ({@link TimelinePlot}).
 */
public final class Report {

  private Report() {
  }

  /** Writes all three; returns the files written. */
  public static List<Path> write(BenchRun run, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> written = new ArrayList<>();
    Path json = dir.resolve("results.json");
    Files.writeString(json, json(run).encodePrettily() + "\n", StandardCharsets.UTF_8);
    written.add(json);
    for (ScenarioResult r : run.results()) {
      if (!r.series().isEmpty()) {
        Path png = dir.resolve(r.scenario() + ".png");
        String title = r.seriesTitle().isEmpty() ? r.scenario() + ": requests and errors per second" : r.seriesTitle();
        TimelinePlot.write(png, title, r.series(),
            r.markers().stream().map(m -> new TimelinePlot.Marker(m.tSeconds(), m.label())).toList());
        written.add(png);
      }
    }
    Path md = dir.resolve("report.md");
    Files.writeString(md, markdown(run), StandardCharsets.UTF_8);
    written.add(md);
    return written;
  }

  public static JsonObject json(BenchRun run) {
    JsonObject env = new JsonObject();
    run.environment().forEach(env::put);
    JsonArray scenarios = new JsonArray();
    for (ScenarioResult r : run.results()) {
      JsonArray metrics = new JsonArray();
      for (Metric m : r.metrics()) {
        JsonObject samples = new JsonObject();
        JsonObject medians = new JsonObject();
        JsonObject ratios = new JsonObject();
        m.samples().forEach((c, s) -> {
          JsonArray a = new JsonArray();
          s.forEach(v -> a.add(num(v)));
          samples.put(c, a);
          medians.put(c, num(m.median(c)));
          ratios.put(c, num(m.ratio(c, r.baseline())));
        });
        JsonArray targets = new JsonArray();
        for (Target t : m.targets()) {
          double ratio = m.ratio(t.contender(), r.baseline());
          double[] interval = m.ratioInterval(t.contender(), r.baseline());
          targets.add(new JsonObject().put("contender", t.contender()).put("bound", t.bound().name()).put("ratio", t.ratio())
              .put("measured", num(ratio)).put("interval95", new JsonArray().add(num(interval[0])).add(num(interval[1])))
              .put("paired", m.isPairedByRound()).put("order", t.order()).put("met", m.meets(t, r.baseline())));
        }
        metrics.add(new JsonObject().put("name", m.name()).put("unit", m.unit()).put("better", m.better().name())
            .put("description", m.description()).put("samples", samples).put("medians", medians)
            .put("ratiosVsBaseline", ratios).put("targets", targets));
      }
      JsonObject series = new JsonObject();
      r.series().forEach((c, points) -> {
        JsonArray a = new JsonArray();
        points.forEach(p -> a.add(new JsonArray().add(num(p[0])).add(num(p[1])).add(num(p[2]))));
        series.put(c, a);
      });
      JsonObject s = new JsonObject().put("scenario", r.scenario()).put("baseline", r.baseline())
          .put("elapsedSeconds", r.elapsed().toMillis() / 1000.0).put("metrics", metrics)
          .put("notes", new JsonArray(new ArrayList<>(r.notes())));
      if (!r.series().isEmpty()) {
        s.put("seriesTitle", r.seriesTitle()).put("seriesColumns", new JsonArray().add("tSeconds").add("okPerSec").add("errPerSec"))
            .put("series", series);
        JsonArray markers = new JsonArray();
        r.markers().forEach(m -> markers.add(new JsonObject().put("tSeconds", m.tSeconds()).put("label", m.label())));
        s.put("markers", markers);
      }
      scenarios.add(s);
    }
    JsonObject failures = new JsonObject();
    run.failures().forEach(failures::put);
    JsonObject footprint = new JsonObject();
    run.footprint().forEach(footprint::put);
    return new JsonObject().put("started", run.started().toString()).put("quick", run.quick()).put("environment", env)
        .put("footprint", footprint).put("scenarios", scenarios).put("failures", failures);
  }

  /**
   * " (per round 0.981, 95%: 0.95-1.01)" for a paired interval, nothing without one: the mean of the per-round ratios
   * (geometric, the interval's centre), which can differ from the ratio of medians before it.
   */
  private static String interval(double[] interval) {
    return Double.isNaN(interval[0]) ? "" : String.format(Locale.ROOT, " (per round %.3f, 95%%: %.3f-%.3f)",
        Math.sqrt(interval[0] * interval[1]), interval[0], interval[1]);
  }

  public static String markdown(BenchRun run) {
    StringBuilder md = new StringBuilder();
    md.append("# Benchmark report ").append(run.started()).append(run.quick() ? " (quick)" : "").append("\n\n");
    md.append("Every ratio is median(contender) / median(baseline) over the raw samples below, all measured in the same run; ")
        .append("the raw samples are in `results.json`.\n\n");
    if (!run.environment().isEmpty()) {
      md.append("| setting | value |\n| --- | --- |\n");
      run.environment().forEach((k, v) -> md.append("| ").append(k).append(" | ").append(cell(v)).append(" |\n"));
      md.append('\n');
    }

    Map<String, String> footprint = run.footprint();
    if (!footprint.isEmpty()) {
      md.append("## Footprint\n\n| item | value |\n| --- | --- |\n");
      footprint.forEach((k, v) -> md.append("| ").append(cell(k)).append(" | ").append(cell(v)).append(" |\n"));
      md.append('\n');
    }

    List<TargetRow> targetRows = targetRows(run);
    if (!targetRows.isEmpty()) {
      md.append("## Targets\n\nThe headline start-up figure comes first: container start to Ready inside the cluster under load"
          + " (rollout scenario), then start-up off the cluster (startup scenario). Where the samples are paired by round, the"
          + " measured ratio comes with its 95% interval and a target is met only when the whole interval is on the right side"
          + " of it (a throughput target: the lower end reaches it). Where they are not, the ratio of medians decides, and the"
          + " row says the samples are unpaired, with their counts and ranges.\n\n");
      md.append("| scenario | metric | ratio of | target | measured | result |\n| --- | --- | --- | --- | --- | --- |\n");
      targetRows.forEach(row -> md.append("| ").append(String.join(" | ", row.cells())).append(" |\n"));
      md.append('\n');
    }
    if (!run.failures().isEmpty()) {
      md.append("## Failed scenarios\n\n");
      run.failures().forEach((s, why) -> md.append("- **").append(s).append("**: ").append(cell(why)).append('\n'));
      md.append('\n');
    }

    for (ScenarioResult r : run.results()) {
      md.append("## ").append(r.scenario()).append("\n\n");
      md.append("Baseline: `").append(r.baseline()).append("`. Took ")
          .append(String.format(Locale.ROOT, "%.0f s", r.elapsed().toMillis() / 1000.0)).append(".\n\n");
      md.append("| metric | unit | contender | n | median | min | max | ratio vs baseline | target | result |\n");
      md.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
      for (Metric m : r.metrics()) {
        for (Map.Entry<String, List<Double>> e : m.samples().entrySet()) {
          String c = e.getKey();
          List<Double> s = e.getValue();
          double ratio = m.ratio(c, r.baseline());
          String target = m.targetFor(c).map(Target::describe).orElse("");
          String result = m.targetFor(c).map(t -> Double.isNaN(ratio) ? "not measured" : m.meets(t, r.baseline()) ? "met" : "**MISSED**").orElse("");
          md.append("| ").append(m.name()).append(" | ").append(m.unit()).append(" | ").append(c).append(" | ").append(s.size())
              .append(" | ").append(num(Stats.median(s), m.unit())).append(" | ").append(num(Stats.min(s), m.unit()))
              .append(" | ").append(num(Stats.max(s), m.unit())).append(" | ")
              .append(c.equals(r.baseline()) ? "1 (baseline)" : ratio(ratio) + interval(m.ratioInterval(c, r.baseline()))).append(" | ").append(target).append(" | ")
              .append(result).append(" |\n");
        }
      }
      md.append('\n');
      List<Metric> described = r.metrics().stream().filter(m -> !m.description().isEmpty()).toList();
      if (!described.isEmpty()) {
        md.append("Metrics:\n\n");
        described.forEach(m -> md.append("- `").append(m.name()).append("` (").append(m.unit()).append(", ")
            .append(m.better().name().toLowerCase(Locale.ROOT)).append(" is better): ").append(m.description()).append('\n'));
        md.append('\n');
      }
      if (!r.series().isEmpty()) {
        md.append("![").append(r.scenario()).append(" timeline](").append(r.scenario()).append(".png)\n\n");
      }
      if (!r.notes().isEmpty()) {
        md.append("Notes:\n\n");
        r.notes().forEach(n -> md.append("- ").append(n).append('\n'));
        md.append('\n');
      }
    }
    return md.toString();
  }

  /** One row of the Targets table and where it goes (its target's order). */
  record TargetRow(int order, String[] cells) {
  }

  /**
   * Every target of the run, ordered by {@link Target#order()} (the scenarios' order within one), with the headline
   * in-cluster start-up targets always there: "not measured" when the rollout scenario did not run or failed.
   */
  static List<TargetRow> targetRows(BenchRun run) {
    List<TargetRow> rows = new ArrayList<>();
    boolean inCluster = false;
    for (ScenarioResult r : run.results()) {
      for (Metric m : r.metrics()) {
        for (Target t : m.targets()) {
          double ratio = m.ratio(t.contender(), r.baseline());
          rows.add(new TargetRow(t.order(), new String[] {r.scenario(), m.name(), t.contender() + " vs " + r.baseline(),
              t.describe(), measured(m, t.contender(), r.baseline()),
              Double.isNaN(ratio) ? "not measured" : m.meets(t, r.baseline()) ? "met" : "**MISSED**"}));
          inCluster |= m.name().equals(Goals.IN_CLUSTER_START_TO_READY);
        }
      }
    }
    if (!inCluster && !run.results().isEmpty()) {
      String scenario = "the " + Goals.IN_CLUSTER_SCENARIO + " scenario";
      String why = run.failures().containsKey(Goals.IN_CLUSTER_SCENARIO) ? scenario + " failed"
          : run.results().stream().anyMatch(r -> r.scenario().equals(Goals.IN_CLUSTER_SCENARIO))
          ? scenario + " recorded no " + Goals.IN_CLUSTER_START_TO_READY : scenario + " did not run";
      for (Target t : Goals.inClusterStartup()) {
        rows.add(new TargetRow(t.order(), new String[] {Goals.IN_CLUSTER_SCENARIO, Goals.IN_CLUSTER_START_TO_READY,
            t.contender() + " vs " + ScenarioResult.PLAIN_VERTX, t.describe(), "–", "not measured (" + why + ")"}));
      }
    }
    rows.sort(Comparator.comparingInt(TargetRow::order));
    return rows;
  }

  /**
   * The measured cell: the ratio of medians, then the paired interval where there is one, else what the ratio rests
   * on: "unpaired samples" (or paired ones that do not pair up) with each side's count and range.
   */
  static String measured(Metric m, String contender, String baseline) {
    double ratio = m.ratio(contender, baseline);
    double[] interval = m.ratioInterval(contender, baseline);
    if (!Double.isNaN(interval[0]) || Double.isNaN(ratio)) {
      return ratio(ratio) + interval(interval);
    }
    String kind = m.isPairedByRound() ? "paired by round, but no interval (fewer than 3 pairs or a missing sample)"
        : "ratio of medians of unpaired samples, no interval";
    return ratio(ratio) + " (" + kind + "; " + spread(m, contender) + "; " + spread(m, baseline) + ")";
  }

  /** "graceful-runtime n=180, 812-1,420 ms". */
  private static String spread(Metric m, String contender) {
    List<Double> s = m.samples(contender);
    return contender + " n=" + s.size() + ", " + num(Stats.min(s), m.unit()) + "-" + num(Stats.max(s), m.unit()) + " " + m.unit();
  }

  private static Object num(double v) {
    return Double.isFinite(v) ? (Object) v : null;
  }

  private static String ratio(double r) {
    return Double.isNaN(r) ? "–" : String.format(Locale.ROOT, "%.3f", r);
  }

  private static String num(double v, String unit) {
    if (Double.isNaN(v)) {
      return "–";
    }
    if (Math.abs(v) >= 100 || unit.equals("count")) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String cell(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }
}
