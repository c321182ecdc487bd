package dev.graceful.bench.scenarios;

import dev.graceful.bench.BenchContext;
import dev.graceful.bench.Scenario;
import dev.graceful.bench.model.Better;
import dev.graceful.bench.model.Goals;
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
 * over a new connection. Contenders alternate (A B, then B A) so drift and neighbours' load hit both alike, and the
 * samples are paired by round; one unrecorded run each first warms the page cache. Each run then stays idle for
 * {@code startup.idle-wait} seconds (default {@code steady.idle-wait}, else 3; quick 2) and samples VmRSS: the idle
 * resident memory, one paired sample per run.
 */
public final class StartupScenario implements Scenario {

  static final int POLL_MS = 5;

  @Override
  public String name() {
    return "startup";
  }

  @Override
  public String description() {
    return "process start to readiness UP and idle resident memory, fresh JVM each run, runtime vs plain Vert.x";
  }

  @Override
  public ScenarioResult run(BenchContext context) throws Exception {
    int runs = context.intSetting("startup.runs", 7, 3);
    Duration idleWait = idleWait(context);
    List<Contender> contenders = Contender.both(context, Map.of("GRACEFUL_DRAIN_DELAY", "0"));
    ScenarioResult result = new ScenarioResult(name());
    Metric ready = result.metric("startup.ready", "ms", Better.LOWER,
        "ProcessBuilder.start() to the first 200 from /health/ready (polled every " + POLL_MS + " ms), off the cluster")
        .pairedByRound().target(Goals.offClusterStartup());
    Metric rss = result.metric("rss.at-ready", "MiB", Better.LOWER, "VmRSS of the JVM right when readiness first answered 200")
        .pairedByRound();
    Metric idle = result.metric("rss.idle", "MiB", Better.LOWER,
        "VmRSS " + idleWait.toSeconds() + " s after readiness, no request served (one sample per run)")
        .pairedByRound().target(Target.atMost(Contender.GRACEFUL_RUNTIME, Goals.RSS));

    for (Contender c : contenders) {
      context.log("warm-up start of " + c);
      once(context, c, "warmup-" + c.name(), Duration.ZERO);
    }
    for (int round = 0; round < runs; round++) {
      List<Contender> order = round % 2 == 0 ? contenders : List.of(contenders.get(1), contenders.get(0));
      for (Contender c : order) {
        double[] r = once(context, c, c.name() + "-" + (round + 1), idleWait);
        ready.add(c.name(), r[0]);
        rss.add(c.name(), r[1]);
        idle.add(c.name(), r[2]);
        context.log(String.format("round %d %s: ready in %.0f ms, RSS %.0f MiB, idle %.0f MiB", round + 1, c, r[0], r[1], r[2]));
      }
    }
    result.note(runs + " runs per contender, alternating order (A B, B A, ...), after one unrecorded warm-up start each; the"
        + " i-th samples of both contenders come from the same round, so each ratio has the 95% interval of the per-round"
        + " ratio. Each run stays idle " + idleWait.toSeconds() + " s after readiness for rss.idle. JVM flags "
        + String.join(" ", context.jvmFlags()) + (context.runtimeOnlyFlags().isEmpty()
            ? "; the runtime ran WITHOUT its class-data sharing archive (none trained: run through bench/run.sh)."
            : "; the runtime also " + String.join(" ", context.runtimeOnlyFlags()) + ", its class-data sharing archive as"
                + " the image ships it, trained on this host by the image's own training run (plain Vert.x: the JDK's"
                + " default archive only, as in its image)."));
    return result;
  }

  /** {@code startup.idle-wait}, else {@code steady.idle-wait} (the same wait as the steady scenario's idle sample), else 3 s (quick: 2). */
  static Duration idleWait(BenchContext context) {
    String steady = context.setting("steady.idle-wait", null);
    return steady != null && context.setting("startup.idle-wait", null) == null ? Duration.ofSeconds(Integer.parseInt(steady))
        : context.secondsSetting("startup.idle-wait", 3, 2);
  }

  /** Ready time (ms), VmRSS at readiness and VmRSS {@code idleWait} later (MiB; NaN when not waited for). */
  private static double[] once(BenchContext context, Contender c, String logName, Duration idleWait) throws Exception {
    try (ServerProcess server = ServerProcess.start(context, c, logName)) {
      double ms = server.awaitReady(Duration.ofSeconds(60), POLL_MS);
      double rss = ProcStatus.rssMiB(server.pid());
      double idle = Double.NaN;
      if (!idleWait.isZero()) {
        Thread.sleep(idleWait.toMillis());
        if (!server.alive()) {
          throw new IllegalStateException(c + " exited while idle after readiness; see " + server.log());
        }
        idle = ProcStatus.rssMiB(server.pid());
      }
      return new double[] {ms, rss, idle};
    }
  }
}
