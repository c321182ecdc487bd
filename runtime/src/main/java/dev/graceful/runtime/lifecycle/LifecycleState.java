package dev.graceful.runtime.lifecycle;

/** Where the runtime is in its life. Moves only forward. */
public enum LifecycleState {
  /** Servers and verticles are being deployed; readiness is DOWN. */
  STARTING,
  /** Everything is up and every readiness check passed; readiness is UP. */
  READY,
  /** A signal arrived: readiness is DOWN, servers still serve while load balancers catch up, then drain. */
  DRAINING,
  /** Servers are drained; verticles are being stopped. */
  STOPPING,
  /** Everything stopped (cleanly or not). */
  STOPPED,
  /** The start failed; whatever had started is being or has been stopped. */
  FAILED;

  /** Liveness: the process is healthy until it has finished stopping. */
  public boolean isLive() {
    return this != STOPPED && this != FAILED;
  }
}
