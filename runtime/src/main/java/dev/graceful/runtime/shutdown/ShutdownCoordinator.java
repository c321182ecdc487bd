package dev.graceful.runtime.shutdown;

import io.vertx.core.Future;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

/**
 * Runs the shutdown phases in order on one budget, timing and logging each. Like Akka's CoordinatedShutdown:
 * named phases, one deadline; a phase that overruns its cutoff marks the whole shutdown as forced.
 */
public final class ShutdownCoordinator {

  private static final Logger LOG = Logger.getLogger(ShutdownCoordinator.class.getName());

  private final List<ShutdownPhase> phases;
  private final BiConsumer<String, Duration> phaseTimer;

  /**
   * @param phases     run in this order
   * @param phaseTimer told each phase's duration (metrics)
   */
  public ShutdownCoordinator(List<ShutdownPhase> phases, BiConsumer<String, Duration> phaseTimer) {
    this.phases = List.copyOf(phases);
    this.phaseTimer = phaseTimer;
  }

  public Future<ShutdownReport> run(ShutdownBudget budget) {
    Map<String, ShutdownReport.PhaseRecord> records = new LinkedHashMap<>();
    Future<Void> chain = Future.succeededFuture();
    for (ShutdownPhase phase : phases) {
      chain = chain.compose(v -> runPhase(phase, budget, records));
    }
    return chain.map(v -> {
      boolean forced = budget.isForced() || records.values().stream().anyMatch(r -> r.result().cutOff());
      return new ShutdownReport(records, budget.elapsed(), forced);
    });
  }

  private Future<Void> runPhase(ShutdownPhase phase, ShutdownBudget budget, Map<String, ShutdownReport.PhaseRecord> records) {
    long start = System.nanoTime();
    LOG.info("shutdown phase " + phase.name() + " started (" + budget.remaining(Duration.ZERO).toMillis() + " ms of budget left)");
    Future<PhaseResult> running;
    try {
      running = phase.run(budget);
    } catch (RuntimeException e) {
      running = Future.failedFuture(e);
    }
    return running
        .recover(e -> {
          // A phase must not fail; if one does, record it as cut off and carry on, so the drain is never lost.
          LOG.severe("shutdown phase " + phase.name() + " failed: " + e);
          return Future.succeededFuture(new PhaseResult(true, new io.vertx.core.json.JsonObject().put("error", String.valueOf(e))));
        })
        .map(result -> {
          Duration took = Duration.ofNanos(System.nanoTime() - start);
          records.put(phase.name(), new ShutdownReport.PhaseRecord(took, result));
          phaseTimer.accept(phase.name(), took);
          LOG.info("shutdown phase " + phase.name() + (result.cutOff() ? " cut off" : " done") + " in " + took.toMillis() + " ms");
          return null;
        });
  }
}
