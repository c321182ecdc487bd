package dev.graceful.runtime.kubernetes;

import dev.graceful.runtime.shutdown.PhaseResult;
import dev.graceful.runtime.shutdown.ShutdownBudget;
import dev.graceful.runtime.shutdown.ShutdownPhase;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.logging.Logger;

/** Sets the readiness gate False, so the endpoint controller marks the pod not serving without waiting for probes. */
final class ReadinessGatePhase implements ShutdownPhase {

  private static final Logger LOG = Logger.getLogger(ReadinessGatePhase.class.getName());

  private final ReadinessGate gate;
  private final FaultLog faults;

  ReadinessGatePhase(ReadinessGate gate, FaultLog faults) {
    this.gate = gate;
    this.faults = faults;
  }

  @Override
  public String name() {
    return "readiness-gate";
  }

  @Override
  public Future<PhaseResult> run(ShutdownBudget budget) {
    JsonObject details = new JsonObject().put("condition", gate.conditionType());
    return gate.set(false, "ShuttingDown")
        .map(v -> PhaseResult.completed(details.put("status", "False")))
        .recover(e -> {
          faults.report(LOG, e, "cannot set readiness gate " + gate.conditionType() + " to False (" + e.getMessage()
              + "); the pod leaves the endpoints when its readiness probe fails instead");
          return Future.succeededFuture(PhaseResult.completed(details.put("error", e.getMessage())));
        });
  }
}
