package dev.graceful.runtime.shutdown;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * Phase 2 (pre-drain wait), the simple kind: servers keep serving for a fixed delay while load balancers
 * stop routing to this process. A second signal cuts the wait short.
 */
public final class FixedDelayWait implements ShutdownPhase {

  private final Duration delay;
  private final Duration reserve;
  private final String reason;

  /**
   * @param delay   how long to keep serving
   * @param reserve budget that must remain for the phases after this one
   */
  public FixedDelayWait(Duration delay, Duration reserve) {
    this(delay, reserve, null);
  }

  /** @param reason why the fixed delay stands in for an endpoint wait, for the report; null when it is the plan */
  public FixedDelayWait(Duration delay, Duration reserve, String reason) {
    this.delay = delay;
    this.reserve = reserve;
    this.reason = reason;
  }

  @Override
  public String name() {
    return "pre-drain-wait";
  }

  @Override
  public Future<PhaseResult> run(ShutdownBudget budget) {
    Duration scaled = budget.scaled(delay);
    return budget.sleep(scaled, budget.scaled(reserve))
        .map(v -> {
          JsonObject detail = new JsonObject().put("kind", "fixed").put("delayMs", scaled.toMillis());
          return PhaseResult.completed(reason == null ? detail : detail.put("reason", reason));
        });
  }
}
