package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.demo.grpc.DelayReply;
import dev.graceful.runtime.demo.grpc.DelayRequest;
import dev.graceful.runtime.demo.grpc.DemoGrpcClient;
import dev.graceful.runtime.demo.grpc.TicksRequest;
import dev.graceful.runtime.support.Await;
import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.Grpc;
import dev.graceful.runtime.support.Management;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import io.vertx.junit5.VertxExtension;

/** gRPC over h2c against the real {@code Main} in a child JVM that receives a real SIGTERM. */
@ExtendWith(VertxExtension.class)
class GrpcShutdownTest {


  @Test
  void unaryAndStreamingCallsInFlightAtSigtermCompleteAndHealthTurnsNotServing(Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_DRAIN_DELAY", "500ms"))) {
      GrpcClient client = GrpcClient.client(vertx);
      DemoGrpcClient demo = DemoGrpcClient.create(client, Grpc.loopback(child.grpcPort));
      GrpcClient healthClient = GrpcClient.client(vertx);

      assertEquals(ServingStatus.SERVING, Await.result(Grpc.health(healthClient, child.grpcPort, "")));
      assertEquals(ServingStatus.SERVING, Await.result(Grpc.health(healthClient, child.grpcPort, "graceful.demo.v1.Demo")));
      assertTrue(Await.result(Grpc.listServices(healthClient, child.grpcPort)).containsAll(
          List.of("graceful.demo.v1.Demo", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection")));

      Future<DelayReply> unary = demo.delay(DelayRequest.newBuilder().setDelayMs(2500).build());
      List<Integer> ticks = new CopyOnWriteArrayList<>();
      Promise<Void> streamEnded = Promise.promise();
      Future<Void> streamStarted = demo.ticks(TicksRequest.newBuilder().setCount(8).setIntervalMs(300).build())
          .map(stream -> {
            stream.handler(t -> ticks.add(t.getSequence()));
            stream.endHandler(v -> streamEnded.complete());
            stream.exceptionHandler(streamEnded::tryFail);
            return null;
          });
      Await.result(streamStarted);
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "grpc", "grpc", 2);

      child.signal("TERM");
      child.awaitLine("lifecycle: DRAINING");
      // A fresh connection: the health check must say NOT_SERVING while the process is still draining.
      assertEquals(ServingStatus.NOT_SERVING, Await.result(Grpc.health(GrpcClient.client(vertx), child.grpcPort, "")));
      assertEquals(ServingStatus.NOT_SERVING, Await.result(Grpc.health(GrpcClient.client(vertx), child.grpcPort, "graceful.demo.v1.Demo")));
      assertFalse(unary.isComplete(), "the unary call must still be in flight when health turned");

      assertEquals(2500, Await.result(unary).getDelayedMs());
      Await.result(streamEnded.future());
      assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8), ticks, "every tick of the stream must arrive");

      assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child.output());
      JsonObject summary = HttpShutdownTest.summary(child);
      assertEquals("clean", summary.getString("outcome"));
    }
  }

  @Test
  void streamStillInFlightWhenTheDrainStartsCompletesAndItsConnectionGetsGoAway(Vertx vertx) throws Exception {
    try (ChildRuntime child = ChildRuntime.startReady(Map.of("GRACEFUL_DRAIN_DELAY", "1s"))) {
      CompletableFuture<Long> goAway = new CompletableFuture<>();
      HttpClient h2c = vertx.httpClientBuilder()
          .with(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false))
          .withConnectHandler(conn -> conn.goAwayHandler(ga -> goAway.complete(ga.getErrorCode())))
          .build();
      DemoGrpcClient demo = DemoGrpcClient.create(GrpcClient.client(vertx, h2c), Grpc.loopback(child.grpcPort));

      List<Integer> ticks = new CopyOnWriteArrayList<>();
      Promise<Void> firstTick = Promise.promise();
      Promise<Void> streamEnded = Promise.promise();
      Await.result(demo.ticks(TicksRequest.newBuilder().setCount(10).setIntervalMs(300).build()).map(stream -> {
        stream.handler(t -> {
          ticks.add(t.getSequence());
          firstTick.tryComplete();
        });
        stream.endHandler(v -> streamEnded.complete());
        stream.exceptionHandler(streamEnded::tryFail);
        return null;
      }));
      Await.result(firstTick.future());

      child.signal("TERM");
      child.awaitLine("shutdown phase drain started");
      assertEquals(0L, goAway.get(10, TimeUnit.SECONDS), "GOAWAY with NO_ERROR on the stream's own connection");
      assertFalse(streamEnded.future().isComplete(), "the stream must still be running after the pre-drain wait, at GOAWAY: "
          + ticks);

      Await.result(streamEnded.future());
      assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), ticks, "every tick of the stream must arrive");
      assertEquals(0, child.awaitExit(Duration.ofSeconds(15)), child.output());
      assertEquals("clean", HttpShutdownTest.summary(child).getString("outcome"));
    }
  }
}
