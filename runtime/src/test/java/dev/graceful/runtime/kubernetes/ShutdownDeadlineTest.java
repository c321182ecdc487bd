package dev.graceful.runtime.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ShutdownDeadlineTest {

  private static final Instant SIGNAL = Instant.parse("2026-11-21T10:00:00Z");
  private static final Duration CONFIGURED = Duration.ofSeconds(25);
  private static final Duration MARGIN = Duration.ofSeconds(1);

  @Test
  void deletionTimestampWins() {
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, Optional.of(SIGNAL.plusSeconds(30)), Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofSeconds(29), d.budget(), "longer than the configured 25 s: the pod's deadline is the truth");
    assertEquals("deletionTimestamp", d.source());
  }

  @Test
  void shortGracePeriodFromKubectlDeleteIsHonoured() {
    // kubectl delete pod --grace-period=5
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, Optional.of(SIGNAL.plusSeconds(5)), Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofSeconds(4), d.budget());
  }

  @Test
  void timeSpentInAPreStopHookIsAccountedFor() {
    // deletion at T with 30 s grace; a 10 s preStop hook ran before SIGTERM arrived
    Instant deletion = SIGNAL.minusSeconds(10).plusSeconds(30);
    assertEquals(Duration.ofSeconds(19), ShutdownDeadline.compute(SIGNAL, Optional.of(deletion), Optional.empty(), CONFIGURED, MARGIN).budget());
  }

  @Test
  void deadlineAlreadyPastGivesNothing() {
    assertEquals(Duration.ZERO, ShutdownDeadline.compute(SIGNAL, Optional.of(SIGNAL.minusSeconds(3)), Optional.empty(), CONFIGURED, MARGIN).budget());
  }

  @Test
  void withoutDeletionTheGracePeriodThenTheConfiguredTimeout() {
    ShutdownDeadline grace = ShutdownDeadline.compute(SIGNAL, Optional.empty(), Optional.of(Duration.ofSeconds(60)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofSeconds(59), grace.budget());
    assertEquals("terminationGracePeriodSeconds", grace.source());
    ShutdownDeadline configured = ShutdownDeadline.compute(SIGNAL, Optional.empty(), Optional.empty(), CONFIGURED, MARGIN);
    assertEquals(CONFIGURED, configured.budget());
    assertEquals("configured", configured.source());
  }
}
