package dev.graceful.runtime.training;

import dev.graceful.runtime.GracefulRuntime;
import dev.graceful.runtime.config.ConfigLoader;
import dev.graceful.runtime.config.RuntimeConfig;
import dev.graceful.runtime.demo.DemoModule;
import dev.graceful.runtime.demo.grpc.DelayRequest;
import dev.graceful.runtime.demo.grpc.DemoGrpcClient;
import dev.graceful.runtime.demo.grpc.TicksRequest;
import dev.graceful.runtime.kubernetes.PodIdentity;
import dev.graceful.runtime.logging.ProcessLog;
import dev.graceful.runtime.shutdown.ShutdownReport;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PfxOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The training run for the image's class-data sharing archive (the Dockerfile runs it at build time with
 * {@code -XX:ArchiveClassesAtExit}): runs the runtime with its demo as {@code Main} would, against a stand-in
 * Kubernetes API server, and takes it through what a pod's life loads: the start with the pod read and the readiness
 * gate, the probes, a metrics scrape, HTTP/1.1, HTTP/2 (h2c) and gRPC requests, gRPC health, and the drain. Every
 * class loaded on the way goes into the archive.
 *
 * <p>Loopback only, every wait bounded. Any step that fails ends the JVM with exit code 1 (and a watchdog with 3), so
 * a broken training fails the image build instead of producing an archive of half a start.
 */
public final class CdsTraining {

  private static final Duration STEP = Duration.ofSeconds(30);
  private static final Duration WHOLE = Duration.ofSeconds(180);
  private static final String HOST = "127.0.0.1";
  private static final String GATE = "graceful.dev/cds-training";
  private static final PodIdentity POD = new PodIdentity("cds-training", "cds-training", Optional.of(HOST));
  private static final ServiceMethod<HealthCheckResponse, HealthCheckRequest> HEALTH_CHECK = ServiceMethod.client(
      ServiceName.create("grpc.health.v1.Health"), "Check", GrpcMessageEncoder.encoder(),
      GrpcMessageDecoder.decoder(HealthCheckResponse.newBuilder()));

  private CdsTraining() {
  }

