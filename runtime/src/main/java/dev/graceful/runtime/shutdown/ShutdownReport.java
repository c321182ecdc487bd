package dev.graceful.runtime.shutdown;

import dev.graceful.runtime.lifecycle.ExitCode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a shutdown went: per-phase durations and facts, and whether anything was cut off or failed.
 *
 * @param phases   phase name to its duration and details, in the order they ran
 * @param total    first signal to the end of the last phase
 * @param forced   true when a phase hit its cutoff or a second signal forced the shutdown
 */
public record ShutdownReport(Map<String, PhaseRecord> phases, Duration total, boolean forced) {

  /** A verticle's stop failed (and nothing was forced, which takes precedence). */
  public boolean stopFailed() {
    return phases.values().stream().anyMatch(r -> r.result().failed());
  }

  /** {@code clean}, {@code forced} or {@code stop-failed}. */
  public String outcome() {
    return forced ? "forced" : stopFailed() ? "stop-failed" : "clean";
  }

  public ShutdownReport {
    phases = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(phases));
  }

  /** One phase's duration and result. */
  public record PhaseRecord(Duration duration, PhaseResult result) {
  }

  public ExitCode exitCode() {
    return forced ? ExitCode.SHUTDOWN_FORCED : stopFailed() ? ExitCode.STOP_FAILED : ExitCode.CLEAN;
  }

  /** A detail reported by a phase, e.g. {@code detail("drain", "requestsInFlightAtStart")}; null when absent. */
  public Object detail(String phase, String key) {
    PhaseRecord record = phases.get(phase);
    return record == null ? null : record.result().details().getValue(key);
  }

  /** The single structured line logged at the end of a shutdown. */
  public JsonObject toJson() {
    JsonObject perPhase = new JsonObject();
    phases.forEach((name, r) -> {
      JsonObject phase = new JsonObject().put("ms", r.duration().toMillis()).put("cutOff", r.result().cutOff());
      if (r.result().failed()) {
        phase.put("failed", true);
      }
      perPhase.put(name, phase.mergeIn(r.result().details()));
    });
    Object inFlight = detail("drain", "requestsInFlightAtStart");
    Object forcedConnections = detail("drain", "connectionsForceClosed");
    return new JsonObject()
        .put("event", "shutdown-complete")
        .put("outcome", outcome())
        .put("exitCode", exitCode().code())
        .put("totalMs", total.toMillis())
        .put("requestsInFlightAtDrainStart", inFlight == null ? 0 : inFlight)
        .put("connectionsForceClosed", forcedConnections == null ? 0 : forcedConnections)
        .put("phases", perPhase);
  }
}
