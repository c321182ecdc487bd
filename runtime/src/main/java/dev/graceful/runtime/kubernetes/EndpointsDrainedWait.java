package dev.graceful.runtime.kubernetes;

import dev.graceful.runtime.config.KubernetesSettings;
import dev.graceful.runtime.shutdown.PhaseResult;
import dev.graceful.runtime.shutdown.ShutdownBudget;
import dev.graceful.runtime.shutdown.ShutdownPhase;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * Phase 2 (pre-drain wait), the Kubernetes kind: servers keep serving until every EndpointSlice of the pod's
 * Services shows it out of rotation, then for the propagation delay while kube-proxy and ingress controllers
 * catch up. Bounded by a share of the budget, so the drain always gets its time.
 *
 * <p>Faults never hang it: if the slices cannot be listed or watched (API down or slow, 403, malformed data), it
 * falls back to the fixed delay counted from the start of this phase, with one warning naming the cause. A watch
 * that closes mid-wait is re-listed and resumed by the informer; the wait falls back only if the watch is still
 * down when the fixed delay is up.
 */
final class EndpointsDrainedWait implements ShutdownPhase {

  private static final Logger LOG = Logger.getLogger(EndpointsDrainedWait.class.getName());
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private final KubernetesApi api;
  private final Vertx timers;
  private final PodIdentity pod;
  private final PodFacts facts;
  private final KubernetesSettings settings;
  private final OwnPod ownPod;
  private final Duration fallbackDelay;
  private final Duration reserve;
  private final PodEvents events;
  private final FaultLog faults;

  /**
   * @param fallbackDelay the fixed delay used when the endpoints cannot be watched
   * @param reserve       budget that must remain for the phases after this one
   */
  EndpointsDrainedWait(KubernetesApi api, Vertx timers, PodIdentity pod, PodFacts facts, OwnPod ownPod,
      KubernetesSettings settings, Duration fallbackDelay, Duration reserve, PodEvents events, FaultLog faults) {
    this.api = api;
    this.timers = timers;
    this.pod = pod;
    this.facts = facts;
    this.ownPod = ownPod;
    this.settings = settings;
    this.fallbackDelay = fallbackDelay;
    this.reserve = reserve;
    this.events = events;
    this.faults = faults;
  }

  @Override
  public String name() {
    return "pre-drain-wait";
  }

  @Override
  public Future<PhaseResult> run(ShutdownBudget budget) {
    // The Services that route to the pod now, not only those that did at start; the start's list when the API
    // cannot say (the watch that follows would not work either, and the wait falls back).
    return ownPod.readServices(facts.labels())
        .map(now -> {
          if (!now.equals(facts.services())) {
            LOG.info("endpoint wait: the Services that select this pod changed since the start: " + facts.services() + " -> " + now);
          }
          return now;
        })
        .otherwise(facts.services())
        .compose(services -> {
          JsonObject details = new JsonObject().put("kind", "endpoints").put("services", new JsonArray(services));
          if (services.isEmpty()) {
            LOG.info("no Service routes to this pod: skipping the endpoint wait");
            return Future.succeededFuture(PhaseResult.completed(details.put("outcome", "no-service")));
          }
          return new Wait(budget, details, services).run();
        });
  }

  /** One wait: its state lives here, not in the phase. */
  private final class Wait {

    private final ShutdownBudget budget;
    private final JsonObject details;
    private final long startNanos = System.nanoTime();
    private final Duration keep;
    private final Promise<PhaseResult> done = Promise.promise();
    private final List<String> services;
    private final AtomicBoolean controlPlaneDrained = new AtomicBoolean();
    private final AtomicBoolean fellBack = new AtomicBoolean();
    private final AtomicBoolean watchCheckArmed = new AtomicBoolean();
    /** What the informer last reported going wrong since its watch last ran; null when nothing did. */
    private final AtomicReference<Throwable> interruption = new AtomicReference<>();
    private volatile SharedIndexInformer<EndpointSlice> informer;

    Wait(ShutdownBudget budget, JsonObject details, List<String> services) {
      this.budget = budget;
      this.details = details;
      this.services = services;
      this.keep = budget.scaled(reserve);
    }

    Future<PhaseResult> run() {
      Duration bound = min(Duration.ofNanos((long) (budget.total().toNanos() * settings.endpointWaitShare())),
          budget.remaining(keep));
      budget.sleep(bound, keep).onComplete(ar -> {
        // The bound is on the wait for the endpoints; once they are drained, the propagation delay runs its course.
        if (!controlPlaneDrained.get()) {
          finish("bound", () -> LOG.warning(
              "endpoints still route to this pod after " + elapsed().toMillis() + " ms (the wait's bound); draining anyway"));
        }
      });
      try {
        informer = api.client().discovery().v1().endpointSlices().inNamespace(pod.namespace())
            .withLabelIn(SERVICE_NAME_LABEL, services.toArray(String[]::new))
            .runnableInformer(0);
        informer.exceptionHandler((started, error) -> {
          if (!started) {
            return false; // the first list failed: start() fails, and the wait falls back
          }
          // A re-list after the watch closed failed; the informer tries again. The wait goes on, and falls back
          // only if the watch is still down at the fixed delay.
          if (interruption.getAndSet(error) == null) {
            LOG.info("endpoint watch interrupted (" + KubernetesApi.describe(error) + "); re-listing");
          }
          armWatchCheck();
          return true;
        });
        informer.addEventHandler(new ResourceEventHandler<>() {
          @Override
          public void onAdd(EndpointSlice slice) {
            check();
          }

          @Override
          public void onUpdate(EndpointSlice before, EndpointSlice after) {
            check();
          }

          @Override
          public void onDelete(EndpointSlice slice, boolean unknownFinalState) {
            check();
          }
        });
        Promise<Void> synced = Promise.promise();
        timers.setTimer(api.timeout().toMillis(), id -> synced.tryFail(new KubernetesApi.KubernetesCallException(
            "watch endpointslices", KubernetesApi.NO_ANSWER + " " + api.timeout().toMillis() + " ms", null)));
        informer.start().whenComplete((v, error) -> {
          if (error == null) {
            synced.tryComplete();
          } else {
            synced.tryFail(error);
          }
        });
        synced.future().onSuccess(v -> {
          LOG.info("endpoint wait: watching the EndpointSlices of " + services);
          // A watch can also drop without the informer reporting it (its client reconnects quietly): look then too.
          armWatchCheck();
          check();
        }).onFailure(this::giveUp);
      } catch (RuntimeException e) {
        giveUp(e);
      }
      return done.future().onComplete(ar -> stopInformer());
    }

