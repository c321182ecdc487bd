package dev.graceful.bench.rollout;

import com.marcnuri.helm.Helm;
import dev.graceful.e2e.E2eEnvironment;
import dev.graceful.e2e.TestCluster;
import dev.graceful.e2e.ingress.HaproxyIngress;
import dev.graceful.e2e.load.Load;
import dev.graceful.e2e.load.MixedLoad;
import dev.graceful.e2e.node.PodTimeline;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Scenario 1 of the benchmark: each contender deployed with the project's Helm chart (3 replicas; a preStop sleep
 * and environment patched in where the contender calls for them), then {@link MixedLoad} (10 concurrent calls
 * through the service proxy, 6 more through an L7 hop, HAProxy configured from the EndpointSlices) while the
 * Deployment is restarted again and again, until the load window has passed and, for the runtime, enough pods have
 * been replaced. Counts every call on each path, keeps the calls per second, and reads each terminated pod's
 * timeline from the node agent.
 */
public final class RolloutBench {

  private static final Path CHART = E2eEnvironment.REPO.resolve("helm/graceful-runtime");
  private static final String NAMESPACE = "default";
  private static final int REPLICAS = 3;
  private static final int CONCURRENCY = 10;
  private static final int HOP_CONCURRENCY = 6;
  static final String SERVICE_PATH = "service proxy";
  static final String HOP_PATH = "L7 hop";

  private final TestCluster cluster;
  private final Duration loadTime;
  private final int runtimePods;
  private final Duration hopDelay;
  private final java.io.PrintStream log;
  private final Path dir;

  /**
   * @param runtimePods pods each runtime contender must have replaced under load before the load stops (rollouts go
   *                    on past the load window until then)
   * @param hopDelay    how long after an EndpointSlice change the L7 hop follows it
   * @param dir         where each terminated pod's output and the L7 hop's files are kept
   */
  public RolloutBench(TestCluster cluster, Duration loadTime, int runtimePods, Duration hopDelay, java.io.PrintStream log,
      Path dir) {
    this.cluster = cluster;
    this.loadTime = loadTime;
    this.runtimePods = runtimePods;
    this.hopDelay = hopDelay;
    this.log = log;
    this.dir = dir;
  }

  /** What the load saw, before the pods' timelines are known. */
  private record UnderLoad(Instant begin, Instant end, List<RolloutResult.PathCount> paths, List<Long> rollouts,
      List<long[]> perSecond, List<String> errors) {
  }

  /** The image for a contender, built unless present; empty when it cannot be built here (with the reason logged). */
  public java.util.Optional<TestCluster.ImageRef> image(Contender contender) throws Exception {
    return switch (contender.kind()) {
      case RUNTIME -> java.util.Optional.of(cluster.image(TestCluster.Image.RUNTIME));
      case PLAIN_VERTX -> java.util.Optional.of(cluster.image(TestCluster.Image.NAIVE));
      case UNCHANGED_APP -> java.util.Optional.of(cluster.image(TestCluster.Image.UNCHANGED_APP));
      case GO -> goImage(contender.goContender());
    };
  }

