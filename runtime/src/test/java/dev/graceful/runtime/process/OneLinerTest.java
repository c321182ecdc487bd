package dev.graceful.runtime.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.graceful.runtime.fixtures.OneLinerHttp;
import dev.graceful.runtime.lifecycle.ExitCode;
import dev.graceful.runtime.support.Await;
import dev.graceful.runtime.support.ChildRuntime;
import dev.graceful.runtime.support.Http;
import dev.graceful.runtime.support.Http.Reply;
import dev.graceful.runtime.support.Management;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code GracefulRuntime.serveHttp(...)} as an application's whole {@code main}, in a child JVM with real signals. */
@ExtendWith(VertxExtension.class)
class OneLinerTest {

  @Test
  void oneLinerServesAndDrainsOnSigterm(Vertx vertx) {
    try (ChildRuntime child = ChildRuntime.startReady(OneLinerHttp.class.getName(), Map.of("GRACEFUL_DRAIN_DELAY", "500ms"))) {
      Future<Reply> inFlight = Http.get(vertx.createHttpClient(), child.httpPort, "/delay?ms=2000");
      Management.awaitInFlight(vertx.createHttpClient(), child.managementPort, "http", "http", 1);
      child.signal("TERM");
      child.awaitLine("shutdown phase drain started");
      assertFalse(inFlight.isComplete(), "the request must still be in flight when the drain starts");

      Reply reply = Await.result(inFlight);
      assertEquals(200, reply.status());
      assertEquals("delayed 2000 ms\n", reply.body());
      assertEquals(ExitCode.CLEAN.code(), child.awaitExit(Duration.ofSeconds(15)), child.output());
      JsonObject summary = HttpShutdownTest.summary(child);
      assertEquals("clean", summary.getString("outcome"));
      assertEquals(1, summary.getInteger("requestsInFlightAtDrainStart"));
    }
  }

  @Test
  void oneLinerWithABadPortExitsWithTheConfigurationCodeAndOneLine() {
    try (ChildRuntime child = ChildRuntime.start(OneLinerHttp.class.getName(), Map.of("GRACEFUL_HTTP_PORT", "70000"))) {
      assertEquals(ExitCode.BAD_CONFIGURATION.code(), child.awaitExit(Duration.ofSeconds(20)), child.output());
      StartFailureTest.assertOneConfigurationLine(child,
          "graceful-runtime: configuration error: GRACEFUL_HTTP_PORT='70000': port out of range; use 0-65535");
    }
  }
}
