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

  /** Most ticks one call streams: a count of 2^31 or more read as a signed int would otherwise never end. */
  static final long MAX_TICKS = 10_000;

  @Override
  public Future<DelayReply> delay(DelayRequest request) {
    // uint32 on the wire: read unsigned, so 4294967295 is too large rather than -1.
    long requested = Integer.toUnsignedLong(request.getDelayMs());
    if (requested > DemoRouter.MAX_DELAY_MS) {
      return Future.failedFuture(new StatusException(GrpcStatus.INVALID_ARGUMENT, "delay_ms must be at most "
          + DemoRouter.MAX_DELAY_MS + " (below the default 25 s shutdown budget)"));
    }
    int ms = (int) requested;
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
    long requestedCount = Integer.toUnsignedLong(request.getCount());
    long requestedInterval = Integer.toUnsignedLong(request.getIntervalMs());
    if (requestedCount > MAX_TICKS || requestedInterval > DemoRouter.MAX_DELAY_MS) {
      if (response instanceof io.vertx.grpc.server.GrpcServerResponse<?, ?> grpc) {
        grpc.status(GrpcStatus.INVALID_ARGUMENT).statusMessage("count must be at most " + MAX_TICKS
            + " and interval_ms at most " + DemoRouter.MAX_DELAY_MS).end();
      } else {
        response.end();
      }
      return;
    }
    int count = (int) requestedCount;
    long interval = Math.max(1, requestedInterval);
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
