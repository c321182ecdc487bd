package dev.graceful.runtime.signal;

import java.util.List;
import java.util.logging.Logger;
import sun.misc.Signal;

/**
 * Routes SIGTERM and SIGINT to one callback instead of the JVM's default (run shutdown hooks, exit 143), so the
 * runtime decides when to exit and with which code. Every signal calls the callback: the first starts the
 * graceful shutdown, later ones force it.
 */
public final class SignalTrap {

  private static final Logger LOG = Logger.getLogger(SignalTrap.class.getName());
  private static final List<String> SIGNALS = List.of("TERM", "INT");

  private SignalTrap() {
  }

  public static void install(Runnable onSignal) {
    for (String name : SIGNALS) {
      Signal.handle(new Signal(name), signal -> {
        LOG.info("received SIG" + signal.getName());
        onSignal.run();
      });
    }
  }
}
