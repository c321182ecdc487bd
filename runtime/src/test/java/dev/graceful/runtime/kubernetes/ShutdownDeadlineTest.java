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
  void withAPreStopHookTheDeletionTimestampWins() {
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, true, Optional.of(SIGNAL.plusSeconds(30)), Optional.of(Duration.ofSeconds(30)), false, Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofSeconds(29), d.budget(), "longer than the configured 25 s: the pod's deadline is the truth");
    assertEquals("deletionTimestamp", d.source());
  }

  @Test
  void shortGracePeriodFromKubectlDeleteIsHonoured() {
    // kubectl delete pod --grace-period=5
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, true, Optional.of(SIGNAL.plusSeconds(5)), Optional.of(Duration.ofSeconds(5)), false, Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofSeconds(4), d.budget());
  }

  @Test
  void timeSpentInAPreStopHookIsAccountedFor() {
    // deletion at T with 30 s grace; a 10 s preStop hook ran before SIGTERM arrived
    Instant deletion = SIGNAL.minusSeconds(10).plusSeconds(30);
    assertEquals(Duration.ofSeconds(19), ShutdownDeadline.compute(SIGNAL, true, Optional.of(deletion), Optional.of(Duration.ofSeconds(30)), false, Optional.empty(), CONFIGURED, MARGIN).budget());
  }

  @Test
  void withoutAPreStopHookTheGracePeriodRunsFromTheSignal() {
    // kubectl delete --grace-period=5; a busy kubelet sent SIGTERM 2.7 s later, so the timestamp is 2.3 s away. The
    // kubelet times SIGKILL 5 s from its SIGTERM: the timestamp would throw away 2.7 of the 5 s. Kept back: the
    // margin and the signal's way to the handler.
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, true, Optional.of(SIGNAL.plusMillis(2300)), Optional.of(Duration.ofSeconds(5)),
        true, Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofMillis(3750), d.budget());
    assertEquals("deletionGracePeriodSeconds", d.source());
    assertEquals(Optional.empty(), d.clockSkew());
  }

  @Test
  void aHookThatUsedUpTheGracePeriodStillLeavesTheKubeletsStopWindow() {
    // a preStop hook ran past the deletion timestamp: the kubelet still leaves 2 s after SIGTERM
    assertEquals(Duration.ofSeconds(1), ShutdownDeadline.compute(SIGNAL, true, Optional.of(SIGNAL.minusSeconds(1)),
        Optional.of(Duration.ofSeconds(30)), false, Optional.empty(), CONFIGURED, MARGIN).budget());
    // never more than the grace period itself
    assertEquals(Duration.ofMillis(500), ShutdownDeadline.compute(SIGNAL, true, Optional.of(SIGNAL.minusSeconds(1)),
        Optional.of(Duration.ofSeconds(1)), false, Optional.empty(), CONFIGURED, Duration.ofMillis(500)).budget());
  }

  @Test
  void deadlineAlreadyPastGivesNothing() {
    assertEquals(Duration.ZERO, ShutdownDeadline.compute(SIGNAL, true, Optional.of(SIGNAL.minusSeconds(3)), Optional.empty(), false, Optional.empty(), CONFIGURED, MARGIN).budget());
  }

  @Test
  void podNotBeingDeletedKeepsTheConfiguredTimeoutAsACap() {
    // A liveness restart or a node's graceful shutdown: no deletion; the kill may come sooner than the spec's 60 s.
    ShutdownDeadline longGrace = ShutdownDeadline.compute(SIGNAL, true, Optional.empty(), Optional.empty(), false, Optional.of(Duration.ofSeconds(60)), CONFIGURED, MARGIN);
    assertEquals(CONFIGURED, longGrace.budget());
    assertEquals("configured", longGrace.source());
    ShutdownDeadline shortGrace = ShutdownDeadline.compute(SIGNAL, true, Optional.empty(), Optional.empty(), false, Optional.of(Duration.ofSeconds(10)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofSeconds(9), shortGrace.budget());
    assertEquals("terminationGracePeriodSeconds", shortGrace.source());
    ShutdownDeadline configured = ShutdownDeadline.compute(SIGNAL, true, Optional.empty(), Optional.empty(), false, Optional.empty(), CONFIGURED, MARGIN);
    assertEquals(CONFIGURED, configured.budget());
  }

  @Test
  void podUnreadableAtTheSignalUsesTheGracePeriodLearnedAtStart() {
    ShutdownDeadline grace = ShutdownDeadline.compute(SIGNAL, false, Optional.empty(), Optional.empty(), false, Optional.of(Duration.ofSeconds(60)), CONFIGURED, MARGIN);
    // the same for a deletion whose timestamp is malformed and which names no grace period
    assertEquals(Duration.ofSeconds(59), grace.budget());
    assertEquals("terminationGracePeriodSeconds", grace.source());
  }

  @Test
  void aNodeClockBehindTheApiServersIsCappedByTheGracePeriodAndReported() {
    // deletion with 30 s grace; the node's clock is 4 s behind, so the timestamp looks 34 s away
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, true, Optional.of(SIGNAL.plusSeconds(34)), Optional.of(Duration.ofSeconds(30)), false,
        Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofMillis(28_750), d.budget(), "never past the grace period counted from the signal");
    assertEquals("deletionGracePeriodSeconds", d.source());
    assertEquals(Optional.of(Duration.ofSeconds(4)), d.clockSkew());
  }

  @Test
  void aNodeClockAheadOnlyShortensTheBudgetAndIsNotReported() {
    // the node's clock is 3 s ahead (or 3 s went to a preStop hook): the timestamp looks 27 s away
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, true, Optional.of(SIGNAL.plusSeconds(27)), Optional.of(Duration.ofSeconds(30)), false,
        Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofSeconds(26), d.budget());
    assertEquals("deletionTimestamp", d.source());
    assertEquals(Optional.empty(), d.clockSkew());
  }

  @Test
  void skewWithinASecondIsNoise() {
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, true, Optional.of(SIGNAL.plusMillis(30_600)), Optional.of(Duration.ofSeconds(30)), false,
        Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofMillis(28_750), d.budget());
    assertEquals(Optional.empty(), d.clockSkew());
  }

  @Test
  void withoutAReadableTimestampTheDeletionsGracePeriodCountsFromTheSignal() {
    // kubectl delete --grace-period=5 on a pod whose spec says 30 s
    ShutdownDeadline d = ShutdownDeadline.compute(SIGNAL, true, Optional.empty(), Optional.of(Duration.ofSeconds(5)), false,
        Optional.of(Duration.ofSeconds(30)), CONFIGURED, MARGIN);
    assertEquals(Duration.ofMillis(3750), d.budget());
    assertEquals("deletionGracePeriodSeconds", d.source());
  }

  @Test
  void aMalformedTimestampIsReportedAndTheGracePeriodKept() {
    Pod pod = new PodBuilder().withNewMetadata().withName("web-1").withDeletionTimestamp("yesterday at noon")
        .withDeletionGracePeriodSeconds(5L).endMetadata().build();
    OwnPod.Deletion deletion = OwnPod.deletion(pod, Optional.empty()).orElseThrow();
    assertEquals(Optional.empty(), deletion.timestamp());
    assertEquals(Optional.of(Duration.ofSeconds(5)), deletion.gracePeriod());
    assertEquals(Optional.of("malformed deletionTimestamp 'yesterday at noon'"), deletion.malformed());
  }

  @Test
  void aPodNotBeingDeletedHasNoDeletion() {
    assertEquals(Optional.empty(), OwnPod.deletion(new PodBuilder().withNewMetadata().withName("web-1").endMetadata().build(), Optional.empty()));
    Pod deleting = new PodBuilder().withNewMetadata().withDeletionTimestamp("2026-11-21T10:00:30Z").endMetadata().build();
    assertEquals(Optional.of(SIGNAL.plusSeconds(30)), OwnPod.deletion(deleting, Optional.empty()).orElseThrow().timestamp());
  }
}
