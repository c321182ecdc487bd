package dev.graceful.runtime.shutdown;

import dev.graceful.runtime.lifecycle.Lifecycle;
import dev.graceful.runtime.lifecycle.LifecycleState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Phase 4: undeploys every verticle in parallel (servers are drained by now, so Vert.x's forced close finds
 * nothing left) with the rest of the budget. Verticles whose stop outlives the deadline are named and left behind.
 */
public final class StopVerticles implements ShutdownPhase {

  private static final Logger LOG = Logger.getLogger(StopVerticles.class.getName());

  private final Vertx vertx;
  private final Lifecycle lifecycle;
  private final Map<String, String> deploymentNames;

  /**
   * @param vertx           the Vert.x instance the verticles run on
   * @param lifecycle       moved to STOPPING
   * @param deploymentNames deployment id to a readable name
   */
  public StopVerticles(Vertx vertx, Lifecycle lifecycle, Map<String, String> deploymentNames) {
    this.vertx = vertx;
    this.lifecycle = lifecycle;
    this.deploymentNames = Map.copyOf(deploymentNames);
  }

  @Override
  public String name() {
    return "stop-verticles";
  }

  @Override
  public Future<PhaseResult> run(ShutdownBudget budget) {
    lifecycle.moveTo(LifecycleState.STOPPING);
    Set<String> stopping = ConcurrentHashMap.newKeySet();
    stopping.addAll(deploymentNames.keySet());
    JsonArray failures = new JsonArray();
    List<Future<Void>> undeployed = deploymentNames.keySet().stream()
        .map(id -> vertx.undeploy(id).onComplete(ar -> {
          stopping.remove(id);
          if (ar.failed()) {
            String cause = String.valueOf(ar.cause().getMessage() != null ? ar.cause().getMessage() : ar.cause());
            LOG.warning("verticle " + deploymentNames.get(id) + " failed to stop: " + cause);
            synchronized (failures) {
              failures.add(new JsonObject().put("verticle", deploymentNames.get(id)).put("cause", cause));
            }
          }
        }))
        .toList();
    Promise<PhaseResult> result = Promise.promise();
    Future.join(undeployed).onComplete(ar -> {
      JsonObject details = new JsonObject().put("verticles", deploymentNames.size());
      synchronized (failures) {
        if (!failures.isEmpty()) {
          details.put("failedToStop", failures.copy());
        }
        result.tryComplete(new PhaseResult(false, !failures.isEmpty(), details));
      }
    });
    budget.cutoff(Duration.ZERO).onComplete(ar -> {
      if (result.future().isComplete()) {
        return;
      }
      JsonArray names = new JsonArray();
      stopping.forEach(id -> names.add(deploymentNames.get(id)));
      LOG.warning("deadline reached while verticles were still stopping: " + names.encode());
      result.tryComplete(new PhaseResult(true, new JsonObject()
          .put("verticles", deploymentNames.size()).put("stillStopping", names)));
    });
    return result.future();
  }
}
