package dev.graceful.runtime.sidecar;

import dev.graceful.runtime.sidecar.MeshSidecar.AtTermination;
import dev.graceful.runtime.sidecar.MeshSidecar.Mesh;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds mesh proxies in a Pod spec as Istio's and Linkerd's injectors write it: by container name
 * ({@code istio-proxy}, {@code linkerd-proxy}) or image ({@code .../istio/proxyv2}, {@code .../linkerd/proxy}), as a
 * classic sidecar or a native one (an init container with {@code restartPolicy: Always}), with the meshes' annotations
 * for what the containers do not say. A pure function of the Pod.
 */
public final class SidecarDetector {

  static final String ISTIO_STATUS = "sidecar.istio.io/status";
  static final String ISTIO_INJECT = "sidecar.istio.io/inject";
  static final String ISTIO_PROXY_CONFIG = "proxy.istio.io/config";
  static final String ISTIO_STATUS_PORT = "status.sidecar.istio.io/port";
  static final String LINKERD_VERSION = "linkerd.io/proxy-version";
  static final String LINKERD_INJECT = "linkerd.io/inject";
  static final String LINKERD_WAIT_BEFORE_EXIT = "config.alpha.linkerd.io/proxy-wait-before-exit-seconds";
  static final String LINKERD_ADMIN_SHUTDOWN = "config.linkerd.io/proxy-admin-shutdown";
  static final String LINKERD_SHUTDOWN_ENV = "LINKERD2_PROXY_SHUTDOWN_ENDPOINT_ENABLED";

  // Istio (pilot-agent, pkg/envoy/agent.go terminate()): at SIGTERM it drains Envoy's inbound listeners
  // (drain_listeners?inboundonly&graceful: new connections still accepted, responses ask clients to go away) and
  // kills Envoy terminationDrainDuration later (default 5 s, pkg/config/mesh/mesh.go), outbound listeners included.
  // With EXIT_ON_ZERO_ACTIVE_CONNECTIONS it ignores terminationDrainDuration: it sleeps MINIMUM_DRAIN_DURATION
  // (default 5 s) and then kills Envoy at the first once-a-second poll that counts no active connection, inbound and
  // outbound together. Readiness is on 15021, the status server (quitquitquit, drain) on 15020 unless the annotation
  // moves it; port 0 turns the status server off.
  static final int ISTIO_READY_PORT = 15021;
  static final int ISTIO_STATUS_PORT_DEFAULT = 15020;
  static final Duration ISTIO_DRAIN_DEFAULT = Duration.ofSeconds(5);
  static final Duration ISTIO_MINIMUM_DRAIN_DEFAULT = Duration.ofSeconds(5);
  // Linkerd (linkerd2-proxy src/main.rs, linkerd/app/src/lib.rs): at SIGTERM the proxy stops accepting inbound and
  // outbound connections at once and lets the open ones finish. proxy-wait-before-exit-seconds is a preStop sleep on
  // the proxy container, which delays that SIGTERM (classic sidecars only). The admin server (4191) serves /ready, and
  // POST /shutdown only where enabled: off by default since Linkerd 2.16 (linkerd/linkerd2#12705).
  static final int LINKERD_ADMIN_PORT = 4191;

  private static final Pattern GO_DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  private SidecarDetector() {
  }

