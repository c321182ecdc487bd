package dev.graceful.runtime;

import dev.graceful.runtime.config.ConfigException;
import dev.graceful.runtime.config.ConfigLoader;
import dev.graceful.runtime.config.RuntimeConfig;
import dev.graceful.runtime.kubernetes.PodIdentity;
import dev.graceful.runtime.lifecycle.Lifecycle;
import dev.graceful.runtime.server.GrpcServers;
import dev.graceful.runtime.server.ServerSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Deployable;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.healthchecks.Status;
import io.vertx.grpc.server.Service;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/** Collects servers, verticles and checks; {@link #build()} makes the runtime, {@link #runAndExit()} runs it. */
public final class RuntimeBuilder {

  private RuntimeConfig config;
  private final List<HttpEntry> http = new ArrayList<>();
  private final Map<GrpcKey, List<Function<Vertx, Service>>> grpc = new LinkedHashMap<>();
  private final List<Startup.Unit> verticles = new ArrayList<>();
  private final Map<String, Handler<Promise<Status>>> livenessChecks = new LinkedHashMap<>();
  private final Map<String, Handler<Promise<Status>>> readinessChecks = new LinkedHashMap<>();
  private KubernetesClient kubernetesClient;
  private PodIdentity pod;

  private record HttpEntry(String name, Integer port, Function<Vertx, ? extends Handler<HttpServerRequest>> handler) {
  }

  private record GrpcKey(String name, Integer port) {
  }

  RuntimeBuilder() {
  }

  /** Settings; by default read from the environment when {@link #build()} runs. */
  public RuntimeBuilder config(RuntimeConfig config) {
    this.config = config;
    return this;
  }

  /** An HTTP server named {@code http} on {@code GRACEFUL_HTTP_PORT}. */
  public RuntimeBuilder http(Function<Vertx, ? extends Handler<HttpServerRequest>> handler) {
    http.add(new HttpEntry("http", null, handler));
    return this;
  }

  /** Another HTTP server, on its own port. */
  public RuntimeBuilder http(String name, int port, Function<Vertx, ? extends Handler<HttpServerRequest>> handler) {
    http.add(new HttpEntry(name, port, handler));
    return this;
  }

  /** A gRPC service on the server named {@code grpc} on {@code GRACEFUL_GRPC_PORT}. */
  public RuntimeBuilder grpc(Function<Vertx, Service> service) {
    grpc.computeIfAbsent(new GrpcKey("grpc", null), k -> new ArrayList<>()).add(service);
    return this;
  }

  /** A gRPC service on another gRPC server, on its own port. */
  public RuntimeBuilder grpc(String name, int port, Function<Vertx, Service> service) {
    grpc.computeIfAbsent(new GrpcKey(name, port), k -> new ArrayList<>()).add(service);
    return this;
  }

  /** A verticle with its own start and stop; stopped after the servers are drained. */
  public RuntimeBuilder verticle(Supplier<? extends Deployable> verticle) {
    verticles.add(new Startup.Unit("verticle #" + (verticles.size() + 1), verticle));
    return this;
  }

  /** A verticle with a name for logs and errors. */
  public RuntimeBuilder verticle(String name, Supplier<? extends Deployable> verticle) {
    verticles.add(new Startup.Unit("verticle " + name, verticle));
    return this;
  }

  public RuntimeBuilder module(RuntimeModule module) {
    module.configure(this);
    return this;
  }

  public RuntimeBuilder livenessCheck(String name, Handler<Promise<Status>> procedure) {
    livenessChecks.put(name, procedure);
    return this;
  }

  public RuntimeBuilder readinessCheck(String name, Handler<Promise<Status>> procedure) {
    readinessChecks.put(name, procedure);
    return this;
  }

  /**
   * Uses this client and pod identity for the Kubernetes features instead of detecting them from the environment
   * (the service account of the pod): for tests, or a host application that already has a client.
   */
  public RuntimeBuilder kubernetes(KubernetesClient client, PodIdentity pod) {
    this.kubernetesClient = client;
    this.pod = pod;
    return this;
  }

  /**
   * Builds the runtime and {@link GracefulRuntime#run() runs} it; returns the exit code. A setting that cannot be
   * used is one line naming the setting and the value, and exit code 2, not an exception.
   */
  public int run() {
    GracefulRuntime runtime;
    try {
      runtime = build();
    } catch (ConfigException e) {
      return GracefulRuntime.configurationError(e);
    }
    return runtime.run();
  }

  /** {@link #run()}, then exit the JVM with its code: what a {@code main} calls. */
  public void runAndExit() {
    System.exit(run());
  }

  /**
   * Makes the runtime, for embedding ({@code start()}, {@code shutdown()}, {@code close()}).
   *
   * @throws ConfigException when a setting cannot be used; {@link #runAndExit()} turns that into exit code 2
   */
  public GracefulRuntime build() {
    if (config == null) {
      config = ConfigLoader.fromEnvironment();
    }
    return new GracefulRuntime(this);
  }

  RuntimeConfig config() {
    return config;
  }

  KubernetesClient kubernetesClient() {
    return kubernetesClient;
  }

  PodIdentity pod() {
    return pod;
  }

  Map<String, Handler<Promise<Status>>> livenessChecks() {
    return livenessChecks;
  }

  Map<String, Handler<Promise<Status>>> readinessChecks() {
    return readinessChecks;
  }

  List<Startup.Unit> verticles() {
    return verticles;
  }

  List<ServerSpec> servers(RuntimeConfig config, Lifecycle lifecycle) {
    List<ServerSpec> specs = new ArrayList<>();
    http.forEach(e -> specs.add(new ServerSpec(e.name(), "http", config.host(),
        e.port() == null ? config.httpPort() : e.port(), new HttpServerOptions(), e.handler())));
    grpc.forEach((key, services) -> specs.add(GrpcServers.spec(key.name(), config.host(),
        key.port() == null ? config.grpcPort() : key.port(), config.grpcTls(), lifecycle, config.grpcReflection(), services)));
    return specs;
  }
}
