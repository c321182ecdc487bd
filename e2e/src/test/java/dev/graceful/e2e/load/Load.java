package dev.graceful.e2e.load;

import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A closed-loop load: each worker sends its next call as soon as the previous one ends, until stopped or until the
 * call budget is spent. Every call is counted once: ok (a good answer), failed (any error, non-2xx or non-OK status,
 * or no answer within {@link #CALL_TIMEOUT}), or unfinished (still open when {@link #stop()} gave up waiting), so
 * {@code ok + failed + unfinished = issued}; unfinished calls count as failed in {@link #failed()}.
 */
public final class Load {

  /** Each call's bound: a call with no answer by then is failed, and its worker goes on with the next one. */
  public static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);
  private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "load-call-timeouts");
    t.setDaemon(true);
    return t;
  });

  private final String name;
  private final long maxCalls;
  private final Duration callTimeout;
  private final LongSupplier pauseMs;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong timedOut = new AtomicLong();
  private final AtomicLong issued = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile long unfinished;
  private volatile boolean finished;
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final Map<Long, long[]> perSecond = new ConcurrentHashMap<>();
  private long startMillis;

  /**
   * @param call one call; succeeds for a good answer, fails with the reason otherwise
   */
  public static Load start(String name, int workers, long maxCalls, Supplier<Future<?>> call) {
    return start(name, workers, maxCalls, CALL_TIMEOUT, call);
  }

  /** As {@link #start(String, int, long, Supplier)} with another bound on each call. */
  public static Load start(String name, int workers, long maxCalls, Duration callTimeout, Supplier<Future<?>> call) {
    return start(name, workers, maxCalls, callTimeout, () -> 0, call);
  }

  /**
   * As {@link #start(String, int, long, Duration, Supplier)}, each worker waiting {@code pauseMs} (asked after every
   * call) before its next one: a client whose pooled connections sit idle between calls. A pause is not a call.
   */
  public static Load start(String name, int workers, long maxCalls, Duration callTimeout, LongSupplier pauseMs,
      Supplier<Future<?>> call) {
    Load load = new Load(name, maxCalls, callTimeout, pauseMs);
    load.startMillis = System.currentTimeMillis();
    for (int i = 0; i < workers; i++) {
      load.loop(call);
    }
    return load;
  }

  private Load(String name, long maxCalls, Duration callTimeout, LongSupplier pauseMs) {
    this.name = name;
    this.maxCalls = maxCalls;
    this.callTimeout = callTimeout;
    this.pauseMs = pauseMs;
  }

  /**
   * Pauses for workers that call in bursts: none during the first {@code on} of every {@code on + off} (wall clock),
   * otherwise until the next burst. The connections a burst opened then sit idle in the client's pool.
   */
  public static LongSupplier bursts(Duration on, Duration off) {
    long period = on.plus(off).toMillis();
    return () -> {
      long phase = System.currentTimeMillis() % period;
      return phase < on.toMillis() ? 0 : period - phase;
    };
  }

  /**
   * The harsher mix's delays: about 10% of calls take 200 ms to 3 s, the rest {@code fastMs}, so drains begin with
   * requests in flight.
   */
  public static int mixedDelayMs(int fastMs) {
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    return random.nextInt(10) == 0 ? 200 + random.nextInt(2801) : fastMs;
  }

  private void loop(Supplier<Future<?>> call) {
    if (!running.get()) {
      return;
    }
    // In flight before issued, so stop() never sees a call issued but not yet in flight.
    inFlight.incrementAndGet();
    if (issued.incrementAndGet() > maxCalls) {
      issued.decrementAndGet();
      inFlight.decrementAndGet();
      return;
    }
    AtomicBoolean settled = new AtomicBoolean();
    ScheduledFuture<?> timer = TIMERS.schedule(() -> {
      if (settled.compareAndSet(false, true)) {
        timedOut.incrementAndGet();
        count(false, "no answer within " + callTimeout.toMillis() + " ms");
        next(call);
      }
    }, callTimeout.toMillis(), TimeUnit.MILLISECONDS);
    Future<?> f;
    try {
      f = call.get();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    boolean[] returned = new boolean[1];
    f.onComplete(ar -> {
      if (settled.compareAndSet(false, true)) {
        timer.cancel(false);
        count(ar.succeeded(), ar.succeeded() ? null : String.valueOf(ar.cause()));
        if (returned[0]) {
          next(call);
        } else {
          // Completed before call.get() returned (a call failing at once): the next one goes on another stack.
          TIMERS.execute(() -> next(call));
        }
      }
    });
    returned[0] = true;
  }

  /** The worker's next call, after its pause if it has one. */
  private void next(Supplier<Future<?>> call) {
    long pause = pauseMs.getAsLong();
    if (pause > 0 && running.get()) {
      TIMERS.schedule(() -> loop(call), pause, TimeUnit.MILLISECONDS);
    } else {
      loop(call);
    }
  }

  /** Counts one settled call; under the load's lock, so stop() takes its snapshot between two counts. */
  private synchronized void count(boolean success, String error) {
    if (finished) {
      return; // settled after stop() gave up on it: already counted as unfinished
    }
    long second = (System.currentTimeMillis() - startMillis) / 1000;
    long[] bucket = perSecond.computeIfAbsent(second, s -> new long[2]);
    bucket[success ? 0 : 1]++;
    if (success) {
      ok.incrementAndGet();
    } else {
      failed.incrementAndGet();
      if (errors.size() < 20) {
        errors.add(error);
      }
    }
    inFlight.decrementAndGet();
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
    return delay(client, host, port, ms, CALL_TIMEOUT);
  }

  /**
   * As {@link #delay(HttpClient, String, int, int)}, the request reset after {@code timeout} without data, so a call
   * that never gets an answer frees its pooled connection (HTTP/1.1) or stream (HTTP/2) instead of holding it.
   */
  public static Future<?> delay(HttpClient client, String host, int port, int ms, Duration timeout) {
    return client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port)
            .setURI("/delay?ms=" + ms).setIdleTimeout(timeout.toMillis()))
        .compose(req -> req.send())
        .compose(resp -> resp.body().compose(body -> resp.statusCode() == 200 && body.toString().equals("delayed " + ms + " ms\n")
            ? Future.succeededFuture() : Future.failedFuture("HTTP " + resp.statusCode() + " " + oneLine(body.toString()))));
  }

  /** A body as one short line for error lists (a proxy's error page is multi-line HTML). */
  private static String oneLine(String body) {
    String line = body.replaceAll("\\s+", " ").trim();
    return line.length() > 120 ? line.substring(0, 120) + "..." : line;
  }

  /**
   * Stops sending; waits for the calls in flight, each at most its timeout plus a second. Calls still open then are
   * unfinished.
   */
  public Load stop() throws InterruptedException {
    if (finished) {
      return this;
    }
    running.set(false);
    long deadline = System.nanoTime() + callTimeout.plusSeconds(1).toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    synchronized (this) {
      finished = true;
      unfinished = inFlight.get();
    }
    return this;
  }

  /** Calls sent. */
  public long issued() {
    return issued.get();
  }

  public long ok() {
    return ok.get();
  }

  /** Calls that did not succeed: errors, bad answers, timeouts, and those unfinished at {@link #stop()}. */
  public long failed() {
    return failed.get() + unfinished;
  }

  /** Calls that got no answer within the call timeout (part of {@link #failed()}). */
  public long timedOut() {
    return timedOut.get();
  }

  /** Calls still open when {@link #stop()} gave up (part of {@link #failed()}). */
  public long unfinished() {
    return unfinished;
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
      synchronized (this) {
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
    return name + ": " + issued.get() + " issued = " + ok.get() + " ok + " + failed.get() + " failed (" + timedOut.get()
        + " with no answer within " + callTimeout.toMillis() + " ms) + " + unfinished + " unfinished, "
        + String.format("%.0f", ok.get() / seconds) + " calls/s"
        + (errors.isEmpty() ? "" : "; first errors: " + errors.subList(0, Math.min(3, errors.size())));
  }
}
