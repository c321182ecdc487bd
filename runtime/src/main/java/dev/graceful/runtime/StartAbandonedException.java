package dev.graceful.runtime;

/** The start did not finish because a shutdown began (a signal, or {@code shutdown()}); not a failure of the start. */
public final class StartAbandonedException extends RuntimeException {

  public StartAbandonedException(String message) {
    super(message, null, false, false);
  }
}
