package com.example;

import dev.graceful.runtime.RuntimeBuilder;
import dev.graceful.runtime.RuntimeModule;
import io.vertx.ext.web.Router;

/** A user's application: one HTTP route, served and drained by the runtime. */
public class HelloModule implements RuntimeModule {

  @Override
  public void configure(RuntimeBuilder runtime) {
    runtime.http(vertx -> {
      Router router = Router.router(vertx);
      router.get("/hello").handler(ctx -> ctx.response().end("hello from a module\n"));
      return router;
    });
  }
}
