package dev.graceful.runtime;

import io.vertx.core.AsyncResult;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Deploys every unit in parallel under one timeout. All or nothing: if one fails or the timeout passes, the
 * ones that did start (or start later) are undeployed and the start fails naming the culprit, only once they are.
 */
final class Startup {

  private static final Logger LOG = Logger.getLogger(Startup.class.getName());

  /** Something to deploy, with the name used in errors and logs. */
  record Unit(String name, Supplier<? extends Deployable> factory) {
  }

  private final Vertx vertx;
  private final Duration timeout;
  private final AtomicBoolean failing = new AtomicBoolean();
  /** Deployment id to unit name, for every unit that has started. */
  private final Map<String, String> deployed = new ConcurrentHashMap<>();
  private final Map<Unit, Boolean> pending = new ConcurrentHashMap<>();
  private final Promise<Void> timedOut = Promise.promise();
  /**
   * Set once the rollback has undeployed what had started, or once the start was abandoned for a shutdown; a unit
   * that starts after that undeploys itself.
   */
  private boolean rolledBack;
  private final Promise<Map<String, String>> result = Promise.promise();
  /** Every deployment begun, once {@link #deployAll} has begun them. */
  private volatile List<Future<String>> begun = List.of();

  Startup(Vertx vertx, Duration timeout) {
    this.vertx = vertx;
    this.timeout = timeout;
  }

  /** @return deployment id to unit name, in declaration order */
  Future<Map<String, String>> deployAll(List<Unit> units) {
    synchronized (this) {
      if (rolledBack) {
        return result.future(); // abandoned before it began
      }
    }
    List<Future<String>> all = new ArrayList<>();
    for (Unit unit : units) {
      pending.put(unit, true);
    }
    for (Unit unit : units) {
      // andThen: whoever waits on a deployment (the rollback) sees it recorded first.
      all.add(deploy(unit).andThen(ar -> record(unit, ar)));
    }
    begun = List.copyOf(all);
    // Only once the list is whole, so a failure's rollback waits for every unit.
    for (Future<String> deployment : all) {
      deployment.onFailure(cause -> fail(result, all, new StartFailedException(cause.getMessage(), cause)));
    }
    long timer = vertx.setTimer(timeout.toMillis(), id -> {
      timedOut.tryComplete();
      fail(result, all, new StartFailedException("start timeout (" + timeout.toMillis() + " ms) passed; still starting: "
          + String.join(", ", pending.keySet().stream().map(Unit::name).toList()), null));
    });
    Future.join(all).onComplete(ar -> {
      if (ar.succeeded()) {
        vertx.cancelTimer(timer);
        Map<String, String> ordered = new LinkedHashMap<>();
        all.forEach(f -> ordered.put(f.result(), deployed.get(f.result())));
        result.tryComplete(ordered);
      }
    });
    return result.future();
  }

  /**
   * A shutdown began during the start: stop waiting for it. Units still starting get up to {@code settle} to finish
   * (a server binds in milliseconds; a verticle's start may never end); what has started then is left running, for
   * the shutdown to drain and stop, and what starts later undeploys itself.
   *
   * @return deployment id to unit name, for what has started by then; failed when the start was failing already
   *     (that failure, its rollback included, remains the start's outcome)
   */
  Future<Map<String, String>> abandon(StartAbandonedException cause, Duration settle, Vertx timers) {
    if (!failing.compareAndSet(false, true)) {
      // Already failing for real: its rollback stops what started, and its failure is the start's outcome.
      return Future.failedFuture(new IllegalStateException("the start is failing already"));
    }
    Promise<Void> waited = Promise.promise();
    // On the control instance's timers: an application verticle blocking its event loop cannot stretch the settle.
    long timer = timers.setTimer(Math.max(1, settle.toMillis()), id -> waited.tryComplete());
    Future.join(begun).onComplete(ar -> {
      timers.cancelTimer(timer);
      waited.tryComplete();
    });
    return waited.future().map(v -> {
      Map<String, String> started;
      synchronized (this) {
        rolledBack = true;
        started = Map.copyOf(deployed);
      }
      if (!pending.isEmpty()) {
        LOG.warning("start abandoned while still starting: " + String.join(", ", pending.keySet().stream()
            .map(Unit::name).toList()) + "; each stops itself if it ever starts, else Vert.x's close ends it");
      }
      result.tryFail(cause);
      return started;
    });
  }

  private void record(Unit unit, AsyncResult<String> ar) {
    if (ar.succeeded()) {
      boolean late;
      synchronized (this) {
        deployed.put(ar.result(), unit.name());
        late = rolledBack;
      }
      if (late) {
        vertx.undeploy(ar.result()); // hung past the start timeout, then started after all: stop it too
      }
    }
    pending.remove(unit);
  }

  private Future<String> deploy(Unit unit) {
    Deployable instance;
    try {
      instance = unit.factory().get();
    } catch (RuntimeException | LinkageError e) {
      return Future.failedFuture(new IllegalStateException(unit.name() + " could not be created: " + e, e));
    }
    return vertx.deployVerticle(instance).recover(cause -> Future.failedFuture(
        cause instanceof dev.graceful.runtime.server.ManagedServer.ServerStartException
            ? cause
            : new IllegalStateException(unit.name() + " failed to start: " + cause, cause)));
  }

  /**
   * Stops everything that started, then fails the start: the error is reported only once the rollback is done. Units
   * still starting (a server binding its port) are waited for first, so none is left listening; but not past the start
   * timeout, as one still starting then is hung in its start (Vert.x's close is all that can end it).
   */
  private void fail(Promise<Map<String, String>> result, List<Future<String>> all, StartFailedException cause) {
    if (!failing.compareAndSet(false, true)) {
      return;
    }
    LOG.info("start failed (" + cause.getMessage() + "); stopping what has started once the others settle");
    Future<?> settled = Future.join(all).transform(ar -> Future.succeededFuture());
    Future.any(settled, timedOut.future()).onComplete(ar -> {
      List<String> ids;
      synchronized (this) {
        rolledBack = true;
        ids = List.copyOf(deployed.keySet());
      }
      if (!pending.isEmpty()) {
        LOG.warning("start failed; still starting at the start timeout, left to Vert.x's close: "
            + String.join(", ", pending.keySet().stream().map(Unit::name).toList()));
      }
      Future.join(ids.stream().map(vertx::undeploy).toList()).onComplete(undeployed -> {
        LOG.info("start failed; stopped what had started: "
            + (ids.isEmpty() ? "nothing" : String.join(", ", ids.stream().map(deployed::get).toList())));
        result.tryFail(cause);
      });
    });
  }
}
