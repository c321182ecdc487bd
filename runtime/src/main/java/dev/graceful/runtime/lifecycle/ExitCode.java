package dev.graceful.runtime.lifecycle;

/**
 * Process exit codes. Documented in docs/lifecycle.md; a test keeps both in step. None is 3, the JVM's own exit on OutOfMemoryError
 * with {@code -XX:+ExitOnOutOfMemoryError} (the image sets it), nor above 125, where shells and Kubernetes report
 * signals (128 + n).
 */
public enum ExitCode {
  /** Every server drained and every verticle stopped within the budget. */
  CLEAN(0),
  /** Something unexpected inside the runtime itself. */
  INTERNAL_ERROR(1),
  /** A setting was malformed or inconsistent; nothing was started. */
  BAD_CONFIGURATION(2),
  /** A server or verticle failed to start (port taken, exception, start timeout); the others were stopped. */
  START_FAILED(6),
  /** The shutdown deadline passed or a second signal arrived: work still in flight was cut off. */
  SHUTDOWN_FORCED(4),
  /** Every server drained in time, but a verticle's stop failed: its own work (a flush, a commit) may be lost. */
  STOP_FAILED(5);

  private final int code;

  ExitCode(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }
}
