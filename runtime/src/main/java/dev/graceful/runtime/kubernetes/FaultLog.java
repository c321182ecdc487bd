package dev.graceful.runtime.kubernetes;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * One warning line per cause. A missing RBAC rule or an API outage at SIGTERM fails every phase that calls the API;
 * the first report of a cause warns, later ones log at INFO, so the one WARNING names the cause and the rest still
 * say what each phase fell back to. One per {@link KubernetesIntegration}, shared by its parts.
 */
final class FaultLog {

  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  /** Logs {@code message} (which names {@code cause}) on {@code log}: WARNING the first time its kind is seen. */
  void report(Logger log, Throwable cause, String message) {
    report(log, KubernetesApi.reason(cause), message);
  }

  /** @param reason why it failed, without which call failed: {@code 403 Forbidden: ...}, {@code API server ...} */
  void report(Logger log, String reason, String message) {
    if (warned.add(kind(reason))) {
      log.warning(message);
    } else {
      log.info(message + " (same cause as above)");
    }
  }

  /** Causes that are one fault whichever call met them: any 403, any outage; else the reason itself. */
  static String kind(String reason) {
    if (reason.startsWith("403")) {
      return "forbidden";
    }
    if (reason.startsWith(KubernetesApi.UNREACHABLE) || reason.startsWith(KubernetesApi.TOO_SLOW)
        || reason.startsWith(KubernetesApi.NO_ANSWER)) {
      return "unreachable";
    }
    return reason;
  }
}
