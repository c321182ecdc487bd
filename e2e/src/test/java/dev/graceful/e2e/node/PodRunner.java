package dev.graceful.e2e.node;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One pod on the node: its container in podman (host network, its own loopback address), its probes, its status,
 * and its termination (SIGTERM, SIGKILL at the deadline, then the pod object is removed), as the kubelet does.
 * Supports what the project's chart uses: one container, env values and downward-API fields, emptyDir mounts,
 * HTTP probes, readiness gates, the security context, the memory limit (on the container's cgroup, as the kubelet
 * sets it); and sleep preStop hooks for the benchmark's contenders. Samples the container's resident memory at Ready
 * and at deletion, for the benchmark.
 */
final class PodRunner {

  private static final Logger LOG = Logger.getLogger(PodRunner.class.getName());
  private static final String SERVICE_ACCOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

  private final KubernetesClient client;
  private final Podman podman;
  private final ScheduledExecutorService scheduler;
  private final NodeAgent.Settings settings;
  /** Where an unexpected exit is reported, with the container's output. */
  private final java.util.function.Consumer<String> problems;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final String namespace;
  private final String name;
  private final String container;
  private final PodAddresses.Pair addresses;
  /** The loopback address the container binds and the probes use. */
  private final String ip;
  private volatile Pod pod;
  private volatile boolean started;
  private volatile boolean ready;
  private volatile boolean terminating;
  private volatile boolean startFailed;
  private volatile Instant startedAt;
  private volatile Instant readyAt;
  private volatile Instant deletedAt;
  private volatile Instant sigtermAt;
  private volatile Instant exitedAt;
  private volatile Integer exitCode;
  private volatile boolean killed;
  private volatile String finalLogs = "";
  /**
   * The container's main process as the host sees it (java, PID 1 in the container), for its memory: its PID and its
   * start time in clock ticks (so a PID reused after the exit is not read); null until known.
   */
  private volatile Podman.HostProcess hostProcess;
  private volatile Long rssAtReadyKiB;
  private volatile Long rssAtDeletionKiB;
  private final Map<String, Integer> consecutive = new LinkedHashMap<>();
  private final Map<String, Long> lastRun = new LinkedHashMap<>();
  private ScheduledFuture<?> probing;
  private String lastStatus = "";

  PodRunner(KubernetesClient client, Podman podman, ScheduledExecutorService scheduler, NodeAgent.Settings settings,
      Pod pod, PodAddresses.Pair addresses, java.util.function.Consumer<String> problems) {
    this.problems = problems;
    this.client = client;
    this.podman = podman;
    this.scheduler = scheduler;
    this.settings = settings;
    this.pod = pod;
    this.namespace = pod.getMetadata().getNamespace();
    this.name = pod.getMetadata().getName();
    this.container = "e2e_" + namespace + "_" + name;
    this.addresses = addresses;
    this.ip = addresses.loopback();
  }

  PodAddresses.Pair addresses() {
    return addresses;
  }

  PodTimeline timeline() {
    return new PodTimeline(namespace + "/" + name, ip, startedAt, readyAt, deletedAt, sigtermAt, exitedAt, exitCode, killed,
        finalLogs, rssAtReadyKiB, rssAtDeletionKiB);
  }

