package dev.graceful.runtime.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Sets the pod condition named by {@code GRACEFUL_READINESS_GATE}. With the condition listed in the pod's
 * {@code readinessGates}, False takes the pod out of the endpoints at once instead of after the readiness probe's
 * period times its failure threshold.
 *
 * <p>A JSON Patch on {@code pods/status}, guarded by a {@code test} of the condition's position so a concurrent
 * change by the kubelet cannot make it overwrite the wrong condition (it is then read and tried once more).
 */
final class ReadinessGate {

  private final KubernetesApi api;
  private final PodIdentity pod;
  private final String conditionType;
  /** The last write: each waits for the one before, so a False at SIGTERM can never be overtaken by the True. */
  private Future<Void> last = Future.succeededFuture();

  ReadinessGate(KubernetesApi api, PodIdentity pod, String conditionType) {
    this.api = api;
    this.pod = pod;
    this.conditionType = conditionType;
  }

  String conditionType() {
    return conditionType;
  }

  synchronized Future<Void> set(boolean ready, String reason) {
    last = last.transform(ar -> write(ready, reason));
    return last;
  }

  private Future<Void> write(boolean ready, String reason) {
    return api.call("patch pod " + pod.namespace() + "/" + pod.name() + " condition " + conditionType, () -> {
      try {
        patch(ready, reason);
      } catch (KubernetesClientException e) {
        if (e.getCode() != 422) {
          throw e;
        }
        patch(ready, reason); // the test op failed: conditions moved under us; read again
      }
      return null;
    });
  }

  private void patch(boolean ready, String reason) {
    var resource = api.client().pods().inNamespace(pod.namespace()).withName(pod.name());
    Pod current = resource.get();
    if (current == null) {
      throw new IllegalStateException("pod " + pod.namespace() + "/" + pod.name() + " not found");
    }
    JsonObject condition = new JsonObject()
        .put("type", conditionType)
        .put("status", ready ? "True" : "False")
        .put("reason", reason)
        .put("lastTransitionTime", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    List<PodCondition> conditions = current.getStatus() == null ? null : current.getStatus().getConditions();
    JsonArray ops = new JsonArray();
    int index = conditions == null ? -1 : indexOf(conditions);
    if (conditions == null || conditions.isEmpty()) {
      ops.add(op("add", "/status/conditions", new JsonArray().add(condition)));
    } else if (index < 0) {
      ops.add(op("add", "/status/conditions/-", condition));
    } else {
      ops.add(op("test", "/status/conditions/" + index + "/type", conditionType));
      ops.add(op("replace", "/status/conditions/" + index, condition));
    }
    resource.subresource("status").patch(PatchContext.of(PatchType.JSON), ops.encode());
  }

  private int indexOf(List<PodCondition> conditions) {
    for (int i = 0; i < conditions.size(); i++) {
      if (conditionType.equals(conditions.get(i).getType())) {
        return i;
      }
    }
    return -1;
  }

  private static JsonObject op(String op, String path, Object value) {
    return new JsonObject().put("op", op).put("path", path).put("value", value);
  }
}
