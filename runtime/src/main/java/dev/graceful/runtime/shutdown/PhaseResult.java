package dev.graceful.runtime.shutdown;

import io.vertx.core.json.JsonObject;

/**
 * What a phase reports.
 *
 * @param cutOff  true when the phase hit its cutoff with work still unfinished (requests, connections, verticles)
 * @param failed  true when work the phase ran reported a failure (a verticle's stop failed): not clean, not cut off
 * @param details facts for the summary line, e.g. requests in flight when the drain began
 */
public record PhaseResult(boolean cutOff, boolean failed, JsonObject details) {

  public PhaseResult(boolean cutOff, JsonObject details) {
    this(cutOff, false, details);
  }

  public static PhaseResult completed() {
    return new PhaseResult(false, new JsonObject());
  }

  public static PhaseResult completed(JsonObject details) {
    return new PhaseResult(false, details);
  }
}
