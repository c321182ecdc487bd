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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Phase 2 (pre-drain wait), the Kubernetes kind: servers keep serving until every EndpointSlice of the pod's
 * Services shows it out of rotation, then for the propagation delay while kube-proxy and ingress controllers
 * catch up. Bounded by a share of the budget, so the drain always gets its time.
 *
 * <p>Faults never hang it: if the slices cannot be listed or watched (API down or slow, 403, malformed data), it
 * falls back to the fixed delay counted from the start of this phase, with one warning naming the cause. A watch
 * that closes mid-wait is re-listed and resumed by the informer.
 */
final class EndpointsDrainedWait implements ShutdownPhase {

  private static final Logger LOG = Logger.getLogger(EndpointsDrainedWait.class.getName());
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private final KubernetesApi api;
  private final Vertx timers;
  private final PodIdentity pod;
  private final PodFacts facts;
  private final KubernetesSettings settings;
  private final Duration fallbackDelay;
  private final Duration reserve;
  private final PodEvents events;
  private final FaultLog faults;

  /**
   * @param fallbackDelay the fixed delay used when the endpoints cannot be watched
   * @param reserve       budget that must remain for the phases after this one
   */
  EndpointsDrainedWait(KubernetesApi api, Vertx timers, PodIdentity pod, PodFacts facts, KubernetesSettings settings,
      Duration fallbackDelay, Duration reserve, PodEvents events, FaultLog faults) {
    this.api = api;
    this.timers = timers;
    this.pod = pod;
    this.facts = facts;
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
    JsonObject details = new JsonObject().put("kind", "endpoints").put("services", new JsonArray(facts.services()));
    if (facts.services().isEmpty()) {
      LOG.info("no Service routes to this pod: skipping the endpoint wait");
      return Future.succeededFuture(PhaseResult.completed(details.put("outcome", "no-service")));
    }
    return new Wait(budget, details).run();
  }

  /** One wait: its state lives here, not in the phase. */
  private final class Wait {

    private final ShutdownBudget budget;
    private final JsonObject details;
    private final long startNanos = System.nanoTime();
    private final Duration keep;
    private final Promise<PhaseResult> done = Promise.promise();
    private final AtomicBoolean controlPlaneDrained = new AtomicBoolean();
    private final AtomicBoolean fellBack = new AtomicBoolean();
    private SharedIndexInformer<EndpointSlice> informer;

    Wait(ShutdownBudget budget, JsonObject details) {
      this.budget = budget;
      this.details = details;
      this.keep = budget.scaled(reserve);
    }

    Future<PhaseResult> run() {
      Duration bound = min(Duration.ofNanos((long) (budget.total().toNanos() * settings.endpointWaitShare())),
          budget.remaining(keep));
      budget.sleep(bound, keep).onComplete(ar -> finish("bound", () -> LOG.warning(
          "endpoints still route to this pod after " + elapsed().toMillis() + " ms (the wait's bound); draining anyway")));
      try {
        informer = api.client().discovery().v1().endpointSlices().inNamespace(pod.namespace())
            .withLabelIn(SERVICE_NAME_LABEL, facts.services().toArray(String[]::new))
            .runnableInformer(0);
        informer.exceptionHandler((started, error) -> {
          if (started) {
            // The watch closed or failed after the first list: the informer re-lists and resumes; meanwhile
            // the fixed delay keeps the wait bounded should the API stay away.
            LOG.info("endpoint watch interrupted (" + KubernetesApi.describe(error) + "); re-listing");
            fallBack(error, false);
            return true;
          }
          return false;
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
        timers.setTimer(api.timeout().toMillis(), id -> synced.tryFail(
            new KubernetesApi.KubernetesCallException("watch endpointslices", KubernetesApi.NO_ANSWER + " " + api.timeout().toMillis() + " ms", null)));
        informer.start().whenComplete((v, error) -> {
          if (error == null) {
            synced.tryComplete();
          } else {
            synced.tryFail(error);
          }
        });
        synced.future().onSuccess(v -> check()).onFailure(error -> fallBack(error, true));
      } catch (RuntimeException e) {
        fallBack(e, true);
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
        fallBack(e, true);
        return;
      }
      if (!verdict.drained() || !controlPlaneDrained.compareAndSet(false, true)) {
        return;
      }
      Duration waited = elapsed();
      details.put("endpointsDrainedMs", waited.toMillis());
      LOG.info("endpoints drained: no EndpointSlice routes to this pod after " + waited.toMillis()
          + " ms; waiting " + settings.propagationDelay().toMillis() + " ms more for kube-proxy and ingresses");
      events.normal("EndpointsDrained", "no EndpointSlice of " + facts.services() + " routes to the pod after "
          + waited.toMillis() + " ms");
      budget.sleep(settings.propagationDelay(), keep).onComplete(ar -> finish("drained", () -> { }));
    }

    /** Uses the fixed delay, counted from the start of the wait; {@code giveUp} stops watching too. */
    private void fallBack(Throwable cause, boolean giveUp) {
      if (fellBack.compareAndSet(false, true)) {
        Duration delay = budget.scaled(fallbackDelay);
        faults.report(LOG, cause, "endpoint wait degraded to the fixed delay of " + delay.toMillis() + " ms: " + KubernetesApi.describe(cause));
        details.put("fallbackCause", KubernetesApi.describe(cause));
        Duration left = delay.minus(elapsed());
        budget.sleep(left.isNegative() ? Duration.ZERO : left, keep).onComplete(ar -> {
          if (!controlPlaneDrained.get()) {
            finish("fallback", () -> { });
          }
        });
      }
      if (giveUp) {
        stopInformer();
      }
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
