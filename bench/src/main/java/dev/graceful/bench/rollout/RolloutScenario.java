package dev.graceful.bench.rollout;

import dev.graceful.bench.BenchContext;
import dev.graceful.bench.Scenario;
import dev.graceful.bench.model.Better;
import dev.graceful.bench.model.Goals;
import dev.graceful.bench.model.Metric;
import dev.graceful.bench.model.ScenarioResult;
import dev.graceful.bench.model.Stats;
import dev.graceful.bench.report.TimelinePlot;
import dev.graceful.bench.support.Footprint;
import dev.graceful.e2e.AgentCluster;
import dev.graceful.e2e.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Scenario 1: rolling restarts under load on the e2e control plane, node agent and service proxy, one contender
 * after the other in the same run, through the service proxy and through an L7 hop. Settings: {@code rollout.seconds}
 * (load per run, 60; quick 20), {@code rollout.pods} (pods each runtime variant must replace per protocol, 60; quick
 * 3), {@code rollout.hop-delay} (seconds the L7 hop lags the EndpointSlices, 1), {@code rollout.protocols}
 * (http1,http2,grpc; quick http1), {@code rollout.contenders} (names, all by default).
 */
public final class RolloutScenario implements Scenario {

  static final String RUNTIME = "graceful-runtime";
  static final String RUNTIME_GATE = "graceful-runtime+readiness-gate";
  static final String UNCHANGED_APP = "unchanged-vertx-app";
  static final String PRESTOP_15 = "plain-vertx+preStop-15s";

  /** The metrics every contender's runs add to, by name rather than by position. */
  private record PerPod(Metric exit, Metric deletionToExit, Metric startToReady, Metric rolloutTime, Metric killed,
      Metric inFlight, Metric rssReady, Metric rssDeletion) {
  }

  static List<Contender> contenders() {
    Set<Contender.Protocol> http = Set.of(Contender.Protocol.HTTP1, Contender.Protocol.HTTP2);
    return List.of(Contender.runtime(), Contender.runtimeWithReadinessGate(), Contender.runtimeWithoutArchive(),
        Contender.unchangedApp(), Contender.plainVertx(0), Contender.plainVertx(5), Contender.plainVertx(15),
        Contender.vertxByHand(), Contender.go("go-nethttp", 0, http), Contender.go("go-nethttp", 5, http),
        Contender.go("go-graceful", 0, Set.of(Contender.Protocol.values())));
  }

  @Override
  public String name() {
    return "rollout";
  }

  @Override
  public String description() {
    return "continuous rolling restarts of 3 pods under a mixed load through the service proxy and an L7 hop, per contender";
  }

