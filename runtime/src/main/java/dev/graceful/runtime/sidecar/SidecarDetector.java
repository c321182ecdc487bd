package dev.graceful.runtime.sidecar;

import dev.graceful.runtime.sidecar.MeshSidecar.Drain;
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

  // Istio's own defaults: readiness on the agent's port 15021, quitquitquit on the status port 15020, and
  // pilot-agent keeps Envoy up for terminationDrainDuration (default 5 s) after SIGTERM.
  static final int ISTIO_READY_PORT = 15021;
  static final int ISTIO_STATUS_PORT_DEFAULT = 15020;
  static final Duration ISTIO_DRAIN_DEFAULT = Duration.ofSeconds(5);
  // Linkerd's admin server (4191) serves /ready and POST /shutdown; at SIGTERM the proxy refuses new requests at
  // once (the preStop sleep of proxy-wait-before-exit-seconds, default none, delays the SIGTERM).
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
          classify(c, true, istioNames, annotations).ifPresent(found::add);
        }
      }
      List<Container> containers = pod.getSpec().getContainers() == null ? List.of() : pod.getSpec().getContainers();
      for (Container c : containers) {
        classify(c, false, istioNames, annotations).ifPresent(found::add);
      }
    }
    boolean istio = found.stream().anyMatch(s -> s.mesh() == Mesh.ISTIO);
    boolean linkerd = found.stream().anyMatch(s -> s.mesh() == Mesh.LINKERD);
    if (annotations.containsKey(ISTIO_STATUS) && !istio) {
      notes.add(ISTIO_STATUS + " says Istio injected this pod, but no istio-proxy container is in its spec");
    } else if (!annotations.containsKey(ISTIO_STATUS) && !istio
        && ("true".equals(labels.get(ISTIO_INJECT)) || "true".equals(annotations.get(ISTIO_INJECT)))) {
      notes.add(ISTIO_INJECT + "=true but Istio did not inject a proxy (is istiod's injection webhook running?)");
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

  private static Optional<MeshSidecar> classify(Container c, boolean nativeSidecar, Set<String> istioNames, Map<String, String> annotations) {
    String image = repository(c.getImage());
    String last = image.substring(image.lastIndexOf('/') + 1);
    if (istioNames.contains(c.getName()) || last.equals("proxyv2")) {
      return Optional.of(istio(c, nativeSidecar, annotations));
    }
    if ("linkerd-proxy".equals(c.getName()) || (last.equals("proxy") && (image.contains("linkerd") || image.contains("l5d.io")))) {
      return Optional.of(linkerd(c, nativeSidecar, annotations));
    }
    return Optional.empty();
  }

  private static MeshSidecar istio(Container c, boolean nativeSidecar, Map<String, String> annotations) {
    URI ready = probeUrl(c, nativeSidecar).orElse(URI.create("http://127.0.0.1:" + ISTIO_READY_PORT + "/healthz/ready"));
    int statusPort = intValue(annotations.get(ISTIO_STATUS_PORT)).filter(p -> p > 0).orElse(ISTIO_STATUS_PORT_DEFAULT);
    URI quit = URI.create("http://127.0.0.1:" + statusPort + "/quitquitquit");
    return new MeshSidecar(Mesh.ISTIO, c.getName(), nativeSidecar, ready, Optional.of(quit), istioDrain(c, annotations));
  }

  /**
   * With EXIT_ON_ZERO_ACTIVE_CONNECTIONS, pilot-agent keeps the proxy until the app has no connections; otherwise it
   * stops it terminationDrainDuration after SIGTERM: from the pod's annotation, else the merged PROXY_CONFIG the injector
   * writes into the container (mesh-wide defaults included), else Istio's default of 5 s.
   */
  private static Drain istioDrain(Container c, Map<String, String> annotations) {
    Map<?, ?> annotated = yamlOrJson(annotations.get(ISTIO_PROXY_CONFIG));
    Map<?, ?> merged = yamlOrJson(env(c, "PROXY_CONFIG").orElse(null));
    boolean exitOnZero = env(c, "EXIT_ON_ZERO_ACTIVE_CONNECTIONS").map("true"::equalsIgnoreCase).orElse(false)
        || "true".equalsIgnoreCase(String.valueOf(proxyMetadata(annotated).get("EXIT_ON_ZERO_ACTIVE_CONNECTIONS")))
        || "true".equalsIgnoreCase(String.valueOf(proxyMetadata(merged).get("EXIT_ON_ZERO_ACTIVE_CONNECTIONS")));
    if (exitOnZero) {
      return Drain.untilIdle("EXIT_ON_ZERO_ACTIVE_CONNECTIONS");
    }
    Optional<Duration> fromAnnotation = goDuration(annotated.get("terminationDrainDuration"));
    if (fromAnnotation.isPresent()) {
      return Drain.fixed(fromAnnotation.get(), ISTIO_PROXY_CONFIG + " terminationDrainDuration");
    }
    Optional<Duration> fromMesh = goDuration(merged.get("terminationDrainDuration"));
    if (fromMesh.isPresent()) {
      return Drain.fixed(fromMesh.get(), "terminationDrainDuration in the proxy's PROXY_CONFIG");
    }
    Optional<Duration> legacy = env(c, "TERMINATION_DRAIN_DURATION_SECONDS").flatMap(SidecarDetector::intValue).map(Duration::ofSeconds);
    return legacy.map(d -> Drain.fixed(d, "TERMINATION_DRAIN_DURATION_SECONDS"))
        .orElse(Drain.fixed(ISTIO_DRAIN_DEFAULT, "Istio's default terminationDrainDuration"));
  }

  private static MeshSidecar linkerd(Container c, boolean nativeSidecar, Map<String, String> annotations) {
    int admin = port(c, "linkerd-admin").orElse(LINKERD_ADMIN_PORT);
    URI ready = probeUrl(c, nativeSidecar).orElse(URI.create("http://127.0.0.1:" + admin + "/ready"));
    URI quit = URI.create("http://127.0.0.1:" + admin + "/shutdown");
    Drain drain = intValue(annotations.get(LINKERD_WAIT_BEFORE_EXIT)).map(s -> Drain.fixed(Duration.ofSeconds(s), LINKERD_WAIT_BEFORE_EXIT))
        .or(() -> preStopSleep(c).map(s -> Drain.fixed(s, "the proxy's preStop sleep")))
        .orElse(Drain.fixed(Duration.ZERO, "Linkerd's default: new requests refused at SIGTERM"));
    return new MeshSidecar(Mesh.LINKERD, c.getName(), nativeSidecar, ready, Optional.of(quit), drain);
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
