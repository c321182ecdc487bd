package dev.graceful.e2e.load;

import dev.graceful.runtime.demo.grpc.DelayRequest;
import dev.graceful.runtime.demo.grpc.DemoGrpcClient;
import dev.graceful.runtime.demo.grpc.TicksRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The rollout scenarios' load, harsh where drains are hard: about 10% of calls last 200 ms to 3 s (so drains start
 * with requests in flight); a third of the HTTP workers call in bursts (1 s on, 2 s off) through a pool twice the
 * workers, so pooled keep-alive connections sit idle between calls; gRPC server streams last 1 to 3 s. Every call is
 * strict: no retries, a timeout, and only the demo's exact answer counts as ok.
 */
public final class MixedLoad {

  /** A protocol the load speaks. */
  public enum Protocol {
    HTTP1("HTTP/1.1 keep-alive"), HTTP2("HTTP/2"), GRPC("gRPC");

    public final String label;

    Protocol(String label) {
      this.label = label;
    }
  }

  private static final Duration BURST = Duration.ofSeconds(1);
  private static final Duration BETWEEN_BURSTS = Duration.ofSeconds(2);

  private MixedLoad() {
  }

  /**
   * Starts {@code workers} closed-loop workers of one protocol against {@code host}; {@code prefix} names the loads
   * (e.g. the path they take).
   *
   * @param fastMs the delay of the other 90% of calls
   */
  public static List<Load> start(Vertx vertx, Protocol protocol, String prefix, String host, int httpPort, int grpcPort,
      int workers, int fastMs) {
    long budget = Long.MAX_VALUE;
    List<Load> loads = new ArrayList<>();
    switch (protocol) {
      case HTTP1, HTTP2 -> {
        HttpClientOptions options = new HttpClientOptions().setKeepAlive(true);
        if (protocol == Protocol.HTTP2) {
          options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
        }
        HttpClient client = vertx.httpClientBuilder().with(options)
            .with(new PoolOptions().setHttp1MaxSize(2 * workers).setHttp2MaxSize(2)).build();
        int bursty = Math.max(1, workers / 3);
        loads.add(Load.start(prefix + protocol.label, workers - bursty, budget, Load.CALL_TIMEOUT, () -> 0,
            () -> Load.delay(client, host, httpPort, Load.mixedDelayMs(fastMs), Load.CALL_TIMEOUT)));
        loads.add(Load.start(prefix + protocol.label + " bursts", bursty, budget, Load.CALL_TIMEOUT,
            Load.bursts(BURST, BETWEEN_BURSTS),
            () -> Load.delay(client, host, httpPort, Load.mixedDelayMs(fastMs), Load.CALL_TIMEOUT)));
      }
      case GRPC -> {
        DemoGrpcClient demo = DemoGrpcClient.create(GrpcClient.client(vertx), SocketAddress.inetSocketAddress(grpcPort, host));
        int streams = Math.max(1, workers / 3);
        loads.add(Load.start(prefix + "gRPC unary", workers - streams, budget,
            () -> demo.delay(DelayRequest.newBuilder().setDelayMs(Load.mixedDelayMs(fastMs)).build())));
        loads.add(Load.start(prefix + "gRPC server streaming", streams, budget, () -> ticks(demo)));
      }
    }
    return loads;
  }

  /** One server stream of 10 ticks, 100 to 300 ms apart: ok only when all 10 arrive and the stream ends cleanly. */
  static Future<?> ticks(DemoGrpcClient demo) {
    int count = 10;
    int interval = 100 + ThreadLocalRandom.current().nextInt(201);
    return demo.ticks(TicksRequest.newBuilder().setCount(count).setIntervalMs(interval).build()).compose(stream -> {
      Promise<Void> done = Promise.promise();
      int[] seen = new int[1];
      stream.handler(t -> seen[0]++);
      stream.exceptionHandler(done::tryFail);
      stream.endHandler(v -> {
        if (seen[0] == count) {
          done.tryComplete();
        } else {
          done.tryFail("stream ended after " + seen[0] + " of " + count + " ticks");
        }
      });
      return done.future();
    });
  }
}