  public static PodSidecars detect(Pod pod) {
    Map<String, String> annotations = pod.getMetadata() == null || pod.getMetadata().getAnnotations() == null
        ? Map.of() : pod.getMetadata().getAnnotations();
    Map<String, String> labels = pod.getMetadata() == null || pod.getMetadata().getLabels() == null
        ? Map.of() : pod.getMetadata().getLabels();
    List<MeshSidecar> found = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Set<String> istioNames = istioInjected(annotations.get(ISTIO_STATUS), notes);
    if (pod.getSpec() != null) {
      List<Container> init = pod.getSpec().getInitContainers() == null ? List.of() : pod.getSpec().getInitContainers();
      for (Container c : init) {
        // Only a restartable init container keeps running; istio-init and linkerd-init run once and are not proxies.
        if ("Always".equals(c.getRestartPolicy())) {
          classify(c, true, istioNames, annotations, notes).ifPresent(found::add);
        }
      }
      List<Container> containers = pod.getSpec().getContainers() == null ? List.of() : pod.getSpec().getContainers();
      for (Container c : containers) {
        classify(c, false, istioNames, annotations, notes).ifPresent(found::add);
      }
    }
    boolean istio = found.stream().anyMatch(s -> s.mesh() == Mesh.ISTIO);
    boolean linkerd = found.stream().anyMatch(s -> s.mesh() == Mesh.LINKERD);
    if (annotations.containsKey(ISTIO_STATUS) && !istio) {
      notes.add(ISTIO_STATUS + " says Istio injected this pod, but no istio-proxy container is in its spec");
    } else if (!annotations.containsKey(ISTIO_STATUS) && !istio && "true".equals(labels.get(ISTIO_INJECT))) {
      notes.add("label " + ISTIO_INJECT + "=true but Istio did not inject a proxy (is istiod's injection webhook running?)");
    } else if (!annotations.containsKey(ISTIO_STATUS) && !istio && "true".equals(annotations.get(ISTIO_INJECT))) {
      notes.add("annotation " + ISTIO_INJECT + "=true alone does not inject Istio's proxy: its webhook selects pods by the"
          + " label of that name (or a namespace label istio-injection=enabled or istio.io/rev); set the label");
    }
    if (annotations.containsKey(LINKERD_VERSION) && !linkerd) {
      notes.add(LINKERD_VERSION + " says Linkerd injected this pod, but no linkerd-proxy container is in its spec");
    } else if (!annotations.containsKey(LINKERD_VERSION) && !linkerd && "enabled".equals(annotations.get(LINKERD_INJECT))) {
      notes.add(LINKERD_INJECT + "=enabled but Linkerd did not inject a proxy (is the linkerd proxy-injector running?)");
    }
    Optional<String> job = pod.getMetadata() == null || pod.getMetadata().getOwnerReferences() == null ? Optional.empty()
        : pod.getMetadata().getOwnerReferences().stream().filter(o -> "Job".equals(o.getKind()))
            .map(OwnerReference::getName).findFirst().map(name -> "Job " + name);
    String restartPolicy = pod.getSpec() == null || pod.getSpec().getRestartPolicy() == null ? "Always" : pod.getSpec().getRestartPolicy();
    return new PodSidecars(found, notes, job, restartPolicy);
  }

  /** Container names the Istio status annotation lists (it is JSON written by the injector). */
  private static Set<String> istioInjected(String status, List<String> notes) {
    Set<String> names = new HashSet<>();
    names.add("istio-proxy");
    if (status == null) {
      return names;
    }
    try {
      Map<?, ?> parsed = Serialization.unmarshal(status, Map.class);
      for (String key : List.of("containers", "initContainers")) {
        if (parsed.get(key) instanceof List<?> list) {
          list.forEach(n -> names.add(String.valueOf(n)));
        }
      }
    } catch (RuntimeException e) {
      notes.add(ISTIO_STATUS + " is not the JSON Istio writes: " + e.getMessage());
    }
    names.remove("istio-init");
    names.remove("istio-validation");
    return names;
  }

  private static Optional<MeshSidecar> classify(Container c, boolean nativeSidecar, Set<String> istioNames,
      Map<String, String> annotations, List<String> notes) {
    String image = repository(c.getImage());
    String last = image.substring(image.lastIndexOf('/') + 1);
    if (istioNames.contains(c.getName()) || last.equals("proxyv2")) {
      return Optional.of(istio(c, nativeSidecar, annotations, notes));
    }
    if ("linkerd-proxy".equals(c.getName()) || (last.equals("proxy") && (image.contains("linkerd") || image.contains("l5d.io")))) {
      return Optional.of(linkerd(c, nativeSidecar, annotations, notes));
    }
    return Optional.empty();
  }

  private static MeshSidecar istio(Container c, boolean nativeSidecar, Map<String, String> annotations, List<String> notes) {
    URI ready = probeUrl(c, nativeSidecar).orElse(URI.create("http://127.0.0.1:" + ISTIO_READY_PORT + "/healthz/ready"));
    int statusPort = intValue(annotations.get(ISTIO_STATUS_PORT)).orElse(ISTIO_STATUS_PORT_DEFAULT);
    Optional<URI> quit = Optional.empty();
    if (statusPort > 0) {
      quit = Optional.of(URI.create("http://127.0.0.1:" + statusPort + "/quitquitquit"));
    } else {
      // pilot-agent starts its status server only for a port above 0 (pilot/cmd/pilot-agent/app/cmd.go).
      notes.add(ISTIO_STATUS_PORT + "=" + annotations.get(ISTIO_STATUS_PORT) + " turns pilot-agent's status server off:"
          + " no /quitquitquit, no readiness endpoint on 15021 and, for a native sidecar, a preStop drain that fails");
    }
    AtTermination atTermination = nativeSidecar
        ? AtTermination.afterApp(true, "a native sidecar, stopped after the app; the injector's preStop"
            + " (pilot-agent request POST drain) drains inbound connections when the pod starts terminating")
        : istioClassic(c, annotations);
    return new MeshSidecar(Mesh.ISTIO, c.getName(), nativeSidecar, ready, quit, atTermination);
  }

