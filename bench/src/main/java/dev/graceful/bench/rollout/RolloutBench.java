package dev.graceful.bench.rollout;

import com.marcnuri.helm.Helm;
import dev.graceful.e2e.E2eEnvironment;
import dev.graceful.e2e.TestCluster;
import dev.graceful.e2e.load.Load;
import dev.graceful.e2e.node.PodTimeline;
import dev.graceful.runtime.demo.grpc.DelayRequest;
import dev.graceful.runtime.demo.grpc.DemoGrpcClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Scenario 1 of the benchmark: each contender deployed with the project's Helm chart (3 replicas; a preStop sleep
 * patched in where the contender calls for one), then a closed-loop load of 10 concurrent calls through the
 * service proxy while the Deployment is restarted again and again. Counts every failed call, keeps the calls per
 * second, and reads each terminated pod's SIGTERM-to-exit from the node agent.
 */
public final class RolloutBench {

  private static final Path CHART = E2eEnvironment.REPO.resolve("helm/graceful-runtime");
  private static final String NAMESPACE = "default";
  private static final int REPLICAS = 3;
  private static final int CONCURRENCY = 10;

  private final TestCluster cluster;
  private final Duration loadTime;
  private final java.io.PrintStream log;
  private final Path podLogs;

  /** @param podLogs where each terminated pod's output is kept, as raw material for the report */
  public RolloutBench(TestCluster cluster, Duration loadTime, java.io.PrintStream log, Path podLogs) {
    this.cluster = cluster;
    this.loadTime = loadTime;
    this.log = log;
    this.podLogs = podLogs;
  }

  /** What the load saw, before the pods' timelines are known. */
  private record UnderLoad(Instant begin, Instant end, long ok, long failed, List<Long> rollouts, List<long[]> perSecond,
      List<String> errors) {
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
    int killed = (int) replaced.stream().filter(PodTimeline::killed).count();
    double seconds = Duration.between(load.begin(), load.end()).toMillis() / 1000.0;
    RolloutResult result = new RolloutResult(contender.name(), protocol.label, load.ok(), load.failed(), seconds,
        load.rollouts(), sigtermToExit, deletionToExit, startToReady, killed, load.perSecond(), load.errors());
    log.printf("[rollout] %s %s: %d ok, %d failed, %.0f calls/s, %d rollouts, deletion to exit %s ms, start to ready %s ms%s%n",
        contender.name(), protocol.label, result.ok(), result.failed(), result.throughput(), load.rollouts().size(),
        deletionToExit, startToReady, result.firstErrors().isEmpty() ? "" : "; first errors: " + result.firstErrors());
    return result;
  }

  private void keepLogs(String release, List<PodTimeline> timelines) {
    try {
      Path dir = java.nio.file.Files.createDirectories(podLogs.resolve(release));
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
    try (TestCluster.ServiceAccess service = cluster.openService(NAMESPACE, deployment, List.of("http", "grpc"))) {
      cluster.await(() -> service.routableEndpoints() == REPLICAS, Duration.ofSeconds(30), "the service to route to all pods");
      Map<String, Integer> ports = service.ports();
      Instant begin = Instant.now();
      Load load = Load.start(protocol.label, CONCURRENCY, Long.MAX_VALUE, call(vertx, protocol, ports));
      List<Long> rollouts = new ArrayList<>();
      Instant end = begin.plus(loadTime);
      while (Instant.now().isBefore(end)) {
        Instant began = Instant.now();
        cluster.admin().apps().deployments().inNamespace(NAMESPACE).withName(deployment).rolling().restart();
        awaitRolledOut(release, deployment);
        rollouts.add(Duration.between(began, Instant.now()).toMillis());
        log.printf("[rollout] %s %s: rollout %d took %d ms%n", contender.name(), protocol.label, rollouts.size(),
            rollouts.get(rollouts.size() - 1));
      }
      // The load ends with the last rollout, so every pod it replaced drained while the load still ran.
      load.stop();
      return new UnderLoad(begin, Instant.now(), load.ok(), load.failed(), rollouts, load.perSecond(),
          load.errors().stream().limit(3).toList());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get();
    }
  }

  /** One call of the load: {@code /delay?ms=0} over HTTP/1.1 or HTTP/2, or the Delay method with 0 ms. */
  private static Supplier<Future<?>> call(Vertx vertx, Contender.Protocol protocol, Map<String, Integer> ports) {
    return switch (protocol) {
      case HTTP1 -> http(vertx.httpClientBuilder().with(new HttpClientOptions().setKeepAlive(true))
          .with(new PoolOptions().setHttp1MaxSize(CONCURRENCY)).build(), ports.get("http"));
      case HTTP2 -> http(vertx.httpClientBuilder()
          .with(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false))
          .with(new PoolOptions().setHttp2MaxSize(2)).build(), ports.get("http"));
      case GRPC -> {
        DemoGrpcClient demo = DemoGrpcClient.create(GrpcClient.client(vertx),
            SocketAddress.inetSocketAddress(ports.get("grpc"), "127.0.0.1"));
        yield () -> demo.delay(DelayRequest.newBuilder().setDelayMs(0).build());
      }
    };
  }

  private static Supplier<Future<?>> http(HttpClient client, int port) {
    return () -> Load.delay(client, port, 0);
  }

  private void awaitRolledOut(String release, String deployment) throws InterruptedException {
    cluster.await(() -> cluster.rolledOut(NAMESPACE, deployment, release), Duration.ofMinutes(4), "the rollout of " + deployment);
  }

}
