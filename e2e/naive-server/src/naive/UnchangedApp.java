package naive;

import dev.graceful.runtime.demo.DemoGrpc;
import dev.graceful.runtime.demo.DemoRouter;
import dev.graceful.runtime.demo.grpc.DemoGrpcService;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.grpc.server.GrpcServer;

/**
 * The naive server's routes as an ordinary Vert.x verticle, as an existing application has them: it opens its own
 * HTTP and gRPC servers, uses no runtime API and installs no shutdown hook. The benchmark and the end-to-end suite run
 * it unchanged on the runtime's image through GRACEFUL_VERTICLES, and it must lose no call in a rollout. (DemoRouter
 * and DemoGrpc are only the demo's route definitions, the same ones NaiveServer serves.)
 */
public class UnchangedApp extends VerticleBase {

  @Override
  public Future<?> start() {
    String host = System.getenv().getOrDefault("GRACEFUL_HOST", "0.0.0.0");
    int httpPort = port("GRACEFUL_HTTP_PORT", 8080);
    int grpcPort = port("GRACEFUL_GRPC_PORT", 9090);
    GrpcServer grpc = GrpcServer.server(vertx).addService(DemoGrpcService.of(new DemoGrpc(vertx)));
    return Future.all(
        vertx.createHttpServer().requestHandler(DemoRouter.create(vertx)).listen(httpPort, host),
        vertx.createHttpServer().requestHandler(grpc).listen(grpcPort, host));
  }

  private static int port(String key, int fallback) {
    String value = System.getenv(key);
    return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
  }
}
