package dev.graceful.runtime.shutdown;

import dev.graceful.runtime.lifecycle.Lifecycle;
import dev.graceful.runtime.lifecycle.LifecycleState;
import io.vertx.core.Future;

/**
 * Phase 1: readiness turns DOWN (HTTP probe 503, gRPC health NOT_SERVING) so load balancers start moving traffic
 * away. Liveness stays UP: the kubelet must not restart a pod that is shutting down on purpose.
 */
public final class ReadinessDown implements ShutdownPhase {

  private final Lifecycle lifecycle;

  public ReadinessDown(Lifecycle lifecycle) {
    this.lifecycle = lifecycle;
  }

  @Override
  public String name() {
    return "readiness-down";
  }

  @Override
  public Future<PhaseResult> run(ShutdownBudget budget) {
    lifecycle.moveTo(LifecycleState.DRAINING);
    return Future.succeededFuture(PhaseResult.completed());
  }
}
