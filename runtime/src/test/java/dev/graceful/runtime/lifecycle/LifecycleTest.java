package dev.graceful.runtime.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LifecycleTest {

  @Test
  void movesForwardOnlyAndTellsListeners() {
    Lifecycle lifecycle = new Lifecycle();
    List<LifecycleState> seen = new ArrayList<>();
    lifecycle.onChange(seen::add);
    assertTrue(lifecycle.moveTo(LifecycleState.READY));
    assertTrue(lifecycle.moveTo(LifecycleState.DRAINING));
    assertFalse(lifecycle.moveTo(LifecycleState.READY), "a late ready must not undo a shutdown");
    assertFalse(lifecycle.moveTo(LifecycleState.DRAINING), "no transition to the same state");
    assertTrue(lifecycle.moveTo(LifecycleState.STOPPING));
    assertTrue(lifecycle.moveTo(LifecycleState.STOPPED));
    assertEquals(List.of(LifecycleState.READY, LifecycleState.DRAINING, LifecycleState.STOPPING, LifecycleState.STOPPED), seen);
  }

  @Test
  void failedOnlyFromStartingAndFinal() {
    Lifecycle ready = new Lifecycle();
    ready.moveTo(LifecycleState.READY);
    assertFalse(ready.moveTo(LifecycleState.FAILED));

    Lifecycle starting = new Lifecycle();
    assertTrue(starting.moveTo(LifecycleState.FAILED));
    assertFalse(starting.moveTo(LifecycleState.READY));
    assertFalse(starting.moveTo(LifecycleState.STOPPED));
    assertFalse(starting.state().isLive());
  }

  @Test
  void livenessStaysUpWhileDraining() {
    assertTrue(LifecycleState.DRAINING.isLive());
    assertTrue(LifecycleState.STOPPING.isLive());
    assertFalse(LifecycleState.STOPPED.isLive());
  }
}
