package dev.graceful.runtime.check;

import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;
import io.vertx.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the chart's {@code helm test} pod runs ({@code Main check ...}): from inside the cluster, through the release's
 * Service, HTTP answers with the expected status and gRPC health says SERVING; through a Service on the management
 * port, the three probes answer 200. Each check is retried until it passes or the time is up, since a Service's
 * routes may lag its creation by a moment. Exit 0 when all pass, 1 when one does not, 2 for bad arguments.
 *
 * <p>Hosts are given twice: as Kubernetes' service-link variable ({@code $(NAME_SERVICE_HOST)}, expanded by the
 * kubelet, needs no DNS) and as the Service's DNS name, used when the variable was not expanded
 * ({@code enableServiceLinks: false}).
 */
public final class ReleaseCheck {

  static final int PASSED = 0;
  static final int FAILED = 1;
  static final int BAD_ARGUMENTS = 2;
  private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration PAUSE = Duration.ofMillis(500);
  private static final ServiceMethod<HealthCheckResponse, HealthCheckRequest> HEALTH_CHECK = ServiceMethod.client(
      ServiceName.create("grpc.health.v1.Health"), "Check", GrpcMessageEncoder.encoder(),
      GrpcMessageDecoder.decoder(HealthCheckResponse.newBuilder()));

  /** The parsed arguments. */
  record Target(String host, int httpPort, String httpPath, int httpStatus, int grpcPort, String probesHost,
      int managementPort, Duration timeout) {
  }

  /** One check: returns what it saw when it passed, throws with what it saw when it did not. */
  @FunctionalInterface
  interface Check {
    String attempt() throws Exception;
  }

  private ReleaseCheck() {
  }

  /** Runs the checks named by {@code args} (everything after {@code check}); returns the exit code. */
  public static int run(List<String> args, PrintStream out) {
    Target target;
    try {
      target = parse(args);
    } catch (IllegalArgumentException e) {
      out.println("release check: " + e.getMessage());
      return BAD_ARGUMENTS;
    }
    Vertx vertx = Vertx.vertx();
    try {
      GrpcClient grpc = GrpcClient.client(vertx);
      Map<String, Check> checks = new LinkedHashMap<>();
      String url = "http://" + hostPort(target.host(), target.httpPort()) + target.httpPath();
      checks.put("HTTP GET " + url, () -> expectStatus(url, target.httpStatus()));
      String grpcAt = hostPort(target.host(), target.grpcPort());
      checks.put("gRPC health at " + grpcAt, () -> serving(grpc, target.host(), target.grpcPort()));
      for (String probe : List.of("started", "live", "ready")) {
        String probeUrl = "http://" + hostPort(target.probesHost(), target.managementPort()) + "/health/" + probe;
        checks.put("probe GET " + probeUrl, () -> expectStatus(probeUrl, 200));
      }
      long deadline = System.nanoTime() + target.timeout().toNanos();
      List<String> failed = new ArrayList<>();
      checks.forEach((name, check) -> {
        String result = retry(check, deadline);
        boolean ok = !result.startsWith("!");
        out.println((ok ? "ok      " : "FAILED  ") + name + ": " + (ok ? result : result.substring(1)));
        if (!ok) {
          failed.add(name);
        }
      });
      out.println(failed.isEmpty() ? "release check passed: " + checks.size() + " checks"
          : "release check failed: " + String.join("; ", failed));
      return failed.isEmpty() ? PASSED : FAILED;
    } finally {
      vertx.close();
    }
  }

  /** The check's result, or its last error prefixed with "!" once the deadline has passed. */
  private static String retry(Check check, long deadline) {
    int attempts = 0;
    while (true) {
      attempts++;
      try {
        return check.attempt();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "!interrupted";
      } catch (Exception e) {
        if (System.nanoTime() + PAUSE.toNanos() > deadline) {
          String cause = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
          return "!" + cause + " (" + attempts + " attempts)";
        }
        try {
          Thread.sleep(PAUSE.toMillis());
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return "!interrupted";
        }
      }
    }
  }

  /** One GET on a new connection: a retry through a Service may then reach another pod. */
  private static String expectStatus(String url, int status) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(ATTEMPT_TIMEOUT).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(ATTEMPT_TIMEOUT).GET().build();
    int got = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    if (got != status) {
      throw new IllegalStateException("answered " + got + ", expected " + status);
    }
    return "answered " + got;
  }

  private static String serving(GrpcClient client, String host, int port) throws Exception {
    ServingStatus status = client.request(SocketAddress.inetSocketAddress(port, host), HEALTH_CHECK)
        .compose(request -> request.send(HealthCheckRequest.newBuilder().setService("").build()))
        .compose(response -> response.last())
        .map(HealthCheckResponse::getStatus)
        .toCompletionStage().toCompletableFuture().get(ATTEMPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    if (status != ServingStatus.SERVING) {
      throw new IllegalStateException("answered " + status + ", expected SERVING");
    }
    return "answered SERVING";
  }

  private static String hostPort(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  static Target parse(List<String> args) {
    Map<String, String> given = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String key = args.get(i);
      if (!key.startsWith("--") || i + 1 >= args.size()) {
        throw new IllegalArgumentException("expected --name value pairs, got '" + key + "'"
            + " (usage: check --host ADDRESS --host-name NAME --http-port N --grpc-port N --probes-host ADDRESS"
            + " --probes-host-name NAME --management-port N [--http-path /path] [--http-status 200] [--timeout-seconds 60])");
      }
      given.put(key.substring(2), args.get(++i));
    }
    List<String> known = List.of("host", "host-name", "http-port", "http-path", "http-status", "grpc-port", "probes-host",
        "probes-host-name", "management-port", "timeout-seconds");
    for (String key : given.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException("unknown argument --" + key + " (known: --" + String.join(", --", known) + ")");
      }
    }
    String path = given.getOrDefault("http-path", "/");
    try {
      if (!path.startsWith("/") || URI.create("http://host" + path).getRawPath() == null) {
        throw new IllegalArgumentException();
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--http-path must be a URL path starting with '/', got '" + path + "'");
    }
    return new Target(host(given, "host"), port(given, "http-port"), path, number(given, "http-status", "200", 100, 599),
        port(given, "grpc-port"), host(given, "probes-host"), port(given, "management-port"),
        Duration.ofSeconds(number(given, "timeout-seconds", "60", 1, 3600)));
  }

  /** The address if the kubelet expanded the service-link variable, else the DNS name. */
  private static String host(Map<String, String> given, String key) {
    String address = given.getOrDefault(key, "");
    if (!address.isBlank() && !address.startsWith("$(")) {
      return address;
    }
    String name = given.getOrDefault(key + "-name", "");
    if (name.isBlank()) {
      throw new IllegalArgumentException("--" + key + " is '" + address + "' and no --" + key + "-name was given");
    }
    return name;
  }

  private static int port(Map<String, String> given, String key) {
    if (!given.containsKey(key)) {
      throw new IllegalArgumentException("--" + key + " is required");
    }
    return number(given, key, null, 1, 65535);
  }

  private static int number(Map<String, String> given, String key, String fallback, int min, int max) {
    String value = given.getOrDefault(key, fallback);
    try {
      int n = Integer.parseInt(value);
      if (n < min || n > max) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + key + " must be a whole number from " + min + " to " + max + ", got '" + value + "'");
    }
  }
}
