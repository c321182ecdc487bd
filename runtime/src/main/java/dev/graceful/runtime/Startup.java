package dev.graceful.runtime;

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

/**
 * Deploys every unit in parallel under one timeout. All or nothing: if one fails or the timeout passes, the
 * ones that did start (or start later) are undeployed and the start fails naming the culprit.
 */
final class Startup {

  /** Something to deploy, with the name used in errors and logs. */
  record Unit(String name, Supplier<? extends Deployable> factory) {
  }

  private final Vertx vertx;
  private final Duration timeout;
  private final AtomicBoolean failing = new AtomicBoolean();

  Startup(Vertx vertx, Duration timeout) {
    this.vertx = vertx;
    this.timeout = timeout;
  }

  /** @return deployment id to unit name, in declaration order */
  Future<Map<String, String>> deployAll(List<Unit> units) {
    Map<String, String> deployed = new ConcurrentHashMap<>();
    Map<Unit, Boolean> pending = new ConcurrentHashMap<>();
    Promise<Map<String, String>> result = Promise.promise();
    List<Future<String>> all = new ArrayList<>();
    for (Unit unit : units) {
      pending.put(unit, true);
      Future<String> deployment = deploy(unit).onComplete(ar -> {
        pending.remove(unit);
        if (ar.succeeded()) {
          deployed.put(ar.result(), unit.name());
          if (failing.get()) {
            vertx.undeploy(ar.result()); // started after the start had already failed: stop it too
          }
        } else {
          fail(result, deployed, new StartFailedException(ar.cause().getMessage(), ar.cause()));
        }
      });
      all.add(deployment);
    }
    long timer = vertx.setTimer(timeout.toMillis(), id -> fail(result, deployed, new StartFailedException(
        "start timeout (" + timeout.toMillis() + " ms) passed; still starting: "
            + String.join(", ", pending.keySet().stream().map(Unit::name).toList()), null)));
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

  /** Stops everything that started, then fails the start: the error is reported only once the rollback is done. */
  private void fail(Promise<Map<String, String>> result, Map<String, String> deployed, StartFailedException cause) {
    if (failing.compareAndSet(false, true)) {
      Future.join(deployed.keySet().stream().map(vertx::undeploy).toList())
          .onComplete(ar -> result.tryFail(cause));
    }
  }
}
