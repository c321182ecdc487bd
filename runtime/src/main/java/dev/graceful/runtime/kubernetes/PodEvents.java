package dev.graceful.runtime.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Kubernetes Events on the own Pod, so {@code kubectl describe pod} tells the lifecycle. Sending is best effort:
 * a failure is logged once (see {@link FaultLog}) and never delays the shutdown beyond {@link #flush()}'s bound.
 */
final class PodEvents {

  private static final Logger LOG = Logger.getLogger(PodEvents.class.getName());
  private static final String COMPONENT = "graceful-runtime";

  private final KubernetesApi api;
  private final PodIdentity pod;
  private final FaultLog faults;
  private final List<Future<?>> pending = new CopyOnWriteArrayList<>();
  private final AtomicBoolean warned = new AtomicBoolean();
  private volatile String uid;

  PodEvents(KubernetesApi api, PodIdentity pod, FaultLog faults) {
    this.api = api;
    this.pod = pod;
    this.faults = faults;
  }

  void podUid(String uid) {
    this.uid = uid;
  }

  void normal(String reason, String message) {
    send("Normal", reason, message);
  }

  void warning(String reason, String message) {
    send("Warning", reason, message);
  }

  private void send(String type, String reason, String message) {
    String now = Instant.now().toString();
    Event event = new EventBuilder()
        .withNewMetadata()
          .withName(pod.name() + "." + Long.toHexString(System.nanoTime()))
          .withNamespace(pod.namespace())
        .endMetadata()
        .withNewInvolvedObject()
          .withApiVersion("v1").withKind("Pod").withName(pod.name()).withNamespace(pod.namespace()).withUid(uid)
        .endInvolvedObject()
        .withType(type)
        .withReason(reason)
        .withMessage(message)
        .withNewSource().withComponent(COMPONENT).endSource()
        .withReportingComponent(COMPONENT)
        .withReportingInstance(pod.name())
        .withFirstTimestamp(now)
        .withLastTimestamp(now)
        .withCount(1)
        .build();
    Future<Event> sent = api.call("create event " + reason,
        () -> api.client().v1().events().inNamespace(pod.namespace()).resource(event).create());
    sent.onFailure(e -> {
      if (warned.compareAndSet(false, true)) {
        faults.report(LOG, e, "cannot record Kubernetes events on the pod (" + e.getMessage() + "); continuing without them");
      }
    });
    pending.add(sent);
  }

  /** Completes when every event sent so far has been written or failed; each is bounded by the API timeout. */
  Future<Void> flush() {
    return Future.join(List.copyOf(pending)).<Void>mapEmpty().otherwiseEmpty();
  }
}
