package dev.graceful.runtime.server;

import dev.graceful.runtime.config.RuntimeConfig;
import dev.graceful.runtime.lifecycle.Lifecycle;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.grpc.reflection.ReflectionService;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.Service;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Builds the {@link ServerSpec} of a gRPC server: HTTP/2 (h2c, or TLS with ALPN), health and reflection included. */
public final class GrpcServers {

  private GrpcServers() {
  }

  public static ServerSpec spec(String name, String host, int port, Optional<RuntimeConfig.TlsFiles> tls,
      Lifecycle lifecycle, boolean reflection, List<Function<Vertx, Service>> services) {
    HttpServerOptions options = new HttpServerOptions().setHttp2ClearTextEnabled(true);
    tls.ifPresent(files -> options.setSsl(true).setUseAlpn(true).setKeyCertOptions(new PemKeyCertOptions()
        .setCertPath(files.certificate().toString())
        .setKeyPath(files.privateKey().toString())));
    List<Function<Vertx, Service>> all = List.copyOf(services);
    return new ServerSpec(name, "grpc", host, port, options, vertx -> {
      // Deadlines on by default: a call past its grpc-timeout ends with DEADLINE_EXCEEDED, and is cancelled.
      GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setScheduleDeadlineAutomatically(true));
      java.util.Set<String> singleMessage = new java.util.HashSet<>();
      java.util.List<Service> added = new java.util.ArrayList<>();
      all.forEach(factory -> added.add(factory.apply(vertx)));
      added.add(new GrpcHealth(lifecycle));
      if (reflection) {
        added.add(ReflectionService.v1());
      }
      for (Service service : added) {
        grpc.addService(service);
        if (service.descriptor() == null) {
          continue;
        }
        service.methodDescriptors().stream().filter(m -> !m.isClientStreaming())
            .forEach(m -> singleMessage.add("/" + service.descriptor().getFullName() + "/" + m.getName()));
      }
      return request -> grpc.handle(GrpcFraming.check(request, singleMessage));
    });
  }
}
