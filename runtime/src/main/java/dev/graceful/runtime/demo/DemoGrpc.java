package dev.graceful.runtime.demo;

import dev.graceful.runtime.demo.grpc.DelayReply;
import dev.graceful.runtime.demo.grpc.DelayRequest;
import dev.graceful.runtime.demo.grpc.DemoService;
import dev.graceful.runtime.demo.grpc.Tick;
import dev.graceful.runtime.demo.grpc.TicksRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.streams.WriteStream;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;

/** The demo gRPC service: a slow unary call and a slow server stream. */
public final class DemoGrpc extends DemoService {

  private final Vertx vertx;

  public DemoGrpc(Vertx vertx) {
    this.vertx = vertx;
  }

  @Override
  public Future<DelayReply> delay(DelayRequest request) {
    int ms = request.getDelayMs();
    if (ms > DemoRouter.MAX_DELAY_MS) {
      return Future.failedFuture(new StatusException(GrpcStatus.INVALID_ARGUMENT, "delay_ms must be at most " + DemoRouter.MAX_DELAY_MS));
    }
    Promise<DelayReply> reply = Promise.promise();
    Runnable answer = () -> reply.complete(DelayReply.newBuilder().setDelayedMs(ms).build());
    if (ms == 0) {
      answer.run();
    } else {
      vertx.setTimer(ms, id -> answer.run());
    }
    return reply.future();
  }

  @Override
  protected void ticks(TicksRequest request, WriteStream<Tick> response) {
    int count = request.getCount();
    long interval = Math.max(1, Math.min(request.getIntervalMs(), DemoRouter.MAX_DELAY_MS));
    if (count == 0) {
      response.end();
      return;
    }
    tick(1, count, interval, response);
  }

  private void tick(int sequence, int count, long interval, WriteStream<Tick> response) {
    vertx.setTimer(interval, id -> {
      response.write(Tick.newBuilder().setSequence(sequence).build());
      if (sequence == count) {
        response.end();
      } else {
        tick(sequence + 1, count, interval, response);
      }
    });
  }
}
