package dev.graceful.e2e.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.e2e.E2eEnvironment;
import dev.graceful.runtime.demo.DemoGrpc;
import dev.graceful.runtime.demo.grpc.DelayRequest;
import dev.graceful.runtime.demo.grpc.DemoGrpcClient;
import dev.graceful.runtime.demo.grpc.DemoGrpcService;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.server.GrpcServer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Each load, against a server that drops the connection under every 25th request and never answers another one in
 * 25 (keeping its connection open): every counter must see every drop and every hang (as failed or unfinished), and
 * ok + failed + unfinished must equal what was issued. The counts used before missed the hangs: wrk's summary counts
 * a timeout only when a late answer arrives, h2load's "done - succeeded" leaves out requests never done, and a load
 * without a per-call timeout waits for them forever.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoadCountingIT {

  private static final int EVERY = 25;
  /** Short, so the hung calls end the test quickly; every one of them must still be counted. */
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(2);
  private final AtomicLong seen = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong hung = new AtomicLong();
  private Vertx vertx;
  private int port;
  private String ghz;

  @BeforeAll
  void start() throws Exception {
    ghz = E2eEnvironment.script("e2e/load/ensure-tools.sh").lines().filter(l -> l.startsWith("ghz-path="))
        .map(l -> l.substring("ghz-path=".length())).findFirst().orElseThrow();
    vertx = Vertx.vertx();
    GrpcServer grpc = GrpcServer.server(vertx).addService(DemoGrpcService.of(new DemoGrpc(vertx)));
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
        .requestHandler(req -> {
          long n = seen.incrementAndGet();
          if (n % EVERY == 0) {
            dropped.incrementAndGet();
            req.connection().close();
            return;
          }
          if (n % EVERY == EVERY / 2) {
            hung.incrementAndGet();
            return;
          }
          String type = req.getHeader("content-type");
          if (type != null && type.startsWith("application/grpc")) {
            grpc.handle(req);
            return;
          }
          int ms = Integer.parseInt(req.getParam("ms", "0"));
          vertx.setTimer(Math.max(1, ms), id -> req.response().end("delayed " + ms + " ms\n"));
        });
    port = server.listen().await().actualPort();
  }

  @BeforeEach
  void reset() {
    seen.set(0);
    dropped.set(0);
    hung.set(0);
  }

  @AfterAll
  void stop() {
    if (vertx != null) {
      vertx.close().await();
    }
  }

  @Test
  void vertxHttp1() throws Exception {
    HttpClient client = vertx.httpClientBuilder().with(new HttpClientOptions().setKeepAlive(true))
        .with(new PoolOptions().setHttp1MaxSize(4)).build();
    checkLoad(Load.start("HTTP/1.1", 4, 500, CALL_TIMEOUT, () -> Load.delay(client, "127.0.0.1", port, 1, CALL_TIMEOUT)), 500);
  }

  @Test
  void vertxHttp2() throws Exception {
    HttpClient client = vertx.httpClientBuilder().with(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false)).with(new PoolOptions().setHttp2MaxSize(2)).build();
    checkLoad(Load.start("HTTP/2", 4, 500, CALL_TIMEOUT, () -> Load.delay(client, "127.0.0.1", port, 1, CALL_TIMEOUT)), 500);
  }

  @Test
  void vertxGrpc() throws Exception {
    DemoGrpcClient demo = DemoGrpcClient.create(GrpcClient.client(vertx), SocketAddress.inetSocketAddress(port, "127.0.0.1"));
    checkLoad(Load.start("gRPC unary", 4, 500, CALL_TIMEOUT, () -> demo.delay(DelayRequest.newBuilder().setDelayMs(1).build())), 500);
  }

  @Test
  void wrk() throws Exception {
    checkTool(ToolLoad.wrk("127.0.0.1", port, Duration.ofSeconds(3)).await());
  }

  @Test
  void h2load() throws Exception {
    checkTool(ToolLoad.h2load("127.0.0.1", port, Duration.ofSeconds(3)).await());
  }

  @Test
  void ghz() throws Exception {
    checkTool(ToolLoad.ghz(ghz, "127.0.0.1", port, Duration.ofSeconds(3)).await());
  }

  private void checkLoad(Load load, long calls) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (load.issued() < calls && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    load.stop();
    assertEquals(calls, load.issued(), load.toString());
    assertEquals(load.issued(), load.ok() + load.failed(), "ok + failed (unfinished included) = issued: " + load);
    assertSeesEveryDrop(load.toString(), load::failed);
  }

  private void checkTool(ToolLoad tool) {
    assertEquals(tool.issued(), tool.ok() + tool.failed(), "ok + failed (unfinished included) = issued: " + tool);
    assertSeesEveryDrop(tool.toString(), tool::failed);
  }

  /**
   * At least one drop and one hang, and at least as many failures as both together (a dropped HTTP/2 connection also
   * takes its other streams, so more is fine).
   */
  private void assertSeesEveryDrop(String counts, LongSupplier failed) {
    System.out.println("[load counting] " + dropped.get() + " dropped, " + hung.get() + " never answered; " + counts);
    assertTrue(dropped.get() > 0 && hung.get() > 0, "the server dropped or hung nothing: " + counts);
    assertTrue(failed.getAsLong() >= dropped.get() + hung.get(), dropped.get() + " requests dropped and " + hung.get()
        + " never answered, " + failed.getAsLong() + " counted as failed or unfinished: " + counts);
  }
}