  @Override
  public ScenarioResult run(BenchContext context) throws Exception {
    Duration loadTime = context.secondsSetting("rollout.seconds", 60, 20);
    int runtimePods = context.intSetting("rollout.pods", 60, 3);
    Duration hopDelay = context.secondsSetting("rollout.hop-delay", 1, 1);
    Set<Contender.Protocol> protocols = Arrays.stream(context.setting("rollout.protocols", context.quick() ? "http1" : "http1,http2,grpc")
        .split(",")).map(p -> Contender.Protocol.valueOf(p.trim().toUpperCase(Locale.ROOT))).collect(Collectors.toSet());
    String only = context.setting("rollout.contenders", "");
    List<Contender> contenders = contenders().stream()
        .filter(c -> only.isBlank() || Arrays.asList(only.split(",")).contains(c.name())).toList();

    ScenarioResult result = new ScenarioResult(name());
    result.note("each run: Helm chart, 3 replicas, at least " + loadTime.toSeconds() + " s of load while `kubectl rollout restart`"
        + " repeats, and for the runtime's variants until " + runtimePods + " pods were replaced; the run ends with the rollout"
        + " under way at the end. The load (e2e MixedLoad): 10 concurrent calls through the service proxy and 6 through the"
        + " L7 hop (HAProxy, ready endpoints only, changes applied " + hopDelay.toMillis() + " ms after the EndpointSlices,"
        + " pooled keep-alive connections to the pods shared by all clients); about 10% of calls take 200 ms to 3 s; a third"
        + " of the HTTP workers call in bursts through pools twice their size; a third of the gRPC workers run server streams"
        + " of 1 to 3 s. Strict clients: no retries, 15 s timeout per call, unfinished calls count as failed.");
    Map<Contender.Protocol, Map<String, List<double[]>>> plots = new LinkedHashMap<>();
    Map<Contender.Kind, TestCluster.ImageRef> built = new LinkedHashMap<>();
    Metric deletionToExit = result.metric("rollout.deletion-to-exit", "ms", Better.LOWER,
        "pod deletion to process exit per pod replaced under load (preStop sleep included): how long a pod takes to go");
    Metric exit = result.metric("rollout.sigterm-to-exit", "ms", Better.LOWER,
        "SIGTERM to exit per pod replaced under load (after the preStop sleep, if any)");
    Metric startToReady = result.metric(Goals.IN_CLUSTER_START_TO_READY, "ms", Better.LOWER,
        "container start to Ready per pod started under load (the headline start-up figure, in the cluster under load)");
    Goals.inClusterStartup().forEach(startToReady::target);
    Metric rolloutTime = result.metric("rollout.duration", "ms", Better.LOWER, "one `rollout restart` of 3 pods to all new pods available");
    Metric killed = result.metric("rollout.sigkilled-pods", "pods", Better.LOWER, "pods that needed SIGKILL at the deadline, all loads");
    Metric inFlight = result.metric("rollout.in-flight-at-drain", "requests", Better.HIGHER,
        "requests in flight when each replaced runtime pod's drain began (its own summary): how hard the drains were");
    // Memory where users run it: the image's JVM, the chart's memory limit on the container's cgroup, the Kubernetes
    // client in use. Off the cluster (startup, steady) the runtime runs with GRACEFUL_KUBERNETES=false.
    Metric rssReady = result.metric(Goals.IN_CLUSTER_RSS_READY, "MiB", Better.LOWER,
        "VmRSS of the container's process when it turned Ready, per pod started under load (in the cluster)");
    Metric rssDeletion = result.metric(Goals.IN_CLUSTER_RSS_SERVED, "MiB", Better.LOWER,
        "VmRSS of the container's process when its deletion was seen, per pod replaced under load: after serving its"
            + " share of the load since Ready, before the drain (in the cluster)");
    Goals.inClusterMemory().forEach(t -> {
      rssReady.target(t);
      rssDeletion.target(t);
    });

    try (AgentCluster cluster = AgentCluster.start()) {
      // Interrupted (Ctrl-C, SIGTERM): still stop the control plane and the pods it started.
      Thread cleanup = new Thread(() -> {
        try {
          cluster.close();
        } catch (Exception e) {
          System.err.println("[rollout] cleanup: " + e);
        }
      });
      Runtime.getRuntime().addShutdownHook(cleanup);
      try {
        runAll(new RolloutBench(cluster, loadTime, runtimePods, hopDelay, System.out, context.dir()), contenders, protocols,
            result, plots, new PerPod(exit, deletionToExit, startToReady, rolloutTime, killed, inFlight, rssReady, rssDeletion), built);
      } finally {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      }
    }
    plots.forEach((protocol, series) -> {
      if (protocol == Contender.Protocol.HTTP1) {
        series.forEach(result::series);
        result.seriesTitle("Rolling restarts under load, " + protocol.label + ": calls and failures per second");
      }
      try {
        TimelinePlot.write(context.dir().resolve("rollout-" + protocol.name().toLowerCase(Locale.ROOT) + ".png"),
            "Rolling restarts under load, " + protocol.label + ": calls and failures per second", series);
      } catch (java.io.IOException e) {
        result.note("cannot write the " + protocol.label + " plot: " + e.getMessage());
      }
    });
    targets(result, deletionToExit);
    imageSizes(context, result, built);
    result.note("rollout.start-to-ready is one sample per pod started under load; the samples of different contenders come"
        + " from different pods, rollouts and minutes, so they do not pair: its targets are on the ratio of medians of"
        + " unpaired samples (counts and ranges in the Targets table), with no interval.");
    return result;
  }