  public static void main(String[] args) {
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(WHOLE.toMillis());
        System.err.println("cds-training: not done within " + WHOLE.toSeconds() + " s");
        Runtime.getRuntime().halt(3);
      } catch (InterruptedException e) {
        // done in time
      }
    }, "cds-training-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      run();
    } catch (Throwable e) {
      System.err.println("cds-training: failed: " + e);
      e.printStackTrace();
      System.exit(1);
    }
    watchdog.interrupt();
    System.out.println("cds-training: done");
    // Exits normally, so the JVM writes the archive; System.exit, so no stray non-daemon thread can hold it open.
    System.exit(0);
  }

  private static void run() throws Exception {
    // A layered archive needs the JDK's default one mapped: without it the JVM would write nothing, and quietly.
    String vm = System.getProperty("java.vm.info", "");
    if (!vm.contains("sharing")) {
      throw new IllegalStateException("the JVM runs without class-data sharing (" + vm + "): -Xshare:off set, or a base"
          + " without the JDK's default archive lib/server/classes.jsa (`java -Xshare:dump` makes it)");
    }
    // What Main sets before anything else.
    System.setProperty("io.netty.jfr.enabled", "false");
    Path work = Files.createTempDirectory("cds-training");
    Vertx helper = Vertx.vertx();   // the stand-in API server and the clients; not the runtime's
    try {
      StandIn apiServer = StandIn.start(helper, work);
      // The client made as KubernetesIntegration.fromEnvironment makes it: Config.autoConfigure reads a kubeconfig.
      System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, apiServer.kubeconfig().toString());
      Config config = new ConfigBuilder(Config.autoConfigure(null))
          .withRequestTimeout((int) STEP.toMillis())
          .withConnectionTimeout((int) STEP.toMillis())
          .withRequestRetryBackoffLimit(0)
          .build();
      try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
        train(helper, client, apiServer);
      }
    } finally {
      await(helper.close(), "close the helper Vert.x");
      deleteTree(work);
    }
  }

  private static void train(Vertx helper, KubernetesClient client, StandIn apiServer) throws Exception {
    RuntimeConfig config = ConfigLoader.load(Map.of(
        "GRACEFUL_HOST", HOST,
        "GRACEFUL_HTTP_PORT", "0",
        "GRACEFUL_GRPC_PORT", "0",
        "GRACEFUL_MANAGEMENT_PORT", "0",
        "GRACEFUL_DRAIN_DELAY", "0",
        "GRACEFUL_READINESS_GATE", GATE,
        "GRACEFUL_KUBERNETES", "true"));   // required: a failed pod read fails the start, and so the training
    ProcessLog.install(config.logging());
    GracefulRuntime runtime = GracefulRuntime.builder().config(config).module(new DemoModule())
        .kubernetes(client, POD).build();
    await(runtime.start(), "start the runtime");
    step("the stand-in API server was asked for the pod and the Services",
        apiServer.seen().containsAll(Set.of("GET pods/" + POD.name(), "GET services")));
    // The gate goes True just after the start completes, a failure only warned about: wait for the patch itself.
    step("the readiness gate was patched True", eventually(() -> apiServer.seen().contains("PATCH pods/" + POD.name() + "/status")));

    // The probes and a scrape, as the kubelet and Prometheus would: JDK HttpClient, HTTP/1.1.
    HttpClient probes = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(STEP).build();
    int management = runtime.managementPort();
    for (String path : List.of("/health/started", "/health/live", "/health/ready", "/metrics")) {
      String body = get(probes, "http://" + HOST + ":" + management + path);
      step("GET " + path + " answers 200", !body.isEmpty());
    }

    int http = runtime.port("http");
    step("HTTP/1.1 /delay answers", get(probes, "http://" + HOST + ":" + http + "/delay?ms=1").contains("delayed 1 ms"));
    HttpClientAgent h2c = helper.createHttpClient(new HttpClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    String h2Answer = await(h2c.request(HttpMethod.GET, http, HOST, "/delay?ms=1")
        .compose(request -> request.send())
        .compose(response -> response.version() == HttpVersion.HTTP_2 && response.statusCode() == 200
            ? response.body().map(Buffer::toString)
            : Future.failedFuture("answered " + response.statusCode() + " over " + response.version())), "h2c /delay");
    step("HTTP/2 (h2c) /delay answers", h2Answer.contains("delayed 1 ms"));

    int grpcPort = runtime.port("grpc");
    GrpcClient grpc = GrpcClient.client(helper);
    SocketAddress grpcAt = SocketAddress.inetSocketAddress(grpcPort, HOST);
    DemoGrpcClient demo = DemoGrpcClient.create(grpc, grpcAt);
    int delayed = await(demo.delay(DelayRequest.newBuilder().setDelayMs(1).build()), "gRPC Delay").getDelayedMs();
    step("gRPC Delay answers", delayed == 1);
    long ticks = await(demo.ticks(TicksRequest.newBuilder().setCount(3).setIntervalMs(1).build())
        .compose(stream -> stream.collect(java.util.stream.Collectors.counting())), "gRPC Ticks");
    step("gRPC Ticks streams 3 ticks", ticks == 3);
    HealthCheckResponse.ServingStatus serving = await(grpc.request(grpcAt, HEALTH_CHECK)
        .compose(request -> request.send(HealthCheckRequest.newBuilder().setService("").build()))
        .compose(response -> response.last()), "gRPC health").getStatus();
    step("gRPC health says SERVING", serving == HealthCheckResponse.ServingStatus.SERVING);
    await(grpc.close(), "close the gRPC client");
    await(h2c.close(), "close the h2c client");

    ShutdownReport report = await(runtime.shutdown(), "shut down");
    step("the shutdown is clean (" + report.outcome() + ")", "clean".equals(report.outcome()));
    await(runtime.close(), "close the runtime");
  }

  /** Polls {@code condition} until true or {@link #STEP} has passed. */
  private static boolean eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + STEP.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > until) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  private static String get(HttpClient client, String url) throws IOException, InterruptedException {
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(STEP).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("GET " + url + " answered " + response.statusCode());
    }
    return response.body();
  }

  private static void step(String what, boolean passed) {
    if (!passed) {
      throw new IllegalStateException("step failed: " + what);
    }
    System.out.println("cds-training: " + what);
  }

  private static <T> T await(Future<T> future, String what) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(STEP.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(what + ": " + (e.getCause() != null ? e.getCause() : e), e);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /**
   * A stand-in Kubernetes API server on loopback: answers the pod read, the Service list and Event writes, over TLS
   * with a certificate made by the JDK's keytool (plain HTTP when the JRE has none), and a kubeconfig that points at it.
   */
  record StandIn(Path kubeconfig, Set<String> seen) {

    static StandIn start(Vertx vertx, Path work) throws Exception {
      Optional<Path> keystore = keystore(work);
      HttpServerOptions options = new HttpServerOptions().setHost(HOST).setPort(0);
      keystore.ifPresent(file -> options.setSsl(true)
          .setKeyCertOptions(new PfxOptions().setPath(file.toString()).setPassword("training")));
      Set<String> seen = ConcurrentHashMap.newKeySet();
      HttpServer server = await(vertx.createHttpServer(options).requestHandler(request -> answer(request, seen)).listen(),
          "start the stand-in API server");
      String url = (keystore.isPresent() ? "https://" : "http://") + HOST + ":" + server.actualPort();
      System.out.println("cds-training: stand-in Kubernetes API server at " + url);
      String ca = keystore.isPresent() ? "    certificate-authority-data: " + caData(keystore.get()) + "\n" : "";
      Path kubeconfig = work.resolve("kubeconfig");
      Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\n"
          + "clusters:\n- name: training\n  cluster:\n    server: " + url + "\n" + ca
          + "users:\n- name: training\n  user:\n    token: training\n"
          + "contexts:\n- name: training\n  context:\n    cluster: training\n    user: training\n"
          + "    namespace: " + POD.namespace() + "\n"
          + "current-context: training\n");
      return new StandIn(kubeconfig, seen);
    }

    private static void answer(HttpServerRequest request, Set<String> seen) {
      String prefix = "/api/v1/namespaces/" + POD.namespace() + "/";
      String path = request.path();
      String resource = path.startsWith(prefix) ? path.substring(prefix.length()) : path;
      seen.add(request.method() + " " + resource);
      if (request.method() == HttpMethod.GET && resource.equals("pods/" + POD.name())) {
        reply(request, 200, pod());
      } else if (request.method() == HttpMethod.PATCH && resource.equals("pods/" + POD.name() + "/status")) {
        request.body().onSuccess(patch -> reply(request, 200, pod()));
      } else if (request.method() == HttpMethod.GET && resource.equals("services")) {
        reply(request, 200, services());
      } else if (request.method() == HttpMethod.POST && resource.equals("events")) {
        request.body().onSuccess(body -> reply(request, 201, body.toJsonObject()));
      } else {
        reply(request, 404, new JsonObject().put("apiVersion", "v1").put("kind", "Status").put("status", "Failure")
            .put("reason", "NotFound").put("code", 404).put("message", path + " is not served by the stand-in"));
      }
    }

    private static void reply(HttpServerRequest request, int status, JsonObject body) {
      request.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }

    private static JsonObject pod() {
      return new JsonObject().put("apiVersion", "v1").put("kind", "Pod")
          .put("metadata", new JsonObject().put("name", POD.name()).put("namespace", POD.namespace())
              .put("uid", "00000000-0000-0000-0000-00000000cd5a").put("resourceVersion", "1")
              .put("labels", new JsonObject().put("app", "cds-training")))
          .put("spec", new JsonObject().put("terminationGracePeriodSeconds", 30)
              .put("readinessGates", new JsonArray().add(new JsonObject().put("conditionType", GATE)))
              .put("containers", new JsonArray().add(new JsonObject().put("name", "app").put("image", "graceful-runtime"))))
          .put("status", new JsonObject().put("phase", "Running").put("podIP", HOST));
    }

    /** One Service, selecting other pods: its model is read, and the drain has no endpoint to wait for. */
    private static JsonObject services() {
      JsonObject service = new JsonObject().put("apiVersion", "v1").put("kind", "Service")
          .put("metadata", new JsonObject().put("name", "other").put("namespace", POD.namespace()))
          .put("spec", new JsonObject().put("selector", new JsonObject().put("app", "other"))
              .put("ports", new JsonArray().add(new JsonObject().put("port", 80))));
      return new JsonObject().put("apiVersion", "v1").put("kind", "ServiceList")
          .put("metadata", new JsonObject().put("resourceVersion", "1")).put("items", new JsonArray().add(service));
    }

    /** A self-signed certificate for 127.0.0.1 from the JRE's keytool; empty when the JRE has no keytool. */
    private static Optional<Path> keystore(Path work) throws Exception {
      Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
      if (!Files.isExecutable(keytool)) {
        System.out.println("cds-training: no " + keytool + ": the stand-in API server speaks plain HTTP");
        return Optional.empty();
      }
      Path file = work.resolve("stand-in.p12");
      Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "stand-in", "-keyalg", "EC",
          "-groupname", "secp256r1", "-dname", "CN=cds-training", "-ext", "san=ip:" + HOST, "-validity", "2",
          "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", "training", "-keypass", "training")
          .redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(STEP.toMillis(), TimeUnit.MILLISECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException("keytool failed: " + output);
      }
      return Optional.of(file);
    }

    /** The certificate as a kubeconfig's certificate-authority-data: base64 of its PEM. */
    private static String caData(Path keystore) throws Exception {
      KeyStore store = KeyStore.getInstance("PKCS12");
      try (var in = Files.newInputStream(keystore)) {
        store.load(in, "training".toCharArray());
      }
      String pem = "-----BEGIN CERTIFICATE-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(store.getCertificate("stand-in").getEncoded())
          + "\n-----END CERTIFICATE-----\n";
      return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }
  }
}
