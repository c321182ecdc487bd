package dev.graceful.bench.scenarios;

import dev.graceful.bench.BenchContext;
import dev.graceful.bench.Scenario;
import dev.graceful.bench.model.Better;
import dev.graceful.bench.model.Metric;
import dev.graceful.bench.model.ScenarioResult;
import dev.graceful.bench.model.Target;
import dev.graceful.bench.support.Contender;
import dev.graceful.bench.support.ProcStatus;
import dev.graceful.bench.support.ServerProcess;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Start-up: a fresh JVM per run with the base image's flags, from {@code ProcessBuilder.start()} to the first 200
 * from readiness ({@code /health/ready} on the management port; the plain server's probe route), polled every 5 ms
 * over a new connection. Contenders alternate (A B, then B A) so drift and neighbours' load hit both alike; one
 * unrecorded run each first warms the page cache.
 */
public final class StartupScenario implements Scenario {

  static final int POLL_MS = 5;

  @Override
  public String name() {
    return "startup";
  }

  @Override
  public String description() {
    return "process start to readiness UP, fresh JVM each run, runtime vs plain Vert.x";
  }

  @Override
  public ScenarioResult run(BenchContext context) throws Exception {
    int runs = context.intSetting("startup.runs", 7, 3);
    List<Contender> contenders = Contender.both(context, Map.of("GRACEFUL_DRAIN_DELAY", "0"));
    ScenarioResult result = new ScenarioResult(name());
    Metric ready = result.metric("startup.ready", "ms", Better.LOWER,
        "ProcessBuilder.start() to the first 200 from /health/ready (polled every " + POLL_MS + " ms)")
        .target(Target.atMost(Contender.GRACEFUL_RUNTIME, 1.2));
    Metric rss = result.metric("rss.at-ready", "MiB", Better.LOWER, "VmRSS of the JVM right when readiness first answered 200");

    for (Contender c : contenders) {
      context.log("warm-up start of " + c);
      once(context, c, "warmup-" + c.name());
    }
    for (int round = 0; round < runs; round++) {
      List<Contender> order = round % 2 == 0 ? contenders : List.of(contenders.get(1), contenders.get(0));
      for (Contender c : order) {
        double[] r = once(context, c, c.name() + "-" + (round + 1));
        ready.add(c.name(), r[0]);
        rss.add(c.name(), r[1]);
        context.log(String.format("round %d %s: ready in %.0f ms, RSS %.0f MiB", round + 1, c, r[0], r[1]));
      }
    }
    result.note(runs + " runs per contender, alternating order, after one unrecorded warm-up start each; JVM flags "
        + String.join(" ", context.jvmFlags()) + ".");
    return result;
  }

  private static double[] once(BenchContext context, Contender c, String logName) throws Exception {
    try (ServerProcess server = ServerProcess.start(context, c, logName)) {
      double ms = server.awaitReady(Duration.ofSeconds(60), POLL_MS);
      double rss = ProcStatus.rssMiB(server.pid());
      return new double[] {ms, rss};
    }
  }
}