  /** Creates the container and starts probing. */
  void start() {
    Container spec = pod.getSpec().getContainers().get(0);
    podman.remove(container);
    List<String> args = new ArrayList<>(List.of("run", "-d", "--name", container, "--network", "host", "--pull", "never"));
    SecurityContext sc = spec.getSecurityContext();
    var podSc = pod.getSpec().getSecurityContext();
    Long uid = sc != null && sc.getRunAsUser() != null ? sc.getRunAsUser() : podSc != null ? podSc.getRunAsUser() : null;
    Long gid = sc != null && sc.getRunAsGroup() != null ? sc.getRunAsGroup() : podSc != null ? podSc.getRunAsGroup() : null;
    if (uid != null) {
      args.addAll(List.of("--user", uid + (gid != null ? ":" + gid : "")));
    }
    if (sc != null && Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
      args.add("--read-only");
    }
    if (sc != null && Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
      args.addAll(List.of("--security-opt", "no-new-privileges"));
    }
    if (sc != null && sc.getCapabilities() != null && sc.getCapabilities().getDrop() != null
        && sc.getCapabilities().getDrop().contains("ALL")) {
      args.addAll(List.of("--cap-drop", "ALL"));
    }
    for (VolumeMount mount : spec.getVolumeMounts()) {
      Volume volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
          .orElseThrow(() -> new IllegalStateException("volume " + mount.getName() + " not found"));
      if (volume.getProjected() != null && SERVICE_ACCOUNT_PATH.equals(mount.getMountPath())) {
        continue; // the service-account token volume the admission plugin adds: mounted below from a TokenRequest
      }
      if (volume.getEmptyDir() == null) {
        throw new IllegalStateException("only emptyDir volumes are supported, not " + volume.getName());
      }
      args.addAll(List.of("--tmpfs", mount.getMountPath() + ":rw,size=64m,mode=1777"));
    }
    if (!Boolean.FALSE.equals(pod.getSpec().getAutomountServiceAccountToken())) {
      args.addAll(List.of("-v", serviceAccountDir() + ":" + SERVICE_ACCOUNT_PATH + ":ro"));
    }
    // No swap beyond the limit, as a kubelet without swap gives none (podman's default would allow twice the limit).
    memoryLimit(spec).ifPresent(bytes -> args.addAll(List.of("--memory", Long.toString(bytes), "--memory-swap", Long.toString(bytes))));
    environment(spec).forEach((k, v) -> args.addAll(List.of("-e", k + "=" + v)));
    args.add(spec.getImage());
    if (spec.getCommand() != null && !spec.getCommand().isEmpty()) {
      throw new IllegalStateException("container command overrides are not supported");
    }
    podman.run(args, 120);
    startedAt = Instant.now();
    writeStatus();
    probing = scheduler.scheduleWithFixedDelay(this::probeTick, 100, 100, TimeUnit.MILLISECONDS);
    Thread waiter = new Thread(this::awaitExit, "podman-wait-" + name);
    waiter.setDaemon(true);
    waiter.start();
    // After the probes are scheduled, so the lookup does not shift them; a sample taken before it is simply missing.
    hostProcess = podman.hostProcess(container).orElse(null);
  }

  /** Blocks in {@code podman wait} until the container exits (no polling), then records it. */
  private void awaitExit() {
    int code;
    try {
      code = Integer.parseInt(podman.run(List.of("wait", container), TimeUnit.DAYS.toSeconds(1)).lines().reduce((a, b) -> b).orElse("-1").trim());
    } catch (RuntimeException e) {
      code = -1;
    }
    exitedAt = Instant.now();
    exitCode = code;
    started = false;
    ready = false;
    probing.cancel(false);
    writeStatus();
    if (!terminating) {
      problems.accept("container of pod " + namespace + "/" + name + " exited with " + code + " before its pod was deleted:\n"
          + podman.logs(container));
    }
  }

  /**
   * The container's memory limit in bytes, which the kubelet sets on the container's cgroup: the JVM sizes its heap
   * from it (MaxRAMPercentage), so without it a pod here would size itself from the whole machine.
   */
  private static java.util.Optional<Long> memoryLimit(Container spec) {
    if (spec.getResources() == null || spec.getResources().getLimits() == null
        || spec.getResources().getLimits().get("memory") == null) {
      return java.util.Optional.empty();
    }
    // Rounded up to whole bytes, as the kubelet does ("100m" of memory is a tenth of a byte).
    return java.util.Optional.of(io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(
        spec.getResources().getLimits().get("memory")).setScale(0, java.math.RoundingMode.CEILING).longValueExact());
  }

  /**
   * VmRSS of the container's main process in KiB, or null when it cannot be read: not known yet, exited, or its PID
   * now another process's. Reads /proc only (no podman call), as it runs on the probe and deletion paths.
   */
  private Long residentKiB() {
    Podman.HostProcess process = hostProcess;
    if (process == null || exitCode != null) {
      return null;
    }
    return process.residentKiB().orElse(null);
  }

