package dev.graceful.runtime.demo;

import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/** The demo HTTP routes: {@code GET /delay?ms=N} answers 200 after N milliseconds. */
public final class DemoRouter {

  /**
   * Upper bound for {@code ms}: below the default 25 s shutdown budget less its 5 s pre-drain wait, so a demo request
   * started before SIGTERM can always finish in the drain.
   */
  static final long MAX_DELAY_MS = 20_000;

  private DemoRouter() {
  }

  public static Router create(Vertx vertx) {
    Router router = Router.router(vertx);
    router.get("/delay").handler(ctx -> {
      String ms = ctx.request().getParam("ms", "0");
      long delay;
      try {
        delay = Long.parseLong(ms);
      } catch (NumberFormatException e) {
        delay = -1;
      }
      if (delay < 0 || delay > MAX_DELAY_MS) {
        // The input is not echoed: it is the client's, and this is a text/plain answer anyone may display.
        ctx.response().setStatusCode(400).putHeader("Content-Type", "text/plain; charset=utf-8")
            .end("ms must be a whole number from 0 to " + MAX_DELAY_MS + " (below the default 25 s shutdown budget)\n");
        return;
      }
      long answered = delay;
      Runnable answer = () -> ctx.response().putHeader("Content-Type", "text/plain").end("delayed " + answered + " ms\n");
      if (delay == 0) {
        answer.run();
      } else {
        vertx.setTimer(delay, id -> answer.run());
      }
    });
    router.get("/").handler(ctx -> ctx.response().putHeader("Content-Type", "text/plain")
        .end("Graceful Runtime demo. Try GET /delay?ms=3000, then send SIGTERM while it runs.\n"));
    return router;
  }
}
