package dev.graceful.e2e.load;

import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A closed-loop load: each worker sends its next call as soon as the previous one ends, until stopped or until the
 * call budget is spent. Counts successes and failures (any error, non-2xx or non-OK status) per second.
 */
public final class Load {

  private final String name;
  private final long maxCalls;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong issued = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final Map<Long, long[]> perSecond = new ConcurrentHashMap<>();
  private long startMillis;

  /**
   * @param call one call; succeeds for a good answer, fails with the reason otherwise
   */
  public static Load start(String name, int workers, long maxCalls, Supplier<Future<?>> call) {
    Load load = new Load(name, maxCalls);
    load.startMillis = System.currentTimeMillis();
    for (int i = 0; i < workers; i++) {
      load.loop(call);
    }
    return load;
  }

  private Load(String name, long maxCalls) {
    this.name = name;
    this.maxCalls = maxCalls;
  }

  private void loop(Supplier<Future<?>> call) {
    if (!running.get() || issued.incrementAndGet() > maxCalls) {
      return;
    }
    inFlight.incrementAndGet();
    Future<?> f;
    try {
      f = call.get();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> {
      inFlight.decrementAndGet();
      long second = (System.currentTimeMillis() - startMillis) / 1000;
      long[] bucket = perSecond.computeIfAbsent(second, s -> new long[2]);
      synchronized (bucket) {
        bucket[ar.succeeded() ? 0 : 1]++;
      }
      if (ar.succeeded()) {
        ok.incrementAndGet();
      } else {
        failed.incrementAndGet();
        if (errors.size() < 20) {
          errors.add(String.valueOf(ar.cause()));
        }
      }
      loop(call);
    });
  }

  /**
   * One call of the demo's {@code GET /delay?ms=N} on 127.0.0.1: succeeds only for a 200 with the demo's exact body,
   * fails with the status and body otherwise.
   */
  public static Future<?> delay(HttpClient client, int port, int ms) {
    return delay(client, "127.0.0.1", port, ms);
  }

  /** As {@link #delay(HttpClient, int, int)} on {@code host} (a ClusterIP on a real node). */
  public static Future<?> delay(HttpClient client, String host, int port, int ms) {
    return client.request(HttpMethod.GET, port, host, "/delay?ms=" + ms)
        .compose(req -> req.send())
        .compose(resp -> resp.body().compose(body -> resp.statusCode() == 200 && body.toString().equals("delayed " + ms + " ms\n")
            ? Future.succeededFuture() : Future.failedFuture("HTTP " + resp.statusCode() + " " + body)));
  }

  /** Stops sending; waits (bounded) for the calls in flight. */
  public Load stop() throws InterruptedException {
    running.set(false);
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return this;
  }

  public long ok() {
    return ok.get();
  }

  public long failed() {
    return failed.get();
  }

  public List<String> errors() {
    return List.copyOf(errors);
  }

  public String name() {
    return name;
  }

  /** Per second since the start: {second, ok, failed}, in order, seconds without calls included as zeros. */
  public List<long[]> perSecond() {
    long last = perSecond.keySet().stream().mapToLong(Long::longValue).max().orElse(-1);
    List<long[]> series = new ArrayList<>();
    for (long s = 0; s <= last; s++) {
      long[] bucket = perSecond.getOrDefault(s, new long[2]);
      synchronized (bucket) {
        series.add(new long[] {s, bucket[0], bucket[1]});
      }
    }
    return series;
  }

  /** When the load started, epoch milliseconds. */
  public long startMillis() {
    return startMillis;
  }

  /** "second: ok/failed" for the seconds that had calls, for the report. */
  public List<String> timeline() {
    List<String> lines = new ArrayList<>();
    perSecond.keySet().stream().sorted().forEach(s -> lines.add(s + "s: " + perSecond.get(s)[0] + "/" + perSecond.get(s)[1]));
    return lines;
  }

  @Override
  public String toString() {
    double seconds = Math.max(1, System.currentTimeMillis() - startMillis) / 1000.0;
    return name + ": " + ok.get() + " ok, " + failed.get() + " failed, " + String.format("%.0f", ok.get() / seconds) + " calls/s"
        + (errors.isEmpty() ? "" : "; first errors: " + errors.subList(0, Math.min(3, errors.size())));
  }
}