  /**
   * A classic Istio sidecar gets SIGTERM with the app. With EXIT_ON_ZERO_ACTIVE_CONNECTIONS, pilot-agent keeps Envoy for
   * MINIMUM_DRAIN_DURATION and then only until a second with no connection; otherwise for terminationDrainDuration: from
   * the pod's annotation, else the merged PROXY_CONFIG the injector writes into the container (mesh-wide defaults
   * included), else Istio's default of 5 s.
   */
  private static AtTermination istioClassic(Container c, Map<String, String> annotations) {
    Map<?, ?> annotated = yamlOrJson(annotations.get(ISTIO_PROXY_CONFIG));
    Map<?, ?> merged = yamlOrJson(env(c, "PROXY_CONFIG").orElse(null));
    Optional<String> exitOnZero = proxySetting(c, annotated, merged, "EXIT_ON_ZERO_ACTIVE_CONNECTIONS");
    if (exitOnZero.map("true"::equalsIgnoreCase).orElse(false)) {
      Optional<Duration> minimum = proxySetting(c, annotated, merged, "MINIMUM_DRAIN_DURATION").flatMap(SidecarDetector::goDuration);
      return AtTermination.untilIdle(minimum.orElse(ISTIO_MINIMUM_DRAIN_DEFAULT),
          "EXIT_ON_ZERO_ACTIVE_CONNECTIONS, after MINIMUM_DRAIN_DURATION" + (minimum.isPresent() ? "" : " (default 5s)")
              + "; terminationDrainDuration is ignored with it");
    }
    Optional<Duration> fromAnnotation = goDuration(annotated.get("terminationDrainDuration"));
    if (fromAnnotation.isPresent()) {
      return AtTermination.fixed(fromAnnotation.get(), true, ISTIO_PROXY_CONFIG + " terminationDrainDuration");
    }
    Optional<Duration> fromMesh = goDuration(merged.get("terminationDrainDuration"));
    if (fromMesh.isPresent()) {
      return AtTermination.fixed(fromMesh.get(), true, "terminationDrainDuration in the proxy's PROXY_CONFIG");
    }
    return AtTermination.fixed(ISTIO_DRAIN_DEFAULT, true, "Istio's default terminationDrainDuration");
  }

  /** A pilot-agent setting: the container's env, else proxyMetadata of the pod's annotation, else of the mesh's config. */
  private static Optional<String> proxySetting(Container c, Map<?, ?> annotated, Map<?, ?> merged, String name) {
    return env(c, name)
        .or(() -> Optional.ofNullable(proxyMetadata(annotated).get(name)).map(String::valueOf))
        .or(() -> Optional.ofNullable(proxyMetadata(merged).get(name)).map(String::valueOf));
  }

  private static MeshSidecar linkerd(Container c, boolean nativeSidecar, Map<String, String> annotations, List<String> notes) {
    int admin = port(c, "linkerd-admin").orElse(LINKERD_ADMIN_PORT);
    URI ready = probeUrl(c, nativeSidecar).orElse(URI.create("http://127.0.0.1:" + admin + "/ready"));
    Optional<URI> quit = linkerdShutdownEnabled(c, annotations)
        ? Optional.of(URI.create("http://127.0.0.1:" + admin + "/shutdown")) : Optional.empty();
    AtTermination atTermination;
    if (nativeSidecar) {
      // The injector renders no preStop for a native proxy; the kubelet sends SIGTERM once the app has exited.
      atTermination = AtTermination.afterApp(false, "a native sidecar, stopped after the app");
    } else {
      // The injector renders the annotation as the proxy's preStop sleep: prefer what the container really has.
      atTermination = preStopSleep(c).map(d -> AtTermination.fixed(d, false, "the proxy's preStop sleep ("
              + LINKERD_WAIT_BEFORE_EXIT + ")"))
          .or(() -> intValue(annotations.get(LINKERD_WAIT_BEFORE_EXIT))
              .map(s -> AtTermination.fixed(Duration.ofSeconds(s), false, LINKERD_WAIT_BEFORE_EXIT)))
          .orElse(AtTermination.fixed(Duration.ZERO, false, "Linkerd's classic proxy stops accepting in both directions at SIGTERM"));
    }
    return new MeshSidecar(Mesh.LINKERD, c.getName(), nativeSidecar, ready, quit, atTermination);
  }

  /**
   * POST /shutdown works where the proxy's env enables it (what {@code proxy.enableShutdownEndpoint} or the
   * {@code config.linkerd.io/proxy-admin-shutdown} annotation render); a proxy without that variable predates Linkerd
   * 2.16, whose endpoint was always on.
   */
  private static boolean linkerdShutdownEnabled(Container c, Map<String, String> annotations) {
    Optional<String> fromEnv = env(c, LINKERD_SHUTDOWN_ENV);
    if (fromEnv.isPresent()) {
      return "true".equalsIgnoreCase(fromEnv.get().trim());
    }
    String annotation = annotations.get(LINKERD_ADMIN_SHUTDOWN);
    return annotation == null || "enabled".equalsIgnoreCase(annotation.trim());
  }