  private Map<String, String> environment(Container spec) {
    Map<String, String> env = new LinkedHashMap<>();
    // What the kubelet provides for in-cluster clients, pointed at the loopback API server.
    env.put("KUBERNETES_SERVICE_HOST", "127.0.0.1");
    env.put("KUBERNETES_SERVICE_PORT", String.valueOf(settings.apiPort()));
    // Host networking stands in for the pod's network namespace: the runtime binds only the pod's own address.
    env.put("GRACEFUL_HOST", ip);
    env.put("HOSTNAME", name);
    for (EnvVar e : spec.getEnv()) {
      if (e.getValueFrom() == null) {
        env.put(e.getName(), Objects.toString(e.getValue(), ""));
      } else if (e.getValueFrom().getFieldRef() != null) {
        env.put(e.getName(), field(e.getValueFrom().getFieldRef().getFieldPath()));
      } else {
        throw new IllegalStateException("env " + e.getName() + ": only values and fieldRef are supported");
      }
    }
    return env;
  }

  private static final Pattern KEYED_FIELD = Pattern.compile("metadata\\.(annotations|labels)\\['(.+)'\\]");

  private String field(String path) {
    // metadata.annotations['key'] and metadata.labels['key']: the value, or "" when missing, as the kubelet does.
    Matcher keyed = KEYED_FIELD.matcher(path);
    if (keyed.matches()) {
      Map<String, String> values = keyed.group(1).equals("labels") ? pod.getMetadata().getLabels() : pod.getMetadata().getAnnotations();
      return values == null ? "" : values.getOrDefault(keyed.group(2), "");
    }
    return switch (path) {
      case "metadata.name" -> name;
      case "metadata.namespace" -> namespace;
      case "metadata.uid" -> pod.getMetadata().getUid();
      case "status.podIP" -> addresses.published();
      case "status.hostIP" -> "127.0.0.1";
      case "spec.nodeName" -> pod.getSpec().getNodeName();
      case "spec.serviceAccountName" -> pod.getSpec().getServiceAccountName();
      default -> throw new IllegalStateException("fieldRef " + path + " is not supported");
    };
  }

