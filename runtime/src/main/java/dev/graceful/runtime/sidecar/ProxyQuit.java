package dev.graceful.runtime.sidecar;

import dev.graceful.runtime.config.SidecarSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Asks the proxy to exit as the runtime exits (Istio {@code POST :15020/quitquitquit}, Linkerd
 * {@code POST :4191/shutdown}), so a Job's pod completes: a classic sidecar otherwise runs on forever. One POST,
 * bounded; a failure is a warning, never a hang or another exit code.
 */
final class ProxyQuit {

  private static final Logger LOG = Logger.getLogger(ProxyQuit.class.getName());

  /** Whether to ask, and why (for the log line either way). */
  record Decision(boolean quit, String why) {
  }

  private final Vertx vertx;
  private final HttpClient client;
  private final Duration bound;

  ProxyQuit(Vertx vertx, HttpClient client, Duration bound) {
    this.vertx = vertx;
    this.client = client;
    this.bound = bound;
  }

  static Decision decide(SidecarSettings.Quit setting, Optional<MeshSidecar> proxy, PodSidecars pod, int exitCode) {
    if (setting == SidecarSettings.Quit.NEVER) {
      return new Decision(false, "GRACEFUL_SIDECAR_QUIT=never");
    }
    if (proxy.isEmpty()) {
      return new Decision(false, "no sidecar");
    }
    if (proxy.get().quitUrl().isEmpty()) {
      String why = switch (proxy.get().mesh()) {
        case LINKERD -> "its POST /shutdown is off (Linkerd 2.16+'s default): annotate the pod"
            + " config.linkerd.io/proxy-admin-shutdown: enabled, or set GRACEFUL_SIDECAR_QUIT_URL";
        case ISTIO -> "status.sidecar.istio.io/port=0 turned pilot-agent's status server (and /quitquitquit) off";
        case CUSTOM -> "set GRACEFUL_SIDECAR_QUIT_URL";
      };
      return new Decision(false, "no quit URL for " + proxy.get().container() + ": " + why);
    }
    if (setting == SidecarSettings.Quit.ALWAYS) {
      return new Decision(true, "GRACEFUL_SIDECAR_QUIT=always");
    }
    if (!pod.runsToCompletion()) {
      return new Decision(false, "the pod is not run to completion (restartPolicy " + pod.restartPolicy() + ", no Job owner)");
    }
    if (proxy.get().nativeSidecar()) {
      return new Decision(false, "native sidecar: the kubelet stops it once the app has exited");
    }
    // With OnFailure the kubelet restarts this container in the same pod: it will need its proxy again.
    if ("OnFailure".equals(pod.restartPolicy()) && exitCode != 0) {
      return new Decision(false, "exit code " + exitCode + " with restartPolicy OnFailure: the kubelet restarts the app beside the same proxy");
    }
    return new Decision(true, pod.jobOwner().map(j -> "the pod belongs to " + j).orElse("restartPolicy " + pod.restartPolicy()));
  }

  /** POSTs once; completes (never fails) once answered or after the bound. */
  Future<Void> quit(MeshSidecar proxy, String why) {
    URI url = proxy.quitUrl().orElseThrow();
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(bound.toMillis(), id -> {
      if (done.tryComplete()) {
        LOG.warning("sidecar " + proxy.container() + " did not answer POST " + url + " within " + bound.toMillis()
            + " ms; it may keep the pod running");
      }
    });
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url.toString())
        .setConnectTimeout(bound.toMillis()).setIdleTimeout(bound.toMillis());
    client.request(options)
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> resp.statusCode()))
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          if (!done.tryComplete()) {
            return;
          }
          if (ar.succeeded() && ar.result() / 100 == 2) {
            LOG.info("sidecar " + proxy.container() + " asked to exit (POST " + url + ": HTTP " + ar.result() + "; " + why + ")");
          } else {
            LOG.warning("sidecar " + proxy.container() + " not stopped: POST " + url + " answered "
                + (ar.succeeded() ? "HTTP " + ar.result() : String.valueOf(ar.cause()))
                + (proxy.mesh() == MeshSidecar.Mesh.LINKERD
                    ? " (Linkerd serves /shutdown only with the annotation config.linkerd.io/proxy-admin-shutdown: enabled)" : ""));
          }
        });
    return done.future();
  }
}
