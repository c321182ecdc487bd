package dev.graceful.runtime.support;

import io.vertx.core.http.HttpClient;
import java.time.Duration;

/** Bounded waits on what the runtime's management port reports. */
public final class Management {

  private Management() {
  }

  /** Waits until {@code /metrics} shows {@code expected} requests in flight on the named server. */
  public static void awaitInFlight(HttpClient client, int managementPort, String kind, String server, int expected) {
    awaitMetrics(client, managementPort, Duration.ofSeconds(10),
        "graceful_requests_in_flight{kind=\"" + kind + "\",server=\"" + server + "\"} " + expected + ".0");
  }

  /** Waits until {@code /metrics} contains every one of {@code needles}. */
  public static void awaitMetrics(HttpClient client, int managementPort, Duration timeout, String... needles) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String metrics = "";
    while (System.nanoTime() < deadline) {
      metrics = Await.result(Http.get(client, managementPort, "/metrics")).body();
      String body = metrics;
      if (java.util.Arrays.stream(needles).allMatch(body::contains)) {
        return;
      }
      Await.pause();
    }
    throw new AssertionError("metrics never showed " + String.join(" and ", needles) + "; last scrape:\n" + metrics);
  }
}