  /** The proxy's own HTTP probe (startup probe first for a native sidecar), asked on loopback. */
  private static Optional<URI> probeUrl(Container c, boolean nativeSidecar) {
    List<Probe> probes = new ArrayList<>();
    if (nativeSidecar && c.getStartupProbe() != null) {
      probes.add(c.getStartupProbe());
    }
    if (c.getReadinessProbe() != null) {
      probes.add(c.getReadinessProbe());
    }
    for (Probe probe : probes) {
      HTTPGetAction get = probe.getHttpGet();
      if (get == null || get.getPath() == null || get.getPort() == null) {
        continue;
      }
      Optional<Integer> port = portOf(c, get.getPort());
      if (port.isPresent() && (get.getScheme() == null || "HTTP".equalsIgnoreCase(get.getScheme()))) {
        return Optional.of(URI.create("http://127.0.0.1:" + port.get() + (get.getPath().startsWith("/") ? "" : "/") + get.getPath()));
      }
    }
    return Optional.empty();
  }

  private static Optional<Integer> portOf(Container c, IntOrString port) {
    if (port.getIntVal() != null) {
      return Optional.of(port.getIntVal());
    }
    return port(c, port.getStrVal());
  }

  private static Optional<Integer> port(Container c, String name) {
    return c.getPorts() == null ? Optional.empty() : c.getPorts().stream().filter(p -> name != null && name.equals(p.getName()))
        .map(ContainerPort::getContainerPort).findFirst();
  }

  private static Optional<Duration> preStopSleep(Container c) {
    if (c.getLifecycle() == null || c.getLifecycle().getPreStop() == null) {
      return Optional.empty();
    }
    var preStop = c.getLifecycle().getPreStop();
    if (preStop.getSleep() != null && preStop.getSleep().getSeconds() != null) {
      return Optional.of(Duration.ofSeconds(preStop.getSleep().getSeconds()));
    }
    if (preStop.getExec() == null || preStop.getExec().getCommand() == null) {
      return Optional.empty();
    }
    Matcher m = Pattern.compile("sleep\\s+(\\d+)").matcher(String.join(" ", preStop.getExec().getCommand()));
    return m.find() ? Optional.of(Duration.ofSeconds(Long.parseLong(m.group(1)))) : Optional.empty();
  }

  private static Optional<String> env(Container c, String name) {
    return c.getEnv() == null ? Optional.empty() : c.getEnv().stream().filter(e -> name.equals(e.getName()))
        .map(EnvVar::getValue).filter(v -> v != null).findFirst();
  }

  private static Map<?, ?> proxyMetadata(Map<?, ?> proxyConfig) {
    return proxyConfig.get("proxyMetadata") instanceof Map<?, ?> m ? m : Map.of();
  }

  private static Map<?, ?> yamlOrJson(String text) {
    if (text == null || text.isBlank()) {
      return Map.of();
    }
    try {
      Object parsed = Serialization.unmarshal(text, Map.class);
      return parsed instanceof Map<?, ?> m ? m : Map.of();
    } catch (RuntimeException e) {
      return Map.of();
    }
  }

  private static Optional<Integer> intValue(String text) {
    try {
      return text == null ? Optional.empty() : Optional.of(Integer.parseInt(text.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Istio writes durations the Go way ({@code 30s}, {@code 1m30s}, {@code 0.5s}); protobuf JSON as {@code 5.500s}. */
  static Optional<Duration> goDuration(Object value) {
    if (value == null) {
      return Optional.empty();
    }
    String text = String.valueOf(value).trim();
    Matcher m = GO_DURATION.matcher(text);
    long nanos = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      double amount = Double.parseDouble(m.group(1));
      double unit = switch (m.group(2)) {
        case "ns" -> 1;
        case "us", "µs" -> 1e3;
        case "ms" -> 1e6;
        case "s" -> 1e9;
        case "m" -> 60e9;
        default -> 3600e9;
      };
      nanos += (long) (amount * unit);
      end = m.end();
    }
    return end == text.length() && end > 0 ? Optional.of(Duration.ofNanos(nanos)) : Optional.empty();
  }

  /** {@code docker.io/istio/proxyv2:1.22.3@sha256:...} to {@code docker.io/istio/proxyv2}. */
  private static String repository(String image) {
    if (image == null) {
      return "";
    }
    String s = image;
    int at = s.indexOf('@');
    if (at >= 0) {
      s = s.substring(0, at);
    }
    int colon = s.lastIndexOf(':');
    if (colon > s.lastIndexOf('/')) {
      s = s.substring(0, colon);
    }
    return s;
  }
}
