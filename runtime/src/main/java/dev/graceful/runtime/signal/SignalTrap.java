package dev.graceful.runtime.signal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.logging.Logger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Routes SIGTERM, SIGINT and SIGHUP to one callback instead of the JVM's default (run shutdown hooks, exit 128+n), so
 * the runtime decides when to exit and with which code. Every signal calls the callback: the first starts the
 * graceful shutdown, later ones force it. SIGHUP is here because a closing terminal, a supervisor's {@code kill -HUP}
 * or a shell's job control must not cut requests either. SIGQUIT stays the JVM's (a thread dump).
 * {@link #close()} puts the JVM's handlers back, for a host that goes on after the runtime.
 */
public final class SignalTrap implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(SignalTrap.class.getName());
  private static final List<String> SIGNALS = List.of("TERM", "INT", "HUP");

  private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();

  private SignalTrap() {
  }

  /**
   * @param onSignal called with {@link System#nanoTime()} as the handler began, taken before anything else: on
   *                 Kubernetes the kubelet's SIGKILL timer runs from the signal, so the time the log line takes (a
   *                 full stdout pipe blocks it) must count against the deadline
   */
  public static SignalTrap install(LongConsumer onSignal) {
    SignalTrap trap = new SignalTrap();
    for (String name : SIGNALS) {
      Signal signal = new Signal(name);
      try {
        trap.previous.put(signal, Signal.handle(signal, s -> {
          long receivedNanos = System.nanoTime();
          LOG.info("received SIG" + s.getName());
          onSignal.accept(receivedNanos);
        }));
      } catch (IllegalArgumentException notAvailable) {
        // The JVM reserves it (-Xrs) or the platform has no such signal: it keeps its default.
        LOG.fine("SIG" + name + " cannot be trapped here: " + notAvailable.getMessage());
      }
    }
    return trap;
  }

  /** Restores the handlers that were there before {@link #install}. */
  @Override
  public void close() {
    previous.forEach(Signal::handle);
    previous.clear();
  }
}
