package dev.graceful.runtime.shutdown;

import dev.graceful.runtime.lifecycle.ExitCode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a shutdown went: per-phase durations and facts, and whether anything was cut off.
 *
 * @param phases   phase name to its duration and details, in the order they ran
 * @param total    first signal to the end of the last phase
 * @param forced   true when a phase hit its cutoff or a second signal forced the shutdown
 */
public record ShutdownReport(Map<String, PhaseRecord> phases, Duration total, boolean forced) {

  public ShutdownReport {
    phases = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(phases));
  }

  /** One phase's duration and result. */
  public record PhaseRecord(Duration duration, PhaseResult result) {
  }

  public ExitCode exitCode() {
    return forced ? ExitCode.SHUTDOWN_FORCED : ExitCode.CLEAN;
  }

  /** A detail reported by a phase, e.g. {@code detail("drain", "requestsInFlightAtStart")}; null when absent. */
  public Object detail(String phase, String key) {
    PhaseRecord record = phases.get(phase);
    return record == null ? null : record.result().details().getValue(key);
  }

  /** The single structured line logged at the end of a shutdown. */
  public JsonObject toJson() {
    JsonObject perPhase = new JsonObject();
    phases.forEach((name, r) -> perPhase.put(name, new JsonObject()
        .put("ms", r.duration().toMillis())
        .put("cutOff", r.result().cutOff())
        .mergeIn(r.result().details())));
    Object inFlight = detail("drain", "requestsInFlightAtStart");
    Object forcedConnections = detail("drain", "connectionsForceClosed");
    return new JsonObject()
        .put("event", "shutdown-complete")
        .put("outcome", forced ? "forced" : "clean")
        .put("exitCode", exitCode().code())
        .put("totalMs", total.toMillis())
        .put("requestsInFlightAtDrainStart", inFlight == null ? 0 : inFlight)
        .put("connectionsForceClosed", forcedConnections == null ? 0 : forcedConnections)
        .put("phases", perPhase);
  }
}