  private static void runAll(RolloutBench bench, List<Contender> contenders, Set<Contender.Protocol> protocols,
      ScenarioResult result, Map<Contender.Protocol, Map<String, List<double[]>>> plots, PerPod perPod,
      Map<Contender.Kind, TestCluster.ImageRef> built) throws Exception {
    Metric exit = perPod.exit();
    Metric deletionToExit = perPod.deletionToExit();
    Metric startToReady = perPod.startToReady();
    Metric rolloutTime = perPod.rolloutTime();
    Metric killed = perPod.killed();
    Metric inFlight = perPod.inFlight();
    Metric rssReady = perPod.rssReady();
    Metric rssDeletion = perPod.rssDeletion();
    for (Contender contender : contenders) {
      Optional<dev.graceful.e2e.TestCluster.ImageRef> image = bench.image(contender);
      if (image.isEmpty()) {
        result.note(contender.name() + ": not measured, its image cannot be built here (see the log)");
        continue;
      }
      built.putIfAbsent(contender.kind(), image.get());
      int pods = 0;
      for (Contender.Protocol protocol : Contender.Protocol.values()) {
        if (!protocols.contains(protocol) || !contender.protocols().contains(protocol)) {
          continue;
        }
        RolloutResult r;
        try {
          r = bench.run(contender, image.get(), protocol);
        } catch (Exception e) {
          // The contenders measured so far keep their results; this one is reported as failed.
          result.partFailed(contender.name() + " " + protocol.label, e.toString().replaceAll("\\s+", " "));
          result.note("NOT MEASURED: " + contender.name() + " " + protocol.label + ": " + e.toString().replaceAll("\\s+", " "));
          continue;
        }
        String p = protocol.name().toLowerCase(Locale.ROOT);
        for (RolloutResult.PathCount path : r.paths()) {
          String key = path.path().equals(RolloutBench.SERVICE_PATH) ? "" : ".l7";
          String through = path.path().equals(RolloutBench.SERVICE_PATH) ? "" : " through the L7 hop";
          result.metric("rollout." + p + key + ".failed", "calls", Better.LOWER,
              "failed calls (errors, timeouts and unfinished), " + protocol.label + through).add(contender.name(), path.lost());
          result.metric("rollout." + p + key + ".issued", "calls", Better.HIGHER, "calls issued, " + protocol.label + through)
              .add(contender.name(), path.issued());
          result.metric("rollout." + p + key + ".ok", "calls", Better.HIGHER, "calls served, " + protocol.label + through)
              .add(contender.name(), path.ok());
          result.note(perPodBound(contender.name(), protocol.label + through, path, r.replaced()));
        }
        result.metric("rollout." + p + ".pods-replaced", "pods", Better.HIGHER, "pods replaced under load, " + protocol.label)
            .add(contender.name(), r.replaced());
        r.inFlightAtDrain().forEach(n -> inFlight.add(contender.name(), n));
        result.metric("rollout." + p + ".throughput", "calls/s", Better.HIGHER, "calls served per second, " + protocol.label)
            .add(contender.name(), r.throughput());
        r.sigtermToExit().forEach(ms -> exit.add(contender.name(), ms));
        r.deletionToExit().forEach(ms -> deletionToExit.add(contender.name(), ms));
        r.startToReady().forEach(ms -> startToReady.add(contender.name(), ms));
        r.rssAtReadyMiB().forEach(mib -> rssReady.add(contender.name(), mib));
        r.rssAtDeletionMiB().forEach(mib -> rssDeletion.add(contender.name(), mib));
        r.rollouts().forEach(ms -> rolloutTime.add(contender.name(), ms));
        pods += r.killed();
        List<double[]> points = r.perSecond().stream().map(s -> new double[] {s[0], s[1], s[2]}).toList();
        plots.computeIfAbsent(protocol, k -> new LinkedHashMap<>()).put(contender.name(), points);
        if (!r.firstErrors().isEmpty()) {
          result.note(contender.name() + " " + protocol.label + " first errors: "
              + r.firstErrors().stream().map(e -> e.replaceAll("\\s+", " ")).toList());
        }
      }
      killed.add(contender.name(), pods);
    }
  }

