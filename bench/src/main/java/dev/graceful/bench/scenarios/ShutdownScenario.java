package dev.graceful.bench.scenarios;

import dev.graceful.bench.BenchContext;
import dev.graceful.bench.Scenario;
import dev.graceful.bench.model.Better;
import dev.graceful.bench.model.Metric;
import dev.graceful.bench.model.ScenarioResult;
import dev.graceful.bench.support.Contender;
import dev.graceful.bench.support.Http;
import dev.graceful.bench.support.ServerProcess;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shutdown cost: a fresh, ready server with nothing in flight (one request served and finished first, so the
 * route has run), then SIGTERM; measured from just before the signal to the observed process exit. The runtime
 * runs with GRACEFUL_DRAIN_DELAY=0 (no pre-drain wait) and GRACEFUL_KUBERNETES=false, so what is left is its own
 * cost: readiness down, drain of nothing, verticles stopped, summary logged.
 */
public final class ShutdownScenario implements Scenario {

  @Override
  public String name() {
    return "shutdown";
  }

  @Override
  public String description() {
    return "SIGTERM to exit, nothing in flight, no pre-drain wait, runtime vs plain Vert.x";
  }

  @Override
  public ScenarioResult run(BenchContext context) throws Exception {
    int runs = context.intSetting("shutdown.runs", 7, 3);
    List<Contender> contenders = Contender.both(context, Map.of("GRACEFUL_DRAIN_DELAY", "0"));
    ScenarioResult result = new ScenarioResult(name());
    Metric exit = result.metric("shutdown.exit", "ms", Better.LOWER, "SIGTERM sent to process exit observed by the parent");
    Metric reported = result.metric("shutdown.reported-total", "ms", Better.LOWER,
        "the runtime's own totalMs from its shutdown-complete summary line (the runtime only; JVM exit comes after it)");
    Map<String, List<Integer>> exitCodes = new LinkedHashMap<>();

    for (int round = 0; round < runs; round++) {
      List<Contender> order = round % 2 == 0 ? contenders : List.of(contenders.get(1), contenders.get(0));
      for (Contender c : order) {
        try (ServerProcess server = ServerProcess.startReady(context, c, c.name() + "-" + (round + 1))) {
          int status = Http.status(server.httpPort, "/delay?ms=0", 5000);
          if (status != 200) {
            throw new IllegalStateException(c + " answered " + status + " to GET /delay?ms=0");
          }
          Thread.sleep(300); // let the closed connection and the first-request work settle: nothing in flight
          double ms = server.terminateAndTime(Duration.ofSeconds(40));
          exit.add(c.name(), ms);
          exitCodes.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(server.exitCode());
          server.shutdownSummary().ifPresent(s -> {
            JsonObject summary = new JsonObject(s);
            reported.add(c.name(), summary.getDouble("totalMs", Double.NaN));
            JsonObject phases = summary.getJsonObject("phases", new JsonObject());
            for (String phase : phases.fieldNames()) {
              result.metric("shutdown.phase." + phase, "ms", Better.LOWER, "the runtime's own " + phase + " phase, from its summary line")
                  .add(c.name(), phases.getJsonObject(phase).getDouble("ms", Double.NaN));
            }
          });
          context.log(String.format("round %d %s: exit %d after %.0f ms", round + 1, c, server.exitCode(), ms));
        }
      }
    }
    result.note("Exit codes: " + exitCodes + " (143 = 128 + SIGTERM: the JVM's default after the shutdown hook).");
    result.note(runs + " runs per contender, alternating order; runtime with GRACEFUL_DRAIN_DELAY=0, GRACEFUL_KUBERNETES=false.");
    return result;
  }
}
