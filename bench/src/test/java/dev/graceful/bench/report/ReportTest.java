package dev.graceful.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.bench.model.BenchRun;
import dev.graceful.bench.model.Better;
import dev.graceful.bench.model.Goals;
import dev.graceful.bench.model.Metric;
import dev.graceful.bench.model.ScenarioResult;
import dev.graceful.bench.model.Target;
import dev.graceful.bench.support.Footprint;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

  static BenchRun fakeRun() {
    BenchRun run = new BenchRun(Instant.parse("2025-01-02T03:04:05Z"), true).environment("cores", "2");
    ScenarioResult startup = new ScenarioResult("startup");
    startup.metric("startup.ready", "ms", Better.LOWER, "start to ready").target(Target.atMost("graceful-runtime", 1.2));
    for (double v : new double[] {1100, 1000, 1300}) {
      startup.metric("startup.ready").add("graceful-runtime", v);
    }
    for (double v : new double[] {1000, 900, 5000}) {
      startup.metric("startup.ready").add("plain-vertx", v);
    }
    ScenarioResult steady = new ScenarioResult("steady");
    steady.metric("http1.throughput", "req/s", Better.HIGHER, "wrk").target(Target.atLeast("graceful-runtime", 0.97))
        .add("graceful-runtime", 9000).add("graceful-runtime", 9400).add("plain-vertx", 10000).add("plain-vertx", 10000);
    steady.metric("http1.errors", "count", Better.LOWER, "").add("graceful-runtime", 0).add("plain-vertx", 0);
    ScenarioResult rollout = new ScenarioResult("rollout");
    rollout.metric("failed", "count", Better.LOWER, "").add("graceful-runtime", 0).add("plain-vertx", 120);
    rollout.series("graceful-runtime", TimelinePlotTest.fakeRollout().get("graceful-runtime"))
        .series("plain-vertx", TimelinePlotTest.fakeRollout().get("plain-vertx")).seriesTitle("rollout under load");
    return run.add(startup).add(steady).add(rollout).failed("shutdown", "java.lang.IllegalStateException: boom | pipe");
  }

  @Test
  void writesRawJsonMarkdownAndPlot(@TempDir Path dir) throws Exception {
    Report.write(fakeRun(), dir);

    JsonObject json = new JsonObject(Files.readString(dir.resolve("results.json")));
    JsonObject startupReady = json.getJsonArray("scenarios").getJsonObject(0).getJsonArray("metrics").getJsonObject(0);
    assertEquals(3, startupReady.getJsonObject("samples").getJsonArray("plain-vertx").size());
    assertEquals(1100.0, startupReady.getJsonObject("medians").getDouble("graceful-runtime"));
    assertEquals(1100.0 / 1000.0, startupReady.getJsonObject("ratiosVsBaseline").getDouble("graceful-runtime"), 1e-9);
    assertTrue(startupReady.getJsonArray("targets").getJsonObject(0).getBoolean("met"));
    JsonObject rollout = json.getJsonArray("scenarios").getJsonObject(2);
    assertEquals(61, rollout.getJsonObject("series").getJsonArray("plain-vertx").size());
    assertEquals("boom | pipe", json.getJsonObject("failures").getString("shutdown").replace("java.lang.IllegalStateException: ", ""));

    String md = Files.readString(dir.resolve("report.md"));
    // startup: median 1100 vs 1000 = 1.100, within 1.2x
    assertTrue(md.contains("| startup | startup.ready | graceful-runtime vs plain-vertx | <= 1.20x | 1.100 (ratio of medians of"
        + " unpaired samples, no interval; graceful-runtime n=3, 1,000-1,300 ms; plain-vertx n=3, 900-5,000 ms) | met |"), md);
    // throughput: median 9200 vs 10000 = 0.920, below 0.97
    assertTrue(md.contains("| steady | http1.throughput | graceful-runtime vs plain-vertx | >= 0.97x | 0.920 (ratio of medians"
        + " of unpaired samples, no interval; graceful-runtime n=2, 9,000-9,400 req/s; plain-vertx n=2, 10,000-10,000 req/s)"
        + " | **MISSED** |"), md);
    // the headline rows lead even when the rollout recorded none
    assertTrue(md.indexOf("not measured (the rollout scenario recorded no rollout.start-to-ready)") < md.indexOf("| startup | startup.ready"), md);
    assertTrue(md.contains("| http1.throughput | req/s | plain-vertx | 2 | 10,000 | 10,000 | 10,000 | 1 (baseline) |"), md);
    // 0 / 0 is no ratio
    assertTrue(md.contains("| http1.errors | count | graceful-runtime | 1 | 0 | 0 | 0 | – |"), md);
    assertTrue(md.contains("![rollout timeline](rollout.png)"), md);
    assertTrue(md.contains("**shutdown**: java.lang.IllegalStateException: boom \\| pipe"), md);
    assertFalse(md.contains("NaN"), md);

    assertTrue(Files.size(dir.resolve("rollout.png")) > 1000);
    assertFalse(Files.exists(dir.resolve("startup.png")), "no series, no plot");
  }

  /** A full run as `all` orders it (startup, steady, rollout) with synthetic samples for every target. */
  static BenchRun headlineRun() {
    BenchRun run = new BenchRun(Instant.parse("2025-01-02T03:04:05Z"), false)
        .footprint(Footprint.RUNTIME_JARS, "71 jars, 33.4 MiB (graceful-runtime.jar 0.3 MiB + 70 in runtime/target/lib/ 33.1 MiB)")
        .footprint(Footprint.IMAGE_RUNTIME, "not measured (only the rollout scenario builds the images)")
        .footprint(Footprint.IMAGE_PLAIN, "not measured (only the rollout scenario builds the images)");
    ScenarioResult startup = new ScenarioResult("startup");
    Metric ready = startup.metric("startup.ready", "ms", Better.LOWER, "").pairedByRound().target(Goals.offClusterStartup());
    Metric idle = startup.metric("rss.idle", "MiB", Better.LOWER, "").pairedByRound().target(Target.atMost("graceful-runtime", Goals.RSS));
    double[][] rounds = {{1000, 1040, 100, 104}, {1100, 1150, 102, 108}, {950, 1000, 99, 115}, {1020, 1060, 101, 103},
        {980, 1010, 100, 117}, {1005, 1045, 98, 104}, {1010, 1050, 100, 105}};
    for (double[] r : rounds) {
      ready.add("plain-vertx", r[0]).add("graceful-runtime", r[1]);
      idle.add("plain-vertx", r[2]).add("graceful-runtime", r[3]);
    }
    ScenarioResult steady = new ScenarioResult("steady");
    Metric load = steady.metric("rss.load", "MiB", Better.LOWER, "").pairedByRound().target(Target.atMost("graceful-runtime", Goals.RSS));
    for (int i = 0; i < 5; i++) {
      load.add("plain-vertx", 200 + i).add("graceful-runtime", 210 + i);
    }
    ScenarioResult rollout = new ScenarioResult("rollout");
    Metric startToReady = rollout.metric(Goals.IN_CLUSTER_START_TO_READY, "ms", Better.LOWER, "");
    Goals.inClusterStartup().forEach(startToReady::target);
    for (double v : new double[] {1500, 1400, 1600, 1450, 1550, 2900, 1500, 1480, 1520}) {
      startToReady.add("graceful-runtime", v);
    }
    for (double v : new double[] {2000, 1900, 2100, 2050}) {
      startToReady.add("graceful-runtime+readiness-gate", v);
    }
    for (double v : new double[] {1200, 1100, 1300, 1250}) {
      startToReady.add("plain-vertx", v);
    }
    rollout.footprint(Footprint.IMAGE_RUNTIME, "localhost/graceful-runtime:e2e: 554 MB (528.3 MiB); 1.110x plain Vert.x's image")
        .footprint(Footprint.IMAGE_PLAIN, "localhost/naive-vertx:e2e: 499 MB (475.9 MiB)");
    return run.add(startup).add(steady).add(rollout);
  }

  @Test
  void theInClusterStartUpLeadsTheTargetsThenOffClusterThenTheRest() {
    String md = Report.markdown(headlineRun());
    String targets = md.substring(md.indexOf("## Targets"), md.indexOf("## startup"));
    List<String> rows = targets.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| scenario") && !l.startsWith("| ---")).toList();
    assertEquals(5, rows.size(), targets);
    // runtime: median 1500 vs plain 1225 = 1.224, unpaired
    assertEquals("| rollout | rollout.start-to-ready | graceful-runtime vs plain-vertx | <= 1.30x | 1.224 (ratio of medians of"
        + " unpaired samples, no interval; graceful-runtime n=9, 1,400-2,900 ms; plain-vertx n=4, 1,100-1,300 ms) | met |", rows.get(0));
    // the gate: median 2025 vs 1225 = 1.653
    assertEquals("| rollout | rollout.start-to-ready | graceful-runtime+readiness-gate vs plain-vertx | <= 1.30x | 1.653 (ratio of"
        + " medians of unpaired samples, no interval; graceful-runtime+readiness-gate n=4, 1,900-2,100 ms; plain-vertx n=4,"
        + " 1,100-1,300 ms) | **MISSED** |", rows.get(1));
    assertTrue(rows.get(2).startsWith("| startup | startup.ready | graceful-runtime vs plain-vertx | <= 1.10x | 1.040 (per round "), rows.get(2));
    assertTrue(rows.get(2).endsWith(" | met |"), rows.get(2));
    // idle RSS: ratio of medians 1.050 is below 1.10, but the paired interval reaches above it: missed
    assertTrue(rows.get(3).startsWith("| startup | rss.idle | graceful-runtime vs plain-vertx | <= 1.10x | 1.050 (per round "), rows.get(3));
    assertTrue(rows.get(3).endsWith(" | **MISSED** |"), rows.get(3));
    assertTrue(rows.get(4).startsWith("| steady | rss.load | graceful-runtime vs plain-vertx | <= 1.10x | 1.050 (per round "), rows.get(4));
    assertTrue(rows.get(4).endsWith(" | met |"), rows.get(4));
    assertFalse(md.contains("NaN"), md);
  }

  @Test
  void theFootprintSectionListsTheJarsAndTheImagesTheRolloutMeasured() {
    BenchRun run = headlineRun();
    String md = Report.markdown(run);
    String footprint = md.substring(md.indexOf("## Footprint"), md.indexOf("## Targets"));
    assertEquals(List.of(
        "| runtime jars (class path of both contenders) | 71 jars, 33.4 MiB (graceful-runtime.jar 0.3 MiB + 70 in runtime/target/lib/ 33.1 MiB) |",
        "| container image, graceful-runtime | localhost/graceful-runtime:e2e: 554 MB (528.3 MiB); 1.110x plain Vert.x's image |",
        "| container image, plain-vertx | localhost/naive-vertx:e2e: 499 MB (475.9 MiB) |"),
        footprint.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| item") && !l.startsWith("| ---")).toList());
    JsonObject json = Report.json(run);
    assertEquals("localhost/naive-vertx:e2e: 499 MB (475.9 MiB)", json.getJsonObject("footprint").getString(Footprint.IMAGE_PLAIN));
    JsonObject target = json.getJsonArray("scenarios").getJsonObject(2).getJsonArray("metrics").getJsonObject(0)
        .getJsonArray("targets").getJsonObject(0);
    assertEquals(false, target.getBoolean("paired"));
    assertEquals(0, target.getInteger("order"));
  }

  @Test
  void withoutTheRolloutTheHeadlineRowsStillLeadAsNotMeasured() {
    BenchRun full = headlineRun();
    BenchRun run = new BenchRun(full.started(), true).add(full.results().get(0))
        .footprint(Footprint.IMAGE_RUNTIME, "not measured (only the rollout scenario builds the images; it is not part of this run)");
    String md = Report.markdown(run);
    List<String> rows = md.substring(md.indexOf("## Targets"), md.indexOf("## startup")).lines()
        .filter(l -> l.startsWith("| ") && !l.startsWith("| scenario") && !l.startsWith("| ---")).toList();
    assertEquals("| rollout | rollout.start-to-ready | graceful-runtime vs plain-vertx | <= 1.30x | – | not measured (the rollout"
        + " scenario did not run) |", rows.get(0));
    assertEquals("| rollout | rollout.start-to-ready | graceful-runtime+readiness-gate vs plain-vertx | <= 1.30x | – | not measured"
        + " (the rollout scenario did not run) |", rows.get(1));
    assertTrue(rows.get(2).startsWith("| startup | startup.ready |"), rows.get(2));
    assertTrue(md.contains("| container image, graceful-runtime | not measured (only the rollout scenario builds the images;"
        + " it is not part of this run) |"), md);

    run.failed("rollout", "java.lang.IllegalStateException: no control plane");
    assertTrue(Report.markdown(run).contains("| – | not measured (the rollout scenario failed) |"));
  }
}
