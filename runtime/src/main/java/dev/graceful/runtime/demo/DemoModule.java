package dev.graceful.runtime.demo;

import dev.graceful.runtime.RuntimeBuilder;
import dev.graceful.runtime.RuntimeModule;
import dev.graceful.runtime.demo.grpc.DemoGrpcService;

/** What {@code main} runs when {@code GRACEFUL_VERTICLES} is not set. */
public final class DemoModule implements RuntimeModule {

  @Override
  public void configure(RuntimeBuilder runtime) {
    runtime.http(DemoRouter::create)
        .grpc(vertx -> DemoGrpcService.of(new DemoGrpc(vertx)));
  }
}
