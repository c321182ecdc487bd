package dev.graceful.runtime.support;

import com.google.protobuf.Message;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;
import io.vertx.grpc.reflection.v1.ServerReflectionRequest;
import io.vertx.grpc.reflection.v1.ServerReflectionResponse;
import io.vertx.grpc.reflection.v1.ServiceResponse;
import java.util.List;

/** gRPC calls a standard client makes: health checks and reflection, with the client-side method descriptors. */
public final class Grpc {

  private static final ServiceMethod<HealthCheckResponse, HealthCheckRequest> HEALTH_CHECK =
      method("grpc.health.v1.Health", "Check", HealthCheckResponse.newBuilder());
  private static final ServiceMethod<ServerReflectionResponse, ServerReflectionRequest> REFLECTION =
      method("grpc.reflection.v1.ServerReflection", "ServerReflectionInfo", ServerReflectionResponse.newBuilder());

  private Grpc() {
  }

  private static <Resp extends Message, Req extends Message> ServiceMethod<Resp, Req> method(
      String service, String name, Message.Builder responseBuilder) {
    return ServiceMethod.client(ServiceName.create(service), name, GrpcMessageEncoder.encoder(),
        GrpcMessageDecoder.decoder(responseBuilder));
  }

  public static SocketAddress loopback(int port) {
    return SocketAddress.inetSocketAddress(port, "127.0.0.1");
  }

  /** grpc.health.v1.Health/Check for {@code service} ("" is the whole server, as kubelet asks). */
  public static Future<HealthCheckResponse.ServingStatus> health(GrpcClient client, int port, String service) {
    return client.request(loopback(port), HEALTH_CHECK)
        .compose(req -> req.send(HealthCheckRequest.newBuilder().setService(service).build()))
        .compose(resp -> resp.last())
        .map(HealthCheckResponse::getStatus);
  }

  /** The service names the server lists through reflection. */
  public static Future<List<String>> listServices(GrpcClient client, int port) {
    return client.request(loopback(port), REFLECTION)
        .compose(req -> req.send(ServerReflectionRequest.newBuilder().setListServices("*").build()))
        .compose(resp -> resp.last())
        .map(r -> r.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList());
  }
}
