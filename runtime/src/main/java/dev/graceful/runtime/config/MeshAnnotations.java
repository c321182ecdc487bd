package dev.graceful.runtime.config;

import java.util.Map;

/**
 * What the pod's mesh-injection annotations say before any API call, when the downward API passes them in (the Helm
 * chart does): {@code POD_ANNOTATION_ISTIO_STATUS} from {@code sidecar.istio.io/status}, which Istio's injector
 * writes, and {@code POD_ANNOTATION_LINKERD_PROXY_VERSION} from {@code linkerd.io/proxy-version}, which Linkerd's
 * writes. Kubernetes sets such a variable to the empty string when the annotation is missing, so both present and
 * empty means no mesh injected a proxy: readiness then need not wait for the pod read that would look for one.
 *
 * @param passed   both variables are set (whatever their value)
 * @param injected either names an injection
 */
public record MeshAnnotations(boolean passed, boolean injected) {

  public static final String ISTIO_STATUS = "POD_ANNOTATION_ISTIO_STATUS";
  public static final String LINKERD_PROXY_VERSION = "POD_ANNOTATION_LINKERD_PROXY_VERSION";

  /** Nothing passed: a mesh may have injected a proxy. */
  public static MeshAnnotations unknown() {
    return new MeshAnnotations(false, false);
  }

  public static MeshAnnotations fromEnvironment(Map<String, String> env) {
    String istio = env.get(ISTIO_STATUS);
    String linkerd = env.get(LINKERD_PROXY_VERSION);
    boolean injected = (istio != null && !istio.isBlank()) || (linkerd != null && !linkerd.isBlank());
    return new MeshAnnotations(istio != null && linkerd != null, injected);
  }

  /** True when the annotations show, without reading the pod, that no mesh injected a proxy. */
  public boolean ruleOutInjectedProxy() {
    return passed && !injected;
  }
}
