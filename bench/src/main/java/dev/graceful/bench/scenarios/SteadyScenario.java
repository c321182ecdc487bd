package dev.graceful.bench.scenarios;

import dev.graceful.bench.BenchContext;
import dev.graceful.bench.Scenario;
import dev.graceful.bench.model.Better;
import dev.graceful.bench.model.Goals;
import dev.graceful.bench.model.ScenarioResult;
import dev.graceful.bench.model.Target;
import dev.graceful.bench.support.Contender;
import dev.graceful.bench.support.LoadResult;
import dev.graceful.bench.support.LoadTools;
import dev.graceful.bench.support.Pinning;
import dev.graceful.bench.support.ProcStatus;
import dev.graceful.bench.support.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Steady-state cost, direct on loopback (no proxy): both contenders started fresh and kept running, each load tool
 * warms both up, then measured runs alternate between them (A B, B A, ...) so noise from the shared machine falls
 * on both. HTTP/1.1 keep-alive with wrk and HTTP/2 (h2c) with h2load on {@code GET /delay?ms=0}; gRPC unary
 * {@code Demo/Delay {delay_ms: 0}} with ghz. Resident memory (VmRSS) idle after start, near the end of each measured
 * run, and the peak (VmHWM) at the end.
 */
public final class SteadyScenario implements Scenario {

  private interface Tool {
    LoadResult run(ServerProcess server, Duration duration, Path raw) throws Exception;
  }

  private record Protocol(String key, String label, String settings, Tool tool) {
  }

  @Override
  public String name() {
    return "steady";
  }

  @Override
  public String description() {
    return "throughput and p99 of /delay?ms=0 (wrk, h2load) and Demo/Delay (ghz), resident memory idle and under load";
  }

