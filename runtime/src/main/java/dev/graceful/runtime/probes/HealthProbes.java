package dev.graceful.runtime.probes;

import dev.graceful.runtime.lifecycle.Lifecycle;
import dev.graceful.runtime.lifecycle.LifecycleState;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The three kubelet probes, each a set of vertx-health-check procedures: a built-in {@code lifecycle} check plus
 * whatever the user registers.
 * <ul>
 *   <li>liveness: UP until the process has stopped; a shutdown in progress is not a reason to restart;</li>
 *   <li>readiness: UP only while READY and every user readiness check passes;</li>
 *   <li>startup: UP once the runtime has been READY once.</li>
 * </ul>
 */
public final class HealthProbes {

  private static final long CHECK_TIMEOUT_MS = 1000;

  private final HealthChecks liveness;
  private final HealthChecks readiness;
  private final HealthChecks startup;
  /** The user's readiness checks alone: the start waits for these before it turns READY. */
  private final HealthChecks userReadiness;
  private final AtomicBoolean hasUserReadiness = new AtomicBoolean();

  public HealthProbes(Vertx vertx, Lifecycle lifecycle) {
    AtomicBoolean started = new AtomicBoolean();
    lifecycle.onChange(state -> {
      if (state == LifecycleState.READY) {
        started.set(true);
      }
    });
    liveness = HealthChecks.create(vertx).register("lifecycle", CHECK_TIMEOUT_MS,
        p -> p.complete(status(lifecycle.state().isLive(), lifecycle)));
    readiness = HealthChecks.create(vertx).register("lifecycle", CHECK_TIMEOUT_MS,
        p -> p.complete(status(lifecycle.isReady(), lifecycle)));
    startup = HealthChecks.create(vertx).register("lifecycle", CHECK_TIMEOUT_MS,
        p -> p.complete(status(started.get(), lifecycle)));
    userReadiness = HealthChecks.create(vertx);
  }

  private static Status status(boolean up, Lifecycle lifecycle) {
    return new Status().setOk(up).setData(new JsonObject().put("state", lifecycle.state().name()));
  }

  public void addLiveness(String name, Handler<Promise<Status>> procedure) {
    liveness.register(name, CHECK_TIMEOUT_MS, procedure);
  }

  public void addReadiness(String name, Handler<Promise<Status>> procedure) {
    readiness.register(name, CHECK_TIMEOUT_MS, procedure);
    userReadiness.register(name, CHECK_TIMEOUT_MS, procedure);
    hasUserReadiness.set(true);
  }

  /** Whether every user readiness check passes now (true when there are none). */
  public Future<CheckResult> userReadiness() {
    if (!hasUserReadiness.get()) {
      return Future.succeededFuture(new CheckResult().setStatus(Status.OK()));
    }
    return userReadiness.checkStatus();
  }

  HealthChecks liveness() {
    return liveness;
  }

  HealthChecks readiness() {
    return readiness;
  }

  HealthChecks startup() {
    return startup;
  }
}
