package dev.graceful.runtime.lifecycle;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The runtime's state machine. Transitions only go forward (in enum order), so a late
 * "ready" can never undo a shutdown that has begun. Safe to read from any thread.
 */
public final class Lifecycle {

  private final AtomicReference<LifecycleState> state = new AtomicReference<>(LifecycleState.STARTING);
  private final List<Consumer<LifecycleState>> listeners = new CopyOnWriteArrayList<>();

  public LifecycleState state() {
    return state.get();
  }

  /**
   * Moves to {@code next} if that is forward from the current state.
   *
   * @return true if this call made the transition
   */
  public boolean moveTo(LifecycleState next) {
    while (true) {
      LifecycleState current = state.get();
      if (!allowed(current, next)) {
        return false;
      }
      if (state.compareAndSet(current, next)) {
        listeners.forEach(l -> l.accept(next));
        return true;
      }
    }
  }

  private static boolean allowed(LifecycleState from, LifecycleState to) {
    if (from == LifecycleState.FAILED || from == LifecycleState.STOPPED) {
      // A failed start ends in FAILED; nothing comes after either.
      return false;
    }
    if (to == LifecycleState.FAILED) {
      return from == LifecycleState.STARTING;
    }
    return to.ordinal() > from.ordinal();
  }

  public void onChange(Consumer<LifecycleState> listener) {
    listeners.add(listener);
  }

  public void removeListener(Consumer<LifecycleState> listener) {
    listeners.remove(listener);
  }

  public boolean isReady() {
    return state() == LifecycleState.READY;
  }
}
