package dev.graceful.runtime.server;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Tracks the requests a server is answering, so the drain knows what is in flight and can tell
 * HTTP/1.1 clients to stop reusing their connection.
 */
final class InFlightRequests {

  private record InFlight(HttpServerRequest request, Context context, long startNanos) {
  }

  private final Map<HttpServerResponse, InFlight> requests = new ConcurrentHashMap<>();

  /** Wraps {@code handler} so every request is counted from arrival until its response ends or its connection dies. */
  Handler<HttpServerRequest> track(Handler<HttpServerRequest> handler, BooleanSupplier draining) {
    return request -> {
      HttpServerResponse response = request.response();
      requests.put(response, new InFlight(request, Vertx.currentContext(), System.nanoTime()));
      // Fast path only: vertx-web replaces these handlers when a route uses addEndHandler,
      // so prune() below derives the truth from the response itself.
      response.endHandler(v -> requests.remove(response));
      response.closeHandler(v -> requests.remove(response));
      if (draining.getAsBoolean()) {
        askToClose(request);
      }
      handler.handle(request);
    };
  }

  int count() {
    prune();
    return requests.size();
  }

  private void prune() {
    requests.keySet().removeIf(r -> r.ended() || r.closed());
  }

  /**
   * Adds {@code Connection: close} to every in-flight HTTP/1.x response whose head is not written yet,
   * each on its own event loop. Completes when all are stamped.
   */
  Future<Void> askAllToClose() {
    prune();
    List<Future<Void>> stamped = new ArrayList<>();
    requests.values().forEach(inFlight -> {
      Promise<Void> done = Promise.promise();
      inFlight.context().runOnContext(v -> {
        askToClose(inFlight.request());
        done.complete();
      });
      stamped.add(done.future());
    });
    return Future.join(stamped).mapEmpty();
  }

  private static void askToClose(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    // HTTP/2 forbids connection-specific headers; GOAWAY does this job there.
    if (request.version() != HttpVersion.HTTP_2 && !response.headWritten() && !response.ended()) {
      response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    }
  }

  /** One line per in-flight request: method, URI and age, for the log when a drain is cut off. */
  List<String> describe() {
    prune();
    long now = System.nanoTime();
    List<String> lines = new ArrayList<>();
    requests.values().forEach(r -> lines.add(r.request().method() + " " + r.request().uri()
        + " (" + TimeUnit.NANOSECONDS.toMillis(now - r.startNanos()) + " ms)"));
    return lines;
  }
}
