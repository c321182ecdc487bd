package dev.graceful.runtime.support;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP proxy in front of the runtime that ends the way a classic mesh sidecar does once its SIGTERM arrives
 * ({@link #sigterm()}), on a scaled clock so a test takes seconds:
 * <ul>
 *   <li>{@link #istio(Vertx, int, Duration)}: pilot-agent's default; inbound listeners drained (still accepting) and
 *       Envoy killed {@code terminationDrainDuration} later, every open connection with it;</li>
 *   <li>{@link #istioExitOnZeroConnections(Vertx, int, Duration, Duration)}: with EXIT_ON_ZERO_ACTIVE_CONNECTIONS, killed
 *       at the first poll (every {@code poll}) after {@code minimumDrain} that counts no open connection;</li>
 *   <li>{@link #linkerd(Vertx, int, Duration)}: linkerd2-proxy stops accepting at its SIGTERM, which
 *       proxy-wait-before-exit-seconds (a preStop sleep) delays by {@code waitBeforeExit}; open connections finish.</li>
 * </ul>
 */
public final class StandInMeshProxy implements AutoCloseable {

  private final Vertx vertx;
  private final NetServer server;
  private final NetClient client;
  private final int target;
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean accepting = new AtomicBoolean(true);
  private final Runnable onSigterm;
  private volatile long exitedAtNanos = -1;

  private StandInMeshProxy(Vertx vertx, int target, java.util.function.Function<StandInMeshProxy, Runnable> behaviour) {
    this.vertx = vertx;
    this.target = target;
    this.client = vertx.createNetClient();
    this.server = vertx.createNetServer().connectHandler(this::forward);
    Await.result(server.listen(0, "127.0.0.1"));
    this.onSigterm = behaviour.apply(this);
  }

  public static StandInMeshProxy istio(Vertx vertx, int target, Duration terminationDrainDuration) {
    return new StandInMeshProxy(vertx, target, p -> () -> p.after(terminationDrainDuration, p::exit));
  }

  public static StandInMeshProxy istioExitOnZeroConnections(Vertx vertx, int target, Duration minimumDrain, Duration poll) {
    return new StandInMeshProxy(vertx, target, p -> () -> p.after(minimumDrain, () -> p.exitWhenIdle(poll)));
  }

  public static StandInMeshProxy linkerd(Vertx vertx, int target, Duration waitBeforeExit) {
    return new StandInMeshProxy(vertx, target, p -> () -> p.after(waitBeforeExit, p::stopAccepting));
  }

  public int port() {
    return server.actualPort();
  }

  /** The pod terminates: the proxy gets its SIGTERM (with the app's, for a classic sidecar). */
  public void sigterm() {
    onSigterm.run();
  }

  /** Milliseconds from {@code since} (System.nanoTime) to the proxy's exit, or -1 while it runs. */
  public long exitedAfterMillis(long since) {
    long exited = exitedAtNanos;
    return exited < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(exited - since);
  }

  private void after(Duration delay, Runnable action) {
    if (delay.isZero()) {
      action.run();
    } else {
      vertx.setTimer(delay.toMillis(), id -> action.run());
    }
  }

  private void exitWhenIdle(Duration poll) {
    if (open.isEmpty()) {
      exit();
    } else {
      vertx.setTimer(poll.toMillis(), id -> exitWhenIdle(poll));
    }
  }

  private void stopAccepting() {
    accepting.set(false);
    server.close();
  }

  /** Killed: nothing is accepted, every open connection is cut. */
  private void exit() {
    stopAccepting();
    exitedAtNanos = System.nanoTime();
    open.forEach(NetSocket::close);
  }

  private void forward(NetSocket inbound) {
    if (!accepting.get()) {
      inbound.close();
      return;
    }
    inbound.pause();
    open.add(inbound);
    inbound.closeHandler(v -> open.remove(inbound));
    client.connect(target, "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        inbound.close();
        return;
      }
      NetSocket upstream = ar.result();
      open.add(upstream);
      upstream.closeHandler(v -> {
        open.remove(upstream);
        inbound.close();
      });
      inbound.closeHandler(v -> {
        open.remove(inbound);
        upstream.close();
      });
      inbound.pipeTo(upstream);
      upstream.pipeTo(inbound);
      inbound.resume();
    });
  }

  @Override
  public void close() {
    stopAccepting();
    open.forEach(NetSocket::close);
    client.close();
  }
}