    private void check() {
      if (done.future().isComplete() || controlPlaneDrained.get()) {
        return;
      }
      EndpointVerdict verdict;
      try {
        verdict = EndpointVerdict.of(informer.getStore().list(), pod, facts.uid());
      } catch (RuntimeException e) {
        giveUp(e);
        return;
      }
      if (!verdict.drained()) {
        LOG.fine(() -> "endpoints still route to this pod: " + verdict.stillServing());
        return;
      }
      if (!controlPlaneDrained.compareAndSet(false, true)) {
        return;
      }
      Duration waited = elapsed();
      details.put("endpointsDrainedMs", waited.toMillis());
      // Shrunk like the fixed delay when the pod's deadline is shorter than the configured budget: the drain keeps
      // its share (a --grace-period=5 deletion once left the drain 200 ms after a full 2 s delay).
      Duration propagation = budget.scaled(settings.propagationDelay());
      LOG.info("endpoints drained: no EndpointSlice routes to this pod after " + waited.toMillis()
          + " ms; waiting " + propagation.toMillis() + " ms more for kube-proxy and ingresses");
      events.normal("EndpointsDrained", "no EndpointSlice of " + services + " routes to the pod after "
          + waited.toMillis() + " ms");
      budget.sleep(propagation, keep).onComplete(ar -> finish("drained", () -> { }));
    }

    /** Looks at the watch once the fixed delay (counted from the start of the wait) is up, or at once if it is. */
    private void armWatchCheck() {
      if (!watchCheckArmed.compareAndSet(false, true)) {
        return;
      }
      budget.sleep(fixedDelayLeft(), keep).onComplete(ar -> {
        watchCheckArmed.set(false);
        watchCheck();
      });
    }

    /**
     * Watching: the informer re-listed what it missed, so keep waiting for the drain (up to the bound). Not watching:
     * the endpoints cannot be seen, and the fixed delay is what a wait without them would have used; it is up.
     */
    private void watchCheck() {
      if (done.future().isComplete() || controlPlaneDrained.get()) {
        return;
      }
      if (informer.isWatching()) {
        Throwable was = interruption.getAndSet(null);
        if (was != null) {
          LOG.info("endpoint watch resumed after " + KubernetesApi.describe(was) + "; waiting for the drain past the"
              + " fixed delay");
        }
        check(); // a re-list that changed nothing notifies nobody
        return;
      }
      Throwable why = interruption.get();
      fallBack(why != null ? why : new KubernetesApi.KubernetesCallException("watch endpointslices",
          "not connected at the fixed delay (the client is reconnecting)", null), Duration.ZERO);
    }

    /** The endpoints cannot be watched at all: stop trying, and wait the rest of the fixed delay. */
    private void giveUp(Throwable cause) {
      stopInformer();
      fallBack(cause, fixedDelayLeft());
    }

    /** Warns (once per cause, see {@link FaultLog}) and ends the wait after {@code left}, unless drained first. */
    private void fallBack(Throwable cause, Duration left) {
      if (!fellBack.compareAndSet(false, true)) {
        return;
      }
      Duration delay = budget.scaled(fallbackDelay);
      faults.report(LOG, cause, "endpoint wait degraded to the fixed delay of " + delay.toMillis() + " ms: "
          + KubernetesApi.describe(cause));
      details.put("fallbackCause", KubernetesApi.describe(cause));
      budget.sleep(left, keep).onComplete(ar -> {
        if (!controlPlaneDrained.get()) {
          finish("fallback", () -> { });
        }
      });
    }

    private Duration fixedDelayLeft() {
      Duration left = budget.scaled(fallbackDelay).minus(elapsed());
      return left.isNegative() ? Duration.ZERO : left;
    }

    private void finish(String outcome, Runnable onWin) {
      if (done.future().isComplete()) {
        return;
      }
      details.put("outcome", outcome).put("waitedMs", elapsed().toMillis());
      if (done.tryComplete(PhaseResult.completed(details))) {
        onWin.run();
      }
    }

    private void stopInformer() {
      SharedIndexInformer<EndpointSlice> i = informer;
      if (i != null) {
        try {
          i.stop();
        } catch (RuntimeException ignored) {
          // already stopped
        }
      }
    }

    private Duration elapsed() {
      return Duration.ofNanos(System.nanoTime() - startNanos);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

}