  /** A projected service-account token for the pod, as the kubelet mounts it. */
  private Path serviceAccountDir() {
    String account = Objects.requireNonNullElse(pod.getSpec().getServiceAccountName(), "default");
    TokenRequest request = new TokenRequestBuilder().withNewSpec()
        .withAudiences("https://kubernetes.default.svc.cluster.local")
        .withExpirationSeconds(3600L)
        .withNewBoundObjectRef().withKind("Pod").withApiVersion("v1").withName(name).withUid(pod.getMetadata().getUid()).endBoundObjectRef()
        .endSpec().build();
    String token = client.serviceAccounts().inNamespace(namespace).withName(account).tokenRequest(request).getStatus().getToken();
    try {
      Path dir = Files.createDirectories(settings.work().resolve("pods").resolve(namespace + "_" + name + "_" + pod.getMetadata().getUid()));
      Files.writeString(dir.resolve("token"), token);
      Files.copy(settings.caCertificate(), dir.resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.writeString(dir.resolve("namespace"), namespace);
      for (String f : List.of("token", "ca.crt", "namespace")) {
        Files.setPosixFilePermissions(dir.resolve(f), PosixFilePermissions.fromString("rw-r--r--"));
      }
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The pod object changed (e.g. the runtime set its readiness gate): status may follow. */
  void updated(Pod latest) {
    this.pod = latest;
    writeStatus();
  }

  private void probeTick() {
    try {
      if (exitCode != null) {
        return;
      }
      Container spec = pod.getSpec().getContainers().get(0);
      if (!started) {
        started = spec.getStartupProbe() == null || probe("startup", spec.getStartupProbe(), spec, started);
        if (started) {
          writeStatus();
        }
        return;
      }
      if (spec.getReadinessProbe() != null) {
        boolean nowReady = probe("readiness", spec.getReadinessProbe(), spec, ready);
        if (nowReady != ready) {
          ready = nowReady;
          if (ready && readyAt == null) {
            readyAt = Instant.now();
            rssAtReadyKiB = residentKiB();
          }
          writeStatus();
        }
      } else if (!ready) {
        ready = true;
        readyAt = Instant.now();
        rssAtReadyKiB = residentKiB();
        writeStatus();
      }
    } catch (RuntimeException e) {
      LOG.warning("probing " + name + ": " + e);
    }
  }

  /**
   * Runs the probe when its period is due; returns its state after applying the success and failure thresholds.
   */
  private boolean probe(String kind, Probe probe, Container spec, boolean current) {
    long now = System.nanoTime();
    long period = TimeUnit.SECONDS.toNanos(Math.max(1, Objects.requireNonNullElse(probe.getPeriodSeconds(), 10)));
    Long last = lastRun.get(kind);
    if (last != null && now - last < period) {
      return current;
    }
    lastRun.put(kind, now);
    boolean ok = httpGet(probe.getHttpGet(), spec, Objects.requireNonNullElse(probe.getTimeoutSeconds(), 1));
    String key = kind + (ok ? "+" : "-");
    String other = kind + (ok ? "-" : "+");
    consecutive.put(key, consecutive.getOrDefault(key, 0) + 1);
    consecutive.put(other, 0);
    int threshold = ok ? Objects.requireNonNullElse(probe.getSuccessThreshold(), 1) : Objects.requireNonNullElse(probe.getFailureThreshold(), 3);
    return consecutive.get(key) >= threshold ? ok : current;
  }

  private boolean httpGet(HTTPGetAction action, Container spec, int timeoutSeconds) {
    int port = action.getPort().getIntVal() != null ? action.getPort().getIntVal()
        : spec.getPorts().stream().filter(p -> action.getPort().getStrVal().equals(p.getName()))
            .map(ContainerPort::getContainerPort).findFirst().orElseThrow();
    try {
      HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":" + port + action.getPath()))
          .timeout(Duration.ofSeconds(timeoutSeconds)).build(), HttpResponse.BodyHandlers.discarding());
      return response.statusCode() >= 200 && response.statusCode() < 400;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Writes the pod status when it changed: phase, IP, container state, ContainersReady, and Ready (with gates). */
  private synchronized void writeStatus() {
    boolean gatesTrue = true;
    List<PodCondition> conditions = pod.getStatus() == null ? List.of() : pod.getStatus().getConditions();
    for (PodReadinessGate gate : pod.getSpec().getReadinessGates()) {
      gatesTrue &= conditions.stream().anyMatch(c -> gate.getConditionType().equals(c.getType()) && "True".equals(c.getStatus()));
    }
    boolean podReady = ready && gatesTrue && exitCode == null;
    String phase = exitCode == null ? "Running" : exitCode == 0 ? "Succeeded" : "Failed";
    String summary = phase + ready + podReady + started;
    if (summary.equals(lastStatus)) {
      return;
    }
    lastStatus = summary;
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    String state = exitCode == null
        ? "{\"running\":{\"startedAt\":\"" + startedAt.truncatedTo(ChronoUnit.SECONDS) + "\"}}"
        : "{\"terminated\":{\"exitCode\":" + exitCode + ",\"finishedAt\":\"" + now + "\"}}";
    String patch = """
        {"status":{"phase":"%s","podIP":"%s","podIPs":[{"ip":"%s"}],"hostIP":"127.0.0.1","startTime":"%s",
         "conditions":[
          {"type":"PodScheduled","status":"True"},
          {"type":"Initialized","status":"True"},
          {"type":"ContainersReady","status":"%s","lastTransitionTime":"%s"},
          {"type":"Ready","status":"%s","lastTransitionTime":"%s"}],
         "containerStatuses":[{"name":"%s","image":"%s","imageID":"","ready":%s,"started":%s,"restartCount":0,"state":%s}]}}
        """.formatted(phase, addresses.published(), addresses.published(), startedAt.truncatedTo(ChronoUnit.SECONDS), cap(ready), now, cap(podReady), now,
        pod.getSpec().getContainers().get(0).getName(), pod.getSpec().getContainers().get(0).getImage(), ready, started, state);
    try {
      client.pods().inNamespace(namespace).withName(name).subresource("status")
          .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch);
    } catch (RuntimeException e) {
      LOG.warning("status of " + name + ": " + e.getMessage());
    }
  }

  private static String cap(boolean b) {
    return b ? "True" : "False";
  }

  /**
   * The container's {@code preStop} hook when it only waits (the {@code sleep} action, or {@code exec} of
   * {@code sleep N}, the usual fix for endpoint lag), in milliseconds; other hooks are not supported here.
   */
  private long preStopSleepMillis() {
    var lifecycle = pod.getSpec().getContainers().get(0).getLifecycle();
    if (lifecycle == null || lifecycle.getPreStop() == null) {
      return 0;
    }
    var preStop = lifecycle.getPreStop();
    if (preStop.getSleep() != null) {
      return preStop.getSleep().getSeconds() * 1000L;
    }
    List<String> command = preStop.getExec() == null ? List.of() : preStop.getExec().getCommand();
    if (command.size() == 2 && command.get(0).endsWith("sleep")) {
      return (long) (Double.parseDouble(command.get(1)) * 1000);
    }
    throw new IllegalStateException("pod " + name + ": only sleep preStop hooks are supported, not " + preStop);
  }

  /**
   * Deletion, as the kubelet does it: the preStop sleep if any, then SIGTERM, SIGKILL at the grace deadline
   * (counted from the deletion, preStop included), then the pod object goes.
   * Probes keep running meanwhile, so readiness turns False when the runtime reports it.
   */
  void terminate(long graceSeconds, Runnable beforeSignal, Runnable onGone) {
    synchronized (this) {
      if (terminating) {
        return;
      }
      terminating = true;
    }
    deletedAt = Instant.now();
    rssAtDeletionKiB = residentKiB();
    if (startFailed) {
      // No container ever ran: nothing to signal, the pod object simply goes.
      exitedAt = Instant.now();
      try {
        client.pods().inNamespace(namespace).withName(name).withGracePeriod(0).delete();
      } catch (RuntimeException e) {
        LOG.info("removing pod " + name + ": " + e.getMessage());
      }
      onGone.run();
      return;
    }
    long preStopMillis = preStopSleepMillis();
    scheduler.schedule(() -> {
      beforeSignal.run();
      sigtermAt = Instant.now();
      try {
        podman.signal(container, "TERM");
      } catch (IllegalStateException e) {
        LOG.info("SIGTERM to " + name + ": " + e.getMessage());
      }
    }, preStopMillis, TimeUnit.MILLISECONDS);
    ScheduledFuture<?> kill = scheduler.schedule(() -> {
      if (exitCode == null) {
        killed = true;
        podman.signal(container, "KILL");
      }
    }, graceSeconds * 1000, TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(new Runnable() {
      private boolean done;

      @Override
      public void run() {
        if (done || exitCode == null) {
          return;
        }
        done = true;
        kill.cancel(false);
        finalLogs = podman.logs(container);
        podman.remove(container);
        try {
          client.pods().inNamespace(namespace).withName(name).withGracePeriod(0).delete();
        } catch (RuntimeException e) {
          LOG.info("removing pod " + name + ": " + e.getMessage());
        }
        onGone.run();
        throw new RuntimeException("done"); // ends this periodic task
      }
    }, 100, 100, TimeUnit.MILLISECONDS);
  }

  /** The container could not be created: a later deletion removes the pod at once. */
  void startFailed() {
    startFailed = true;
  }

  /** Stops the container at once (harness shutdown). */
  void kill() {
    terminating = true; // an expected exit: not worth a warning
    if (probing != null) {
      probing.cancel(false);
    }
    podman.remove(container);
  }

  String logs() {
    return podman.logs(container);
  }
}
