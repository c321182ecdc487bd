package naive;

import dev.graceful.runtime.demo.DemoGrpc;
import dev.graceful.runtime.demo.DemoRouter;
import dev.graceful.runtime.demo.grpc.DemoGrpcService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
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
 *
 * <p>With NAIVE_SHUTDOWN=servers it is instead what a careful Vert.x user writes by hand (the benchmark's "Vert.x by
 * hand", run with a preStop sleep): on SIGTERM, HttpServer.shutdown(timeout) on every server at once, which stops
 * accepting, sends HTTP/2 GOAWAY and waits for open requests up to NAIVE_SHUTDOWN_TIMEOUT_SECONDS (default 24: a 30 s
 * grace period less a 5 s preStop sleep and a second of margin), then vertx.close().
 */
public final class NaiveServer {

  public static void main(String[] args) throws Exception {
    String host = System.getenv().getOrDefault("GRACEFUL_HOST", "0.0.0.0");
    int httpPort = port("GRACEFUL_HTTP_PORT", 8080);
    int grpcPort = port("GRACEFUL_GRPC_PORT", 9090);
    int probePort = port("GRACEFUL_MANAGEMENT_PORT", 9000);
    Vertx vertx = Vertx.vertx();
    HttpServer http = vertx.createHttpServer().requestHandler(DemoRouter.create(vertx)).listen(httpPort, host).await();
    GrpcServer grpc = GrpcServer.server(vertx).addService(DemoGrpcService.of(new DemoGrpc(vertx)));
    HttpServer grpcServer = vertx.createHttpServer(new HttpServerOptions()).requestHandler(grpc).listen(grpcPort, host).await();
    Router probes = Router.router(vertx);
    probes.get("/health/*").handler(ctx -> ctx.response().end("{\"status\":\"UP\"}"));
    HttpServer probeServer = vertx.createHttpServer().requestHandler(probes).listen(probePort, host).await();
    boolean byHand = "servers".equals(System.getenv("NAIVE_SHUTDOWN"));
    long timeoutSeconds = port("NAIVE_SHUTDOWN_TIMEOUT_SECONDS", 24);
    System.out.println("naive server listening on " + host + (byHand ? ", shutdown by hand within " + timeoutSeconds + " s" : ""));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        if (byHand) {
          System.out.println("SIGTERM: HttpServer.shutdown(" + timeoutSeconds + " s) on every server");
          Future.join(http.shutdown(timeoutSeconds, TimeUnit.SECONDS), grpcServer.shutdown(timeoutSeconds, TimeUnit.SECONDS),
                  probeServer.shutdown(timeoutSeconds, TimeUnit.SECONDS))
              .toCompletionStage().toCompletableFuture().get(timeoutSeconds + 2, TimeUnit.SECONDS);
          System.out.println("servers shut down");
        } else {
          System.out.println("SIGTERM: vertx.close()");
        }
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