  /**
   * The container image sizes of the runtime and of plain Vert.x, as built for this run (podman), in the report's
   * Footprint section; "not measured" with the reason when an image was not built here or podman cannot say.
   */
  static void imageSizes(BenchContext context, ScenarioResult result, Map<Contender.Kind, TestCluster.ImageRef> built) {
    Footprint.ImageSize plain = size(context, built.get(Contender.Kind.PLAIN_VERTX));
    Footprint.ImageSize runtime = size(context, built.get(Contender.Kind.RUNTIME));
    String ratio = Footprint.ratio(runtime, plain);
    result.footprint(Footprint.IMAGE_RUNTIME, describe(runtime, RUNTIME)
        + (ratio.isEmpty() ? "" : "; " + ratio + "x plain Vert.x's image"));
    result.footprint(Footprint.IMAGE_PLAIN, describe(plain, "plain-vertx"));
  }

  private static Footprint.ImageSize size(BenchContext context, TestCluster.ImageRef ref) {
    return ref == null ? null : Footprint.imageSize(context.repo(), ref.repository() + ":" + ref.tag());
  }

  private static String describe(Footprint.ImageSize size, String contender) {
    if (size == null) {
      return "not measured (" + contender + " was not among this run's rollout contenders, so its image was not built)";
    }
    return size.image() + ": " + size.describe();
  }

  /**
   * "F failed calls over N pods replaced: F/N per pod, 95% upper bound U": an honest statement of what a run of this
   * size can show, with the counts it rests on (issued = ok + failed + unfinished).
   */
  static String perPodBound(String contender, String load, RolloutResult.PathCount path, int replaced) {
    String counts = String.format(Locale.ROOT, "(%d issued = %d ok + %d failed + %d unfinished)", path.issued(), path.ok(),
        path.failed(), path.unfinished());
    if (replaced == 0) {
      return contender + ", " + load + ": " + path.lost() + " failed calls, no pod replaced under load " + counts;
    }
    return String.format(Locale.ROOT, "%s, %s: %d failed calls over %d pods replaced: %.3f per pod, 95%% upper bound %.3f %s",
        contender, load, path.lost(), replaced, path.lost() / (double) replaced,
        dev.graceful.bench.model.Stats.poissonUpper95(path.lost()) / replaced, counts);
  }

  /**
   * The targets that are not ratios against plain Vert.x, stated as met or missed, for both runtime variants and for
   * the unchanged Vert.x application on the runtime's image (the runtime drains servers it did not create).
   */
  private static void targets(ScenarioResult result, Metric deletionToExit) {
    for (String runtime : List.of(RUNTIME, RUNTIME_GATE, UNCHANGED_APP)) {
      List<String> failures = new ArrayList<>();
      for (Metric m : result.metrics()) {
        if (m.name().endsWith(".failed") && !m.samples(runtime).isEmpty()) {
          double failed = m.samples(runtime).stream().mapToDouble(Double::doubleValue).sum();
          failures.add(m.description() + ": " + (long) failed);
          if (failed > 0) {
            result.note("TARGET MISSED: " + runtime + " lost " + (long) failed + " calls (" + m.description() + ")");
          }
        }
      }
      if (!failures.isEmpty() && failures.stream().allMatch(f -> f.endsWith(": 0"))) {
        result.note("target met: " + runtime + " failed no call in any rollout (" + String.join("; ", failures) + ")");
      }
      double mine = Stats.median(deletionToExit.samples(runtime));
      double preStop15 = Stats.median(deletionToExit.samples(PRESTOP_15));
      if (!Double.isNaN(mine) && !Double.isNaN(preStop15) && mine > 0) {
        double factor = preStop15 / mine;
        result.note(String.format(Locale.ROOT, "target %s: termination (deletion to exit: for the preStop contender the kubelet's"
            + " SIGTERM comes only after its sleep), %s %.0f ms vs %s %.0f ms = %.1fx shorter (target: at least 3x)",
            factor >= 3 ? "met" : "MISSED", runtime, mine, PRESTOP_15, preStop15, factor));
      }
    }
  }
}
