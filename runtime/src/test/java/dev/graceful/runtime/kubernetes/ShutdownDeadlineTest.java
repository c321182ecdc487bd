package dev.graceful.runtime.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
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
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, Optional.of(SIGNAL.plusSeconds(30)), Optional.of(Duration.ofSeconds(30)), Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofSeconds(29), d.budget(), "longer than the configured 25 s: the pod's deadline is the truth");
    assertEquals("deletionTimestamp", d.source());
  }

  @Test
  void shortGracePeriodFromKubectlDeleteIsHonoured() {
    // kubectl delete pod --grace-period=5
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, Optional.of(SIGNAL.plusSeconds(5)), Optional.of(Duration.ofSeconds(5)), Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofSeconds(4), d.budget());
  }

  @Test
  void timeSpentInAPreStopHookIsAccountedFor() {
    // deletion at T with 30 s grace; a 10 s preStop hook ran before SIGTERM arrived
    Instant deletion = SIGNAL.minusSeconds(10).plusSeconds(30);
    assertEquals(Duration.ofSeconds(19), ShutdownDeadline.compute(SIGNAL, Optional.of(deletion), Optional.of(Duration.ofSeconds(30)), Optional.empty(), CONFIGURED, MARGIN).budget());
  }

  @Test
  void deadlineAlreadyPastGivesNothing() {
    assertEquals(Duration.ZERO, ShutdownDeadline.compute(SIGNAL, Optional.of(SIGNAL.minusSeconds(3)), Optional.empty(), Optional.empty(), CONFIGURED, MARGIN).budget());
  }

  @Test
  void withoutDeletionTheGracePeriodThenTheConfiguredTimeout() {
    ShutdownDeadline grace = ShutdownDeadline.compute(SIGNAL, Optional.empty(), Optional.empty(), Optional.of(Duration.ofSeconds(60)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofSeconds(59), grace.budget());
    assertEquals("terminationGracePeriodSeconds", grace.source());
    ShutdownDeadline configured = ShutdownDeadline.compute(SIGNAL, Optional.empty(), Optional.empty(), Optional.empty(), CONFIGURED, MARGIN);
    assertEquals(CONFIGURED, configured.budget());
    assertEquals("configured", configured.source());
  }

  @Test
  void withoutAReadableTimestampTheDeletionsGracePeriodCountsFromTheSignal() {
    // kubectl delete --grace-period=5 on a pod whose spec says 30 s
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, Optional.empty(), Optional.of(Duration.ofSeconds(5)),
        Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofSeconds(4), d.budget());
    assertEquals("deletionGracePeriodSeconds", d.source());
  }

  @Test
  void aMalformedTimestampIsReportedAndTheGracePeriodKept() {
    Pod pod = new PodBuilder().withNewMetadata().withName("web-1").withDeletionTimestamp("yesterday at noon")
        .withDeletionGracePeriodSeconds(5L).endMetadata().build();
    OwnPod.Deletion deletion = OwnPod.deletion(pod).orElseThrow();
    assertEquals(Optional.empty(), deletion.timestamp());
    assertEquals(Optional.of(Duration.ofSeconds(5)), deletion.gracePeriod());
    assertEquals(Optional.of("malformed deletionTimestamp 'yesterday at noon'"), deletion.malformed());
  }

  @Test
  void aPodNotBeingDeletedHasNoDeletion() {
    assertEquals(Optional.empty(), OwnPod.deletion(new PodBuilder().withNewMetadata().withName("web-1").endMetadata().build()));
    Pod deleting = new PodBuilder().withNewMetadata().withDeletionTimestamp("2026-11-21T10:00:30Z").endMetadata().build();
    assertEquals(Optional.of(SIGNAL.plusSeconds(30)), OwnPod.deletion(deleting).orElseThrow().timestamp());
  }
}
