package dev.graceful.runtime.shutdown;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The pre-drain wait of a runtime that never turned ready (a signal during its start): its readiness never passed,
 * so no endpoint or load balancer sends it traffic, and there is nothing to wait for.
 */
public final class NeverReadyNoWait implements ShutdownPhase {

  @Override
  public String name() {
    return "pre-drain-wait";
  }

  @Override
  public Future<PhaseResult> run(ShutdownBudget budget) {
    return Future.succeededFuture(PhaseResult.completed(new JsonObject().put("kind", "none")
        .put("reason", "never ready: no endpoint or load balancer routes to it")));
  }
}
