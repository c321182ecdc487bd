package naive;

import dev.graceful.runtime.demo.DemoGrpc;
import dev.graceful.runtime.demo.DemoRouter;
import dev.graceful.runtime.demo.grpc.DemoGrpcService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.grpc.server.GrpcServer;
import java.util.concurrent.TimeUnit;

/**
 * What people write today: the demo's routes and gRPC service on plain Vert.x, probes that always say UP, and
 * vertx.close() in a shutdown hook on SIGTERM. The end-to-end suite rolls it out under the same load as the
 * runtime and asserts that it loses requests, so the zero-failure proof is known to be able to fail. The benchmarks
 * (bench/) run it as the plain Vert.x baseline. Ports default to 8080 (HTTP), 9090 (gRPC) and 9000 (probes); the
 * runtime's GRACEFUL_HTTP_PORT, GRACEFUL_GRPC_PORT and GRACEFUL_MANAGEMENT_PORT override them, like GRACEFUL_HOST.
 */
public final class NaiveServer {

  public static void main(String[] args) throws Exception {
    String host = System.getenv().getOrDefault("GRACEFUL_HOST", "0.0.0.0");
    int httpPort = port("GRACEFUL_HTTP_PORT", 8080);
    int grpcPort = port("GRACEFUL_GRPC_PORT", 9090);
    int probePort = port("GRACEFUL_MANAGEMENT_PORT", 9000);
    Vertx vertx = Vertx.vertx();
    vertx.createHttpServer().requestHandler(DemoRouter.create(vertx)).listen(httpPort, host).await();
    GrpcServer grpc = GrpcServer.server(vertx).addService(DemoGrpcService.of(new DemoGrpc(vertx)));
    vertx.createHttpServer(new HttpServerOptions()).requestHandler(grpc).listen(grpcPort, host).await();
    Router probes = Router.router(vertx);
    probes.get("/health/*").handler(ctx -> ctx.response().end("{\"status\":\"UP\"}"));
    vertx.createHttpServer().requestHandler(probes).listen(probePort, host).await();
    System.out.println("naive server listening on " + host);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("SIGTERM: vertx.close()");
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.out.println("close: " + e);
      }
    }));
  }

  private static int port(String key, int fallback) {
    String value = System.getenv(key);
    return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
  }
}
