package dev.graceful.runtime.shutdown;

import io.vertx.core.Future;

/**
 * One named step of the shutdown. Phases run one after another on one {@link ShutdownBudget}; each must finish
 * by its own cutoff and must not fail: trouble is reported in the {@link PhaseResult}.
 */
public interface ShutdownPhase {

  /** Short, stable name used in logs, metrics and the summary, e.g. {@code drain}. */
  String name();

  Future<PhaseResult> run(ShutdownBudget budget);
}
