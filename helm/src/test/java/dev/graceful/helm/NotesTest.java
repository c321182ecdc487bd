package dev.graceful.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** NOTES.txt, rendered by a client-only dry-run install (helm template does not render it). */
class NotesTest {

  @Test
  void withoutTheHpaTheNotesGiveTheReplicaCount() {
    String notes = Chart.notes("shop", Map.of("replicaCount", 4));
    assertEquals("graceful-runtime runs on Graceful Runtime (4 replicas, grace period 30 s).", notes.lines().findFirst().orElseThrow(), notes);
    assertTrue(notes.contains("HTTP: http://graceful-runtime.shop.svc:80\n"), notes);
    assertTrue(notes.contains("gRPC: graceful-runtime.shop.svc:9090 (h2c)\n"), notes);
    assertTrue(notes.contains("kubectl -n shop rollout restart deployment/graceful-runtime\n"), notes);
    assertFalse(notes.contains("Readiness gate"), notes);
  }

  @Test
  void withTheHpaTheNotesGiveItsBoundsNotTheIgnoredReplicaCount() {
    String notes = Chart.notes("shop", Map.of("replicaCount", 7, "autoscaling.enabled", true, "autoscaling.minReplicas", 3,
        "autoscaling.maxReplicas", 12, "autoscaling.targetCPUUtilizationPercentage", 70, "terminationGracePeriodSeconds", 45));
    assertEquals("graceful-runtime runs on Graceful Runtime (3 to 12 replicas, scaled by a HorizontalPodAutoscaler at 70% CPU,"
        + " grace period 45 s).", notes.lines().findFirst().orElseThrow(), notes);
    assertFalse(notes.contains("7 replicas"), notes);
  }

  @Test
  void theReadinessGateIsMentionedWhenOn() {
    String notes = Chart.notes("default", Map.of("readinessGate.enabled", true));
    assertTrue(notes.contains("Readiness gate graceful.dev/serving is on: pods leave the endpoints the moment SIGTERM arrives."), notes);
  }
}
