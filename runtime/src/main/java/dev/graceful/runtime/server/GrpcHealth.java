package dev.graceful.runtime.server;

import dev.graceful.runtime.lifecycle.Lifecycle;
import dev.graceful.runtime.lifecycle.LifecycleState;
import com.google.protobuf.Descriptors;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.health.handler.GrpcHealthCheckV1Handler;
import io.vertx.grpc.health.handler.GrpcHealthListV1Handler;
import io.vertx.grpc.health.handler.GrpcHealthWatchV1Handler;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;
import io.vertx.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.vertx.grpc.health.v1.HealthListResponse;
import io.vertx.grpc.health.v1.HealthProto;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.Service;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * {@code grpc.health.v1.Health} answered from the runtime's lifecycle: SERVING only while READY.
 *
 * <p>vertx-grpc-health always answers SERVING for the empty service name, which is what kubelet's
 * {@code grpc:} probe and most clients ask, so it cannot report a shutdown; hence this class. Watch streams
 * get NOT_SERVING and are ended when the shutdown begins, so they never hold a drain open.
 */
public final class GrpcHealth implements Service {

  private static final ServiceName NAME = ServiceName.create("grpc.health.v1.Health");
  private static final Descriptors.ServiceDescriptor DESCRIPTOR = HealthProto.getDescriptor().findServiceByName("Health");

  private final Lifecycle lifecycle;

  public GrpcHealth(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  @Override
  public ServiceName name() {
    return NAME;
  }

  @Override
  public Descriptors.ServiceDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public void bind(GrpcServer server) {
    server.callHandler(GrpcHealthCheckV1Handler.SERVICE_METHOD, request -> request.handler(check -> {
      if (!knows(server, check.getService())) {
        request.response().status(GrpcStatus.NOT_FOUND).end();
      } else {
        request.response().end(response(status()));
      }
    }));
    server.callHandler(GrpcHealthListV1Handler.SERVICE_METHOD, request -> request.handler(list -> {
      HealthListResponse.Builder all = HealthListResponse.newBuilder();
      all.putStatuses("", response(status()));
      server.services().forEach(s -> all.putStatuses(s.name().fullyQualifiedName(), response(status())));
      request.response().end(all.build());
    }));
    server.callHandler(GrpcHealthWatchV1Handler.SERVICE_METHOD, request -> request.handler(check -> watch(server, request, check)));
  }

  private void watch(GrpcServer server, GrpcServerRequest<HealthCheckRequest, HealthCheckResponse> request, HealthCheckRequest check) {
    var response = request.response();
    if (!knows(server, check.getService())) {
      response.end(response(ServingStatus.SERVICE_UNKNOWN));
      return;
    }
    Context context = Vertx.currentContext();
    AtomicBoolean done = new AtomicBoolean();
    Consumer<LifecycleState> onChange = new Consumer<>() {
      @Override
      public void accept(LifecycleState state) {
        context.runOnContext(v -> {
          if (done.get()) {
            return;
          }
          if (state == LifecycleState.READY) {
            response.write(response(ServingStatus.SERVING));
          } else if (done.compareAndSet(false, true)) {
            lifecycle.removeListener(this);
            response.end(response(ServingStatus.NOT_SERVING));
          }
        });
      }
    };
    Runnable forget = () -> {
      done.set(true);
      lifecycle.removeListener(onChange);
    };
    // Not connection().closeHandler: it holds one handler, and the server's connection tracking owns it.
    request.exceptionHandler(e -> forget.run());
    lifecycle.onChange(onChange);
    if (lifecycle.state().ordinal() > LifecycleState.READY.ordinal()) {
      forget.run();
      response.end(response(ServingStatus.NOT_SERVING));
    } else {
      response.write(response(status()));
    }
  }

  private boolean knows(GrpcServer server, String service) {
    return service.isEmpty() || NAME.fullyQualifiedName().equals(service)
        || server.services().stream().anyMatch(s -> s.name().fullyQualifiedName().equals(service));
  }

  private ServingStatus status() {
    return lifecycle.isReady() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  }

  private static HealthCheckResponse response(ServingStatus status) {
    return HealthCheckResponse.newBuilder().setStatus(status).build();
  }
}
