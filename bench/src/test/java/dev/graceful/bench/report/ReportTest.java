package dev.graceful.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.bench.model.BenchRun;
import dev.graceful.bench.model.Better;
import dev.graceful.bench.model.ScenarioResult;
import dev.graceful.bench.model.Target;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
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
    assertTrue(md.contains("| startup | startup.ready | graceful-runtime vs plain-vertx | <= 1.20x | 1.100 | met |"), md);
    // throughput: median 9200 vs 10000 = 0.920, below 0.97
    assertTrue(md.contains("| steady | http1.throughput | graceful-runtime vs plain-vertx | >= 0.97x | 0.920 | **MISSED** |"), md);
    assertTrue(md.contains("| http1.throughput | req/s | plain-vertx | 2 | 10,000 | 10,000 | 10,000 | 1 (baseline) |"), md);
    // 0 / 0 is no ratio
    assertTrue(md.contains("| http1.errors | count | graceful-runtime | 1 | 0 | 0 | 0 | – |"), md);
    assertTrue(md.contains("![rollout timeline](rollout.png)"), md);
    assertTrue(md.contains("**shutdown**: java.lang.IllegalStateException: boom \\| pipe"), md);
    assertFalse(md.contains("NaN"), md);

    assertTrue(Files.size(dir.resolve("rollout.png")) > 1000);
    assertFalse(Files.exists(dir.resolve("startup.png")), "no series, no plot");
  }
}
