package dev.graceful.runtime.sidecar;

import dev.graceful.runtime.config.Setting;
import dev.graceful.runtime.config.SidecarSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Orders the runtime around a mesh proxy in its pod: at start, waits until the proxy reports ready and warns when a
 * classic sidecar would stop before the runtime's drain is over; at exit, asks the proxy to exit when the pod runs to
 * completion. Without a proxy (none detected, none configured) it does nothing.
 */
public final class SidecarSupport {

  private static final Logger LOG = Logger.getLogger(SidecarSupport.class.getName());
  /** Bound on the POST at exit: the proxy answers on loopback at once, or not at all. */
  static final Duration QUIT_BOUND = Duration.ofSeconds(2);

  private final SidecarSettings settings;
  private final Vertx vertx;
  private volatile HttpClient client;
  private volatile PodSidecars pod = PodSidecars.none();
  private volatile Optional<MeshSidecar> proxy = Optional.empty();

  /**
   * @param vertx a Vert.x whose event loop application traffic cannot hold up (the runtime's control instance)
   */
  public SidecarSupport(SidecarSettings settings, Vertx vertx) {
    this.settings = settings;
    this.vertx = vertx;
  }

  /**
   * True when readiness must wait for the pod read, because the read may find a proxy that readiness waits for: not
   * with GRACEFUL_SIDECAR=off, nor when the pod's annotations show no mesh injected one (and no proxy URL is
   * configured). Servers and verticles start either way; only READY waits.
   */
  public boolean readinessNeedsPodRead() {
    if (settings.mode() == SidecarSettings.Mode.OFF) {
      return false;
    }
    return settings.waitBeforeVerticles() || settings.readyUrl().isPresent() || !settings.meshAnnotations().ruleOutInjectedProxy();
  }

  /**
   * The proxy to work with: the first one the pod spec shows, with the URLs from the settings if given; or, with only a
   * ready URL configured, a proxy known by its URLs.
   */
  static Optional<MeshSidecar> resolve(SidecarSettings settings, PodSidecars pod) {
    if (settings.mode() == SidecarSettings.Mode.OFF) {
      return Optional.empty();
    }
    if (!pod.sidecars().isEmpty()) {
      return Optional.of(pod.sidecars().get(0).withUrls(settings.readyUrl(), settings.quitUrl()));
    }
    return settings.readyUrl().map(ready -> new MeshSidecar(MeshSidecar.Mesh.CUSTOM, "proxy", false, ready,
        settings.quitUrl(), MeshSidecar.AtTermination.unknown()));
  }

  /**
   * Logs what the pod spec showed, warns about a drain the proxy will not see through, and starts the readiness wait.
   *
   * @param found  what the own Pod spec says; empty outside Kubernetes or when the pod could not be read
   * @param budget the longest the runtime's shutdown may take (its budget, or the pod's grace period if shorter)
   * @return completes once the proxy is ready (at once without a proxy); fails with one line naming the URL and the
   *         timeout
   */
  public Future<Void> start(Optional<PodSidecars> found, Duration budget) {
    if (settings.mode() == SidecarSettings.Mode.OFF) {
      return Future.succeededFuture();
    }
    found.ifPresent(p -> {
      pod = p;
      p.notes().forEach(note -> LOG.warning("sidecar: " + note));
      if (p.sidecars().isEmpty()) {
        LOG.info("sidecar: no mesh proxy in the pod spec");
      } else {
        LOG.info("sidecar: found " + String.join(", ", p.sidecars().stream().map(MeshSidecar::describe).toList())
            + (p.runsToCompletion() ? "; the pod runs to completion (" + p.jobOwner().orElse("restartPolicy " + p.restartPolicy()) + ")" : ""));
      }
      if (p.sidecars().size() > 1) {
        LOG.warning("sidecar: more than one proxy; waiting for and stopping only " + p.sidecars().get(0).container());
      }
    });
    proxy = resolve(settings, pod);
    if (proxy.isEmpty()) {
      if (settings.quit() == SidecarSettings.Quit.ALWAYS) {
        LOG.warning("sidecar: GRACEFUL_SIDECAR_QUIT=always, but there is no proxy to ask: none detected and "
            + Setting.SIDECAR_READY_URL.key() + " unset");
      }
      return Future.succeededFuture();
    }
    MeshSidecar p = proxy.get();
    DrainWarning.check(p, budget).ifPresentOrElse(w -> LOG.warning("sidecar: " + w),
        () -> LOG.info("sidecar: " + DrainWarning.describe(p)));
    LOG.info("sidecar: waiting for " + p.container() + " to report ready at " + p.readyUrl() + " (up to "
        + settings.readyTimeout().toMillis() + " ms" + (settings.waitBeforeVerticles() ? ", before starting servers and verticles)" : ")"));
    return new ProxyReadinessWait(vertx, client(), p, settings.readyTimeout(), Setting.SIDECAR_READY_TIMEOUT.key()).await()
        .onSuccess(took -> LOG.info("sidecar: " + p.container() + " ready after " + took.toMillis() + " ms"))
        .mapEmpty();
  }

  /** True when servers and verticles must wait for the proxy, not only readiness. */
  public boolean waitBeforeVerticles() {
    return settings.waitBeforeVerticles();
  }

  /** The proxy worked with, once {@link #start} has run. */
  public Optional<MeshSidecar> proxy() {
    return proxy;
  }

  /**
   * The runtime is about to exit with {@code exitCode}: asks the proxy to exit when the pod runs to completion (or the
   * settings say always). Never fails; completes within {@link #QUIT_BOUND}.
   */
  public Future<Void> atExit(int exitCode) {
    Optional<MeshSidecar> p = proxy;
    ProxyQuit.Decision decision = ProxyQuit.decide(settings.quit(), p, pod, exitCode);
    if (!decision.quit()) {
      if (p.isPresent()) {
        LOG.info("sidecar: not asking " + p.get().container() + " to exit: " + decision.why());
      }
      return Future.succeededFuture();
    }
    return new ProxyQuit(vertx, client(), QUIT_BOUND).quit(p.get(), decision.why());
  }

  private HttpClient client() {
    if (client == null) {
      // Admin endpoints on loopback: fresh connections, nothing pooled across the start and the exit.
      client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setConnectTimeout(1000));
    }
    return client;
  }
}
