package dev.graceful.bench.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PerPodBoundTest {

  @Test
  void noFailureOverSixtyPodsBoundsTheRateAtFiveHundredthsPerPod() {
    RolloutResult.PathCount count = new RolloutResult.PathCount("service proxy", 1000, 1000, 0, 0);
    assertEquals("graceful-runtime, HTTP/2: 0 failed calls over 60 pods replaced: 0.000 per pod, 95% upper bound 0.050"
        + " (1000 issued = 1000 ok + 0 failed + 0 unfinished)", RolloutScenario.perPodBound("graceful-runtime", "HTTP/2", count, 60));
  }

  @Test
  void unfinishedCallsCountAsFailed() {
    RolloutResult.PathCount count = new RolloutResult.PathCount("L7 hop", 100, 97, 2, 1);
    assertEquals(3, count.lost());
    assertEquals("p, gRPC: 3 failed calls over 6 pods replaced: 0.500 per pod, 95% upper bound 1.292"
        + " (100 issued = 97 ok + 2 failed + 1 unfinished)", RolloutScenario.perPodBound("p", "gRPC", count, 6));
  }

  @Test
  void withoutAPodReplacedThereIsNoRate() {
    RolloutResult.PathCount count = new RolloutResult.PathCount("service proxy", 5, 5, 0, 0);
    assertEquals("p, HTTP/1.1: 0 failed calls, no pod replaced under load (5 issued = 5 ok + 0 failed + 0 unfinished)",
        RolloutScenario.perPodBound("p", "HTTP/1.1", count, 0));
  }
}