  @Override
  public ScenarioResult run(BenchContext context) throws Exception {
    Duration duration = context.secondsSetting("steady.duration", 10, 3);
    Duration warmup = context.secondsSetting("steady.warmup", 5, 2);
    int rounds = context.intSetting("steady.rounds", 15, 3);
    Pinning pin = Pinning.parse(context.setting("steady.pin", "auto"), Runtime.getRuntime().availableProcessors(),
        Pinning.tasksetAvailable());
    Duration idleWait = context.secondsSetting("steady.idle-wait", 3, 2);
    String ghz = context.ghz();
    Path proto = context.proto();
    List<Protocol> protocols = List.of(
        new Protocol("http1", "HTTP/1.1 keep-alive", LoadTools.wrkSettings(), (s, d, raw) -> LoadTools.wrk(pin, s.httpPort, d, raw)),
        new Protocol("h2", "HTTP/2 h2c", LoadTools.h2Settings(), (s, d, raw) -> LoadTools.h2load(pin, s.httpPort, d, raw)),
        new Protocol("grpc", "gRPC unary", LoadTools.ghzSettings(), (s, d, raw) -> LoadTools.ghz(pin, ghz, proto, s.grpcPort, d, raw)));

    ScenarioResult result = new ScenarioResult(name());
    String runtime = Contender.GRACEFUL_RUNTIME;
    for (Protocol p : protocols) {
      result.metric(p.key + ".throughput", "req/s", Better.HIGHER, p.label + ", successful requests per second (" + p.settings + ")")
          .pairedByRound().target(Target.atLeast(runtime, Goals.THROUGHPUT));
      result.metric(p.key + ".p99", "ms", Better.LOWER, p.label + ", 99th percentile latency as the tool measures it")
          .pairedByRound();
      result.metric(p.key + ".errors", "count", Better.LOWER, p.label + ", requests the tool counted as failed per run");
    }
    // One sample per contender, of the very servers then measured under load: no target here; the idle target is on
    // the startup scenario's rss.idle (one paired sample per run).
    result.metric("rss.idle", "MiB", Better.LOWER, "VmRSS " + idleWait.toSeconds() + " s after readiness, before any load,"
        + " one sample per server (the idle target is the startup scenario's rss.idle)");
    result.metric("rss.load", "MiB", Better.LOWER, "VmRSS sampled 0.5 s before the end of each measured run")
        .pairedByRound().target(Target.atMost(runtime, Goals.RSS));
    result.metric("rss.peak", "MiB", Better.LOWER, "VmHWM (peak resident set) after all runs");

    List<Contender> contenders = Contender.both(context, Map.of("GRACEFUL_DRAIN_DELAY", "0"));
    Map<String, ServerProcess> servers = new LinkedHashMap<>();
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "rss-sampler");
      t.setDaemon(true);
      return t;
    });
    try {
      for (Contender c : contenders) {
        servers.put(c.name(), ServerProcess.startReady(context, c, c.name(), pin));
      }
      Thread.sleep(idleWait.toMillis());
      servers.forEach((name, s) -> result.metric("rss.idle").add(name, ProcStatus.rssMiB(s.pid())));

      Map<String, List<double[]>> h2Series = new LinkedHashMap<>();
      for (Protocol p : protocols) {
        for (Contender c : contenders) {
          context.log(p.label + " warm-up " + warmup.toSeconds() + " s on " + c);
          p.tool.run(servers.get(c.name()), warmup, context.dir().resolve(p.key + "-warmup-" + c.name() + ".txt"));
        }
        for (int round = 0; round < rounds; round++) {
          List<Contender> order = round % 2 == 0 ? contenders : List.of(contenders.get(1), contenders.get(0));
          for (Contender c : order) {
            ServerProcess s = servers.get(c.name());
            double[] rssNearEnd = {Double.NaN};
            ScheduledFuture<?> sample = sampler.schedule(() -> rssNearEnd[0] = ProcStatus.rssMiB(s.pid()),
                Math.max(0, duration.toMillis() - 500), TimeUnit.MILLISECONDS);
            LoadResult r = p.tool.run(s, duration, context.dir().resolve(p.key + "-" + c.name() + "-" + (round + 1) + ".txt"));
            sample.get(5, TimeUnit.SECONDS);
            if (!s.alive()) {
              throw new IllegalStateException(c + " died during " + p.label + "; see " + s.log());
            }
            result.metric(p.key + ".throughput").add(c.name(), r.throughput());
            result.metric(p.key + ".p99").add(c.name(), r.p99Ms());
            result.metric(p.key + ".errors").add(c.name(), r.errors());
            result.metric("rss.load").add(c.name(), rssNearEnd[0]);
            if (!r.perSecond().isEmpty()) {
              h2Series.put(c.name(), r.perSecond());
            }
            context.log(String.format("%s round %d %s: %.0f req/s, p99 %.2f ms, %d errors, RSS %.0f MiB",
                p.label, round + 1, c, r.throughput(), r.p99Ms(), r.errors(), rssNearEnd[0]));
          }
        }
      }
      servers.forEach((name, s) -> result.metric("rss.peak").add(name, ProcStatus.peakRssMiB(s.pid())));
      if (!h2Series.isEmpty()) {
        result.series(Contender.GRACEFUL_RUNTIME, h2Series.getOrDefault(Contender.GRACEFUL_RUNTIME, List.of()));
        result.series(Contender.PLAIN_VERTX, h2Series.getOrDefault(Contender.PLAIN_VERTX, List.of()));
        result.seriesTitle("steady: HTTP/2 (h2load) requests and errors per second, last measured run of each contender");
      }
    } finally {
      sampler.shutdownNow();
      for (ServerProcess s : servers.values()) {
        s.close();
      }
    }
    result.note("Each measured run " + duration.toSeconds() + " s, " + rounds + " rounds per tool and contender, alternating order, after a "
        + warmup.toSeconds() + " s warm-up of each; both servers run throughout (the idle one costs next to nothing).");
    result.note("CPU pinning (steady.pin): " + pin.describe() + ". Absolute figures are the machine's; the ratios, with the 95%"
        + " interval of the per-round ratio (rounds alternate A B, B A), are the result.");
    result.note("ghz stops at the end of its window by cancelling the calls in flight: those count as errors (up to "
        + LoadTools.GHZ_CONCURRENCY + " a run) and are not the server's doing.");
    result.note("Raw tool output: " + context.runDir().relativize(context.dir()) + "/*.txt; server logs beside them.");
    return result;
  }
}
