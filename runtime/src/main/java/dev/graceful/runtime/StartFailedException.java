package dev.graceful.runtime;

/** The start failed; the message names the server or verticle and the cause. Whatever did start was stopped. */
public final class StartFailedException extends RuntimeException {

  StartFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
