package dev.graceful.runtime.training;

import dev.graceful.runtime.Main;
import dev.graceful.runtime.demo.grpc.DelayRequest;
import dev.graceful.runtime.demo.grpc.DemoGrpcClient;
import dev.graceful.runtime.demo.grpc.TicksRequest;
import dev.graceful.runtime.kubernetes.PodIdentity;
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
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The training run for the image's class-data sharing archive (the Dockerfile runs it at build time, {@code bench/run.sh}
 * for its own runs): starts the runtime as the image does, {@code Main} with its demo in a JVM of its own that writes
 * every class it loaded into the archive at exit ({@code -XX:ArchiveClassesAtExit}), and takes it through what a pod's
 * life loads: the start with the pod read and the readiness gate against a stand-in Kubernetes API server, the probes,
 * a metrics scrape, HTTP/1.1, HTTP/2 (h2c) and gRPC requests, gRPC health, then SIGTERM and the drain.
 *
 * <p>This JVM only drives: the stand-in server (its TLS server side, keytool) and the clients live here, so none of
 * their classes lands in the archive, whose every page a pod holds resident. The runtime finds the stand-in as it finds
 * the API server in a pod (service host and port, a token file, the CA), not through a kubeconfig it would never read
 * there.
 *
 * <p>Loopback only, every wait bounded. Any step that fails ends this JVM with exit code 1 (and a watchdog with 3),
 * the runtime's JVM killed, so a broken training fails the image build instead of producing an archive of half a start.
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

  /** @param args the archive to write */
  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: CdsTraining ARCHIVE (the class-data sharing archive the runtime's JVM writes at exit)");
      System.exit(2);
    }
    AtomicReference<Process> runtime = new AtomicReference<>();
    Path archive = Path.of(args[0]).toAbsolutePath();
    Path partial = archive.resolveSibling(archive.getFileName() + ".part");
    // Whatever ends this JVM (a failed step, the watchdog, SIGTERM or Ctrl-C of the build) ends the
    // runtime's JVM too and leaves no half-written archive. SIGKILL of this JVM cannot be caught: the runtime's JVM then
    // runs on, still bounded by nothing but its own SIGTERM.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      Optional.ofNullable(runtime.get()).filter(Process::isAlive).ifPresent(Process::destroyForcibly);
      try {
        Files.deleteIfExists(partial);
      } catch (IOException e) {
        System.err.println("cds-training: could not delete " + partial + ": " + e);
      }
    }, "cds-training-cleanup"));
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(WHOLE.toMillis());
        System.err.println("cds-training: not done within " + WHOLE.toSeconds() + " s");
        System.exit(3);   // the cleanup hook stops the runtime's JVM
      } catch (InterruptedException e) {
        // done in time
      }
    }, "cds-training-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    try {
      run(archive, partial, runtime);
    } catch (Throwable e) {
      System.err.println("cds-training: failed: " + e);
      e.printStackTrace();
      Optional.ofNullable(runtime.get()).ifPresent(Process::destroyForcibly);
      System.exit(1);
    }
    watchdog.interrupt();
    System.out.println("cds-training: done");
    System.exit(0);
  }

  /**
   * The runtime's JVM writes {@code partial}, which becomes {@code archive} only once every step has passed and a JVM
   * has mapped it: a failed training leaves no archive that a later build or bench run could take for a good one.
   */
  private static void run(Path archive, Path partial, AtomicReference<Process> runtime) throws Exception {
    // A layered archive needs the JDK's default one mapped: without it the JVM would write nothing, and quietly. The
    // runtime's JVM is this same java; this one says whether it shares.
    String vm = System.getProperty("java.vm.info", "");
    if (!vm.contains("sharing")) {
      throw new IllegalStateException("the JVM runs without class-data sharing (" + vm + "): -Xshare:off set, or a base"
          + " without the JDK's default archive lib/server/classes.jsa (`java -Xshare:dump` makes it)");
    }
    Files.deleteIfExists(archive);
    Files.deleteIfExists(partial);
    Path work = Files.createTempDirectory("cds-training");
    Vertx helper = Vertx.vertx();   // the stand-in API server and the clients
    try {
      StandIn apiServer = StandIn.start(helper, work);
      Ports ports = Ports.free();
      startRuntime(partial, apiServer, ports, work, runtime);
      train(helper, runtime.get(), apiServer, ports);
    } finally {
      Optional.ofNullable(runtime.get()).filter(Process::isAlive).ifPresent(Process::destroyForcibly);
      await(helper.close(), "close the helper Vert.x");
      deleteTree(work);
    }
    step("the runtime's JVM wrote the archive", Files.isRegularFile(partial) && Files.size(partial) > 0);
    Files.move(partial, archive, StandardCopyOption.REPLACE_EXISTING);
    try {
      step("a JVM with the runtime's class path maps " + archive + " (" + Files.size(archive) / 1024 + " KiB)",
          mapsArchive(archive));
    } catch (RuntimeException e) {
      Files.deleteIfExists(archive);
      throw e;
    }
  }

  /**
   * True when {@code java -Xshare:on} with the archive and this class path starts: with -Xshare:on an archive that does
   * not match (the class path, the JVM, compressed oops) is fatal instead of quietly ignored.
   */
  private static boolean mapsArchive(Path archive) throws IOException, InterruptedException {
    Process check = new ProcessBuilder(javaCommand(), "-Xshare:on", "-XX:SharedArchiveFile=" + archive, "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), "-version").redirectErrorStream(true).start();
    String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!check.waitFor(STEP.toMillis(), TimeUnit.MILLISECONDS)) {
      check.destroyForcibly();
      return false;
    }
    if (check.exitValue() != 0) {
      System.err.println(output);
    }
    return check.exitValue() == 0;
  }

  private static String javaCommand() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Three loopback ports free now, for the runtime's HTTP, gRPC and management servers. */
  private record Ports(int http, int grpc, int management) {

    static Ports free() throws IOException {
      try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getByName(HOST));
          ServerSocket b = new ServerSocket(0, 1, InetAddress.getByName(HOST));
          ServerSocket c = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
        return new Ports(a.getLocalPort(), b.getLocalPort(), c.getLocalPort());
      }
    }
  }

  /**
   * {@code Main} in a JVM of its own: this java, this class path (the image's fixed one, so the archive matches it), an
   * environment of its own (nothing of the machine's, no KUBECONFIG, no GRACEFUL_ setting; only JAVA_TOOL_OPTIONS and
   * JDK_JAVA_OPTIONS, a base image's JVM options, which its pods get too and which an archive must match) and a home
   * with no kubeconfig, so it reaches the stand-in (unless those JVM options name another API server, as they would in
   * the pods).
   */
  private static void startRuntime(Path archive, StandIn apiServer, Ports ports, Path work,
      AtomicReference<Process> runtime) throws IOException {
    // -Xmx pins compressed oops on, as in any pod under 32 GiB: the default archive a JVM picks follows that setting,
    // and the layered archive only matches the one it was made on.
    ProcessBuilder builder = new ProcessBuilder(javaCommand(), "-XX:ArchiveClassesAtExit=" + archive, "-Xmx256m",
        "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), "-Duser.home=" + work,
        "-cp", System.getProperty("java.class.path"), Main.class.getName())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT);
    Map<String, String> env = builder.environment();
    Map<String, String> jvmOptions = new java.util.HashMap<>();
    for (String name : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
      Optional.ofNullable(env.get(name)).ifPresent(options -> jvmOptions.put(name, options));
    }
    env.clear();
    env.putAll(jvmOptions);
    env.putAll(Map.of(
        "GRACEFUL_HOST", HOST,
        "GRACEFUL_HTTP_PORT", String.valueOf(ports.http()),
        "GRACEFUL_GRPC_PORT", String.valueOf(ports.grpc()),
        "GRACEFUL_MANAGEMENT_PORT", String.valueOf(ports.management()),
        "GRACEFUL_DRAIN_DELAY", "0",
        "GRACEFUL_READINESS_GATE", GATE,
        "GRACEFUL_KUBERNETES", "true",   // required: a failed pod read fails the start, and so the training
        "POD_NAME", POD.name(),
        "POD_NAMESPACE", POD.namespace(),
        "POD_IP", HOST));
    env.putAll(apiServer.clientEnvironment());
    System.out.println("cds-training: starting the runtime: " + String.join(" ", builder.command()));
    runtime.set(builder.start());
  }

  private static void train(Vertx helper, Process runtime, StandIn apiServer, Ports ports) throws Exception {
    // The probes and a scrape, as the kubelet and Prometheus would: JDK HttpClient, HTTP/1.1.
    HttpClient probes = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(STEP).build();
    String management = "http://" + HOST + ":" + ports.management();
    step("the runtime turned ready", eventually(runtime, () -> status(probes, management + "/health/ready") == 200));
    step("the stand-in API server was asked for the pod and the Services",
        apiServer.seen().containsAll(Set.of("GET pods/" + POD.name(), "GET services")));
    // The gate goes True just after the start completes, a failure only warned about: wait for the patch itself.
    step("the readiness gate was patched True",
        eventually(runtime, () -> apiServer.seen().contains("PATCH pods/" + POD.name() + "/status")));
    for (String path : List.of("/health/started", "/health/live", "/health/ready", "/metrics")) {
      String body = get(probes, management + path);
      step("GET " + path + " answers 200", !body.isEmpty());
    }

    int http = ports.http();
    step("HTTP/1.1 /delay answers", get(probes, "http://" + HOST + ":" + http + "/delay?ms=1").contains("delayed 1 ms"));
    HttpClientAgent h2c = helper.createHttpClient(new HttpClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    String h2Answer = await(h2c.request(HttpMethod.GET, http, HOST, "/delay?ms=1")
        .compose(request -> request.send())
        .compose(response -> response.version() == HttpVersion.HTTP_2 && response.statusCode() == 200
            ? response.body().map(Buffer::toString)
            : Future.failedFuture("answered " + response.statusCode() + " over " + response.version())), "h2c /delay");
    step("HTTP/2 (h2c) /delay answers", h2Answer.contains("delayed 1 ms"));

    GrpcClient grpc = GrpcClient.client(helper);
    SocketAddress grpcAt = SocketAddress.inetSocketAddress(ports.grpc(), HOST);
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

    // As Kubernetes stops a pod: the pod shows its deletion, then the kubelet sends SIGTERM (Process.destroy on Linux);
    // the drain reads the deletion, and a clean stop exits with code 0.
    apiServer.deleting().set(true);
    runtime.destroy();
    step("the runtime stopped within " + STEP.toSeconds() + " s", runtime.waitFor(STEP.toMillis(), TimeUnit.MILLISECONDS));
    step("the runtime's stop was clean (exit code " + runtime.exitValue() + ")", runtime.exitValue() == 0);
    step("the drain read the pod's deletion and wrote its Events",
        apiServer.seen().containsAll(Set.of("GET pods/" + POD.name() + " (being deleted)", "POST events")));
  }

  /**
   * Polls {@code condition} until true or {@link #STEP} has passed; fails at once when the runtime's JVM has exited
   * (a start that failed), naming its exit code.
   */
  private static boolean eventually(Process runtime, Check condition) throws Exception {
    long until = System.nanoTime() + STEP.toNanos();
    while (!condition.passes()) {
      if (!runtime.isAlive()) {
        throw new IllegalStateException("the runtime exited with code " + runtime.exitValue() + " (its log is above)");
      }
      if (System.nanoTime() > until) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /** A condition that may do I/O. */
  private interface Check {
    boolean passes() throws Exception;
  }

  /** The status of a GET, or -1 while nothing listens yet. */
  private static int status(HttpClient client, String url) throws InterruptedException {
    try {
      return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(STEP).GET().build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    }
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
   * A stand-in Kubernetes API server on loopback: answers the pod read, the Service list, the status patch and Event
   * writes, over TLS with a certificate made by the JDK's keytool (plain HTTP when the JRE has none).
   *
   * @param clientEnvironment how a pod's process finds it: the service host and port, and the files of a mounted
   *                          service account (token, CA) named by fabric8's settings for them
   */
  record StandIn(Map<String, String> clientEnvironment, Set<String> seen, AtomicBoolean deleting) {

    static StandIn start(Vertx vertx, Path work) throws Exception {
      Optional<Path> keystore = keystore(work);
      HttpServerOptions options = new HttpServerOptions().setHost(HOST).setPort(0);
      keystore.ifPresent(file -> options.setSsl(true)
          .setKeyCertOptions(new PfxOptions().setPath(file.toString()).setPassword("training")));
      Set<String> seen = ConcurrentHashMap.newKeySet();
      AtomicBoolean deleting = new AtomicBoolean();
      HttpServer server = await(vertx.createHttpServer(options)
          .requestHandler(request -> answer(request, seen, deleting.get())).listen(),
          "start the stand-in API server");
      String port = String.valueOf(server.actualPort());
      System.out.println("cds-training: stand-in Kubernetes API server at " + (keystore.isPresent() ? "https" : "http")
          + "://" + HOST + ":" + port);
      Path token = Files.writeString(work.resolve("token"), "training");
      Map<String, String> env = new java.util.HashMap<>(Map.of(
          "KUBERNETES_SERVICE_HOST", HOST,
          "KUBERNETES_SERVICE_PORT", port,
          "KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN", token.toString()));
      if (keystore.isPresent()) {
        env.put("KUBERNETES_CERTS_CA_FILE", Files.writeString(work.resolve("ca.crt"), caPem(keystore.get())).toString());
      } else {
        env.put("KUBERNETES_MASTER", "http://" + HOST + ":" + port);   // the service host alone means https
      }
      return new StandIn(Map.copyOf(env), seen, deleting);
    }

    private static void answer(HttpServerRequest request, Set<String> seen, boolean deleting) {
      String prefix = "/api/v1/namespaces/" + POD.namespace() + "/";
      String path = request.path();
      String resource = path.startsWith(prefix) ? path.substring(prefix.length()) : path;
      seen.add(request.method() + " " + resource);
      if (request.method() == HttpMethod.GET && resource.equals("pods/" + POD.name())) {
        if (deleting) {
          seen.add("GET pods/" + POD.name() + " (being deleted)");
        }
        reply(request, 200, pod(deleting));
      } else if (request.method() == HttpMethod.PATCH && resource.equals("pods/" + POD.name() + "/status")) {
        request.body().onSuccess(patch -> reply(request, 200, pod(deleting)));
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

    /** The pod; once {@code deleting}, with the deletion timestamp and grace period the API server sets. */
    private static JsonObject pod(boolean deleting) {
      JsonObject metadata = new JsonObject().put("name", POD.name()).put("namespace", POD.namespace())
          .put("uid", "00000000-0000-0000-0000-00000000cd5a").put("resourceVersion", "1")
          .put("labels", new JsonObject().put("app", "cds-training"));
      if (deleting) {
        metadata.put("deletionTimestamp", java.time.Instant.now().plusSeconds(30).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString())
            .put("deletionGracePeriodSeconds", 30);
      }
      return new JsonObject().put("apiVersion", "v1").put("kind", "Pod")
          .put("metadata", metadata)
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

    /** The certificate in PEM, as a service account's ca.crt. */
    private static String caPem(Path keystore) throws Exception {
      KeyStore store = KeyStore.getInstance("PKCS12");
      try (var in = Files.newInputStream(keystore)) {
        store.load(in, "training".toCharArray());
      }
      return "-----BEGIN CERTIFICATE-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(store.getCertificate("stand-in").getEncoded())
          + "\n-----END CERTIFICATE-----\n";
    }
  }
}