  private java.util.Optional<TestCluster.ImageRef> goImage(String directory) throws Exception {
    TestCluster.ImageRef ref = new TestCluster.ImageRef("localhost/" + directory, "bench");
    Process p = new ProcessBuilder("bash", "bench/contenders/build-go-image.sh", directory, ref.repository() + ":" + ref.tag())
        .directory(E2eEnvironment.REPO.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    p.waitFor();
    if (p.exitValue() == 3) {
      log.println("[rollout] " + directory + " skipped: " + out);
      return java.util.Optional.empty();
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("building " + directory + " failed:\n" + out);
    }
    return java.util.Optional.of(ref);
  }

  /** Deploys the contender, runs the load with continuous rollouts, tears it down. */
  public RolloutResult run(Contender contender, TestCluster.ImageRef image, Contender.Protocol protocol) throws Exception {
    String release = contender.release() + "-" + protocol.name().toLowerCase();
    var install = new Helm(CHART).install().withName(release).withNamespace(NAMESPACE).withKubeConfig(cluster.kubeconfig())
        .set("image.repository", image.repository()).set("image.tag", image.tag()).set("image.pullPolicy", "Never")
        .set("replicaCount", REPLICAS);
    contender.chartValues().forEach(install::set);
    install.call();
    UnderLoad load;
    try {
      // The chart names its objects after the release, or release-chart when the release does not contain the chart name.
      String deployment = cluster.admin().apps().deployments().inNamespace(NAMESPACE)
          .withLabel("app.kubernetes.io/instance", release).list().getItems().get(0).getMetadata().getName();
      for (Map.Entry<String, String> e : new java.util.TreeMap<>(resolved(contender.env(), image)).entrySet()) {
        cluster.admin().apps().deployments().inNamespace(NAMESPACE).withName(deployment).patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON),
            "[{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/0/env/-\","
                + "\"value\":{\"name\":\"" + e.getKey() + "\",\"value\":\"" + e.getValue() + "\"}}]");
      }
      if (contender.preStopSeconds() > 0) {
        // A JSON patch carries no resourceVersion, so it cannot conflict with the controllers' status writes.
        cluster.admin().apps().deployments().inNamespace(NAMESPACE).withName(deployment).patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON),
            "[{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/0/lifecycle\","
                + "\"value\":{\"preStop\":{\"sleep\":{\"seconds\":" + contender.preStopSeconds() + "}}}}]");
      }
      awaitRolledOut(release, deployment);
      load = underLoad(contender, protocol, release, deployment);
    } finally {
      Helm.uninstall(release).withNamespace(NAMESPACE).withKubeConfig(cluster.kubeconfig()).call();
      cluster.await(() -> cluster.pods(NAMESPACE, release).isEmpty(), Duration.ofMinutes(2), "the pods of " + release + " to go");
    }
    // Every pod of the release is gone now, so each has a complete timeline; the ones that count are those
    // replaced, or started, while the load ran.
    List<PodTimeline> timelines = cluster.terminated().stream().filter(t -> t.pod().startsWith(NAMESPACE + "/" + release + "-")).toList();
    keepLogs(release, timelines);
    List<PodTimeline> replaced = timelines.stream()
        .filter(t -> t.deleted() != null && t.exited() != null && t.deleted().isAfter(load.begin())
            && t.deleted().isBefore(load.end())).toList();
    List<Long> sigtermToExit = replaced.stream().filter(t -> t.sigterm() != null)
        .map(t -> Duration.between(t.sigterm(), t.exited()).toMillis()).toList();
    List<Long> deletionToExit = replaced.stream().map(t -> Duration.between(t.deleted(), t.exited()).toMillis()).toList();
    List<Long> startToReady = timelines.stream()
        .filter(t -> t.started() != null && t.ready() != null && t.started().isAfter(load.begin()))
        .map(t -> Duration.between(t.started(), t.ready()).toMillis()).toList();
    List<Double> rssAtReady = timelines.stream()
        .filter(t -> t.started() != null && t.started().isAfter(load.begin()) && t.rssAtReadyKiB() != null)
        .map(t -> t.rssAtReadyKiB() / 1024.0).toList();
    List<Double> rssAtDeletion = replaced.stream().filter(t -> t.rssAtDeletionKiB() != null)
        .map(t -> t.rssAtDeletionKiB() / 1024.0).toList();
    int killed = (int) replaced.stream().filter(PodTimeline::killed).count();
    List<Integer> inFlight = replaced.stream().map(RolloutBench::inFlightAtDrain).flatMap(java.util.Optional::stream).toList();
    double seconds = Duration.between(load.begin(), load.end()).toMillis() / 1000.0;
    RolloutResult result = new RolloutResult(contender.name(), protocol.label, load.paths(), seconds, load.rollouts(),
        replaced.size(), sigtermToExit, deletionToExit, startToReady, inFlight, rssAtReady, rssAtDeletion, killed,
        load.perSecond(), load.errors());
    log.printf("[rollout] %s %s: %s; %.0f calls/s, %d rollouts, %d pods replaced, deletion to exit %s ms, start to ready %s ms,"
            + " in flight at drain start %s, RSS at Ready %s MiB, at deletion %s MiB%s%n",
        contender.name(), protocol.label, load.paths(), result.throughput(), load.rollouts().size(), replaced.size(),
        deletionToExit, startToReady, inFlight, mib(rssAtReady), mib(rssAtDeletion),
        result.firstErrors().isEmpty() ? "" : "; first errors: " + result.firstErrors());
    return result;
  }

  /** The contender's environment with {@link Contender#JAVA_HOME} replaced by the image's Java home. */
  private Map<String, String> resolved(Map<String, String> env, TestCluster.ImageRef image) throws Exception {
    if (env.values().stream().noneMatch(v -> v.contains(Contender.JAVA_HOME))) {
      return env;
    }
    String home = javaHome(image);
    Map<String, String> out = new java.util.TreeMap<>();
    env.forEach((k, v) -> out.put(k, v.replace(Contender.JAVA_HOME, home)));
    return out;
  }

  /**
   * java.home inside the image, as its own JVM reports it; -Xshare:on makes that JVM fail unless it maps the JDK's
   * default archive, which the contender without the runtime's archive is to keep.
   */
  private static String javaHome(TestCluster.ImageRef image) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("podman", "run", "--rm", "--network", "none", "--entrypoint", "java",
        image.repository() + ":" + image.tag(), "-Xshare:on", "-XshowSettings:properties", "-version").redirectErrorStream(true);
    pb.environment().put("CONTAINERS_CONF", E2eEnvironment.REPO.resolve("e2e/podman/containers.conf").toString());
    Process p = pb.start();
    // A few KB of output: it fits the pipe, so waiting first cannot block the process, and the wait is bounded.
    if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("asking " + image.repository() + ":" + image.tag() + " for java.home took over 60 s");
    }
    String out = new String(p.getInputStream().readAllBytes());
    if (p.exitValue() != 0) {
      throw new IllegalStateException("cannot ask " + image.repository() + ":" + image.tag() + " for java.home (or it has"
          + " no default class-data sharing archive): " + out);
    }
    return out.lines().map(String::trim).filter(l -> l.startsWith("java.home = ")).map(l -> l.substring("java.home = ".length()))
        .findFirst().orElseThrow(() -> new IllegalStateException("no java.home in the output of " + image.repository() + ": " + out));
  }

  private static List<Long> mib(List<Double> values) {
    return values.stream().map(Math::round).toList();
  }

  /** Requests in flight when the pod's drain began, from the runtime's shutdown summary; empty for other servers. */
  static java.util.Optional<Integer> inFlightAtDrain(PodTimeline t) {
    return t.logs().lines().filter(l -> l.contains("\"event\":\"shutdown-complete\"")).findFirst().map(line -> {
      io.vertx.core.json.JsonObject drain = new io.vertx.core.json.JsonObject(line.substring(line.indexOf('{')))
          .getJsonObject("phases").getJsonObject("drain");
      return drain == null || drain.getJsonArray("servers") == null ? 0 : drain.getJsonArray("servers").stream()
          .mapToInt(o -> ((io.vertx.core.json.JsonObject) o).getInteger("inFlightAtStart", 0)).sum();
    });
  }

  private void keepLogs(String release, List<PodTimeline> timelines) {
    try {
      Path dir = java.nio.file.Files.createDirectories(this.dir.resolve("pods").resolve(release));
      for (PodTimeline t : timelines) {
        java.nio.file.Files.writeString(dir.resolve(t.pod().substring(t.pod().indexOf('/') + 1) + ".log"), t.logs());
      }
    } catch (java.io.IOException e) {
      log.println("[rollout] cannot keep the pod logs of " + release + ": " + e.getMessage());
    }
  }

  private UnderLoad underLoad(Contender contender, Contender.Protocol protocol, String release, String deployment)
      throws Exception {
    Vertx vertx = Vertx.vertx();
    java.util.Optional<HaproxyIngress> hop = java.util.Optional.empty();
    try (TestCluster.ServiceAccess service = cluster.openService(NAMESPACE, deployment, List.of("http", "grpc"))) {
      cluster.await(() -> service.routableEndpoints() == REPLICAS, Duration.ofSeconds(30), "the service to route to all pods");
      hop = cluster.openIngress(NAMESPACE, deployment, hopDelay,
          java.nio.file.Files.createDirectories(dir.resolve("l7-hop").resolve(release)));
      if (hop.isPresent()) {
        HaproxyIngress ingress = hop.get();
        cluster.await(() -> ingress.routableEndpoints() == REPLICAS, Duration.ofSeconds(30), "the L7 hop to route to all pods");
      }
      Map<String, Integer> ports = service.ports();
      Instant begin = Instant.now();
      Map<String, List<Load>> paths = new java.util.LinkedHashMap<>();
      paths.put(SERVICE_PATH, MixedLoad.start(vertx, protocol.load, "", service.host(), ports.get("http"), ports.get("grpc"),
          CONCURRENCY, 0));
      if (hop.isPresent()) {
        Map<String, Integer> hopPorts = hop.get().ports();
        paths.put(HOP_PATH, MixedLoad.start(vertx, protocol.load, HOP_PATH + ": ", "127.0.0.1", hopPorts.get("http"),
            hopPorts.get("grpc"), HOP_CONCURRENCY, 0));
      }
      List<Long> rollouts = new ArrayList<>();
      Instant end = begin.plus(loadTime);
      boolean runtime = contender.kind() == Contender.Kind.RUNTIME || contender.kind() == Contender.Kind.UNCHANGED_APP;
      int podsWanted = runtime ? runtimePods : 0;
      while (Instant.now().isBefore(end) || rollouts.size() * REPLICAS < podsWanted) {
        Instant began = Instant.now();
        cluster.admin().apps().deployments().inNamespace(NAMESPACE).withName(deployment).rolling().restart();
        awaitRolledOut(release, deployment);
        rollouts.add(Duration.between(began, Instant.now()).toMillis());
        log.printf("[rollout] %s %s: rollout %d took %d ms%n", contender.name(), protocol.label, rollouts.size(),
            rollouts.get(rollouts.size() - 1));
      }
      // The load ends with the last rollout, so every pod it replaced drained while the load still ran.
      List<RolloutResult.PathCount> counts = new ArrayList<>();
      List<String> errors = new ArrayList<>();
      Map<Long, long[]> perSecond = new java.util.TreeMap<>();
      for (Map.Entry<String, List<Load>> path : paths.entrySet()) {
        long issued = 0;
        long ok = 0;
        long failed = 0;
        long unfinished = 0;
        for (Load load : path.getValue()) {
          load.stop();
          issued += load.issued();
          ok += load.ok();
          failed += load.failed() - load.unfinished();
          unfinished += load.unfinished();
          load.errors().stream().limit(2).forEach(e -> errors.add(path.getKey() + ": " + e));
          long offset = (load.startMillis() - begin.toEpochMilli()) / 1000;
          for (long[] second : load.perSecond()) {
            long[] bucket = perSecond.computeIfAbsent(second[0] + offset, k -> new long[2]);
            bucket[0] += second[1];
            bucket[1] += second[2];
          }
        }
        counts.add(new RolloutResult.PathCount(path.getKey(), issued, ok, failed, unfinished));
      }
      hop.ifPresent(h -> keepHopChanges(release, h));
      List<long[]> series = perSecond.entrySet().stream()
          .map(e -> new long[] {e.getKey(), e.getValue()[0], e.getValue()[1]}).toList();
      return new UnderLoad(begin, Instant.now(), counts, rollouts, series, errors.stream().limit(4).toList());
    } finally {
      hop.ifPresent(HaproxyIngress::close);
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  /** The L7 hop's applied changes, beside its configuration and log, for the report's reader. */
  private void keepHopChanges(String release, HaproxyIngress hop) {
    try {
      java.nio.file.Files.write(dir.resolve("l7-hop").resolve(release).resolve("changes.txt"), hop.changes());
    } catch (java.io.IOException e) {
      log.println("[rollout] cannot keep the L7 hop's changes of " + release + ": " + e.getMessage());
    }
  }

  private void awaitRolledOut(String release, String deployment) throws InterruptedException {
    cluster.await(() -> cluster.rolledOut(NAMESPACE, deployment, release), Duration.ofMinutes(4), "the rollout of " + deployment);
  }

}
