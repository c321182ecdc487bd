package dev.graceful.e2e.realnode;

import dev.graceful.e2e.node.PodTimeline;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What happened to each pod on the real node, from the real components: the deletion (API), the SIGTERM (the
 * kubelet's "Killing container" line), {@code ready=false} and {@code serving=false} (the EndpointSlices), the
 * moment kube-proxy's rules stop sending new connections to it (the nat table), the exit and its status
 * (containerd's task-exit event), and the container's output (the kubelet's CRI log files, hard-linked as soon as
 * they appear, so they outlive the container's removal).
 */
public final class PodWatch implements AutoCloseable {

  /** The kubelet's klog line for SIGTERM, e.g. {@code I1130 05:40:12.123456 123 kuberuntime_container.go:1] "Killing container with a grace period" pod="default/x"}. */
  private static final Pattern KILLING = Pattern.compile(
      "^I(\\d{2})(\\d{2}) (\\d{2}:\\d{2}:\\d{2}\\.\\d{6}) .*\"Killing container with a grace period.*?\" pod=\"([^\"]+)\".*containerID=\"containerd://([0-9a-f]+)\"");
  /** {@code ctr events}: {@code 2026-11-30 05:40:12.123456789 +0000 UTC k8s.io /tasks/exit {...}}. */
  private static final Pattern TASK_EXIT = Pattern.compile(
      "^(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?) \\+0000 UTC k8s\\.io /tasks/exit (\\{.*\\})");
  private static final Set<String> STUCK = Set.of("ErrImageNeverPull", "ErrImagePull", "ImagePullBackOff",
      "CreateContainerConfigError", "CreateContainerError", "RunContainerError", "CrashLoopBackOff", "InvalidImageName");

  /** One pod's marks, as seen; every field is written by one watcher and read by the test thread. */
  private static final class Track {
    final String key;
    final String uid;
    volatile String ip;
    final Set<String> containerIds = ConcurrentHashMap.newKeySet();
    volatile Instant started;
    volatile Instant ready;
    volatile Instant deleted;
    /** The kubelet's "Killing container" times: a liveness restart's too, so {@link #sigterm()} picks the deletion's. */
    final List<Instant> kills = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile Instant notReady;
    volatile Instant notServing;
    volatile boolean listedReady;
    volatile boolean addressReused;
    final long seq = SEQUENCE.incrementAndGet();
    volatile Instant leftSlices;
    volatile Instant routed;
    volatile Instant unrouted;
    volatile Instant exited;
    volatile Integer exitCode;
    volatile boolean gone;
    final List<Path> keptLogs = new ArrayList<>();

    /** The first kill from two seconds before the deletion was seen on (the watch can lag the kubelet a little). */
    Instant sigterm() {
      return deleted == null ? null : kills.stream().filter(k -> !k.isBefore(deleted.minusSeconds(2))).findFirst().orElse(null);
    }

    Track(String key, String uid) {
      this.key = key;
      this.uid = uid;
    }
  }

  private static final java.util.concurrent.atomic.AtomicLong SEQUENCE = new java.util.concurrent.atomic.AtomicLong();
  private final KubernetesClient client;
  private final NodeDaemons.Settings node;
  private final Path kept;
  private final Map<String, Track> byUid = new ConcurrentHashMap<>();
  private final Map<String, Instant> exits = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> sliceMembers = new ConcurrentHashMap<>();
  private final Map<String, Integer> exitCodes = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
  private final Set<String> reported = ConcurrentHashMap.newKeySet();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final Thread poller = new Thread(this::poll, "real-node-pod-watch");
  private Process events;
  private volatile boolean running = true;
  private long kubeletLogOffset;

  public PodWatch(KubernetesClient client, NodeDaemons.Settings node) throws IOException {
    this.client = client;
    this.node = node;
    this.kept = node.work().resolve("kept-logs");
    Files.createDirectories(kept);
  }

  public PodWatch start() throws IOException {
    events = new ProcessBuilder(node.bin().resolve("ctr").toString(), "--address", node.containerdSocket().toString(),
        "-n", "k8s.io", "events").redirectErrorStream(true).start();
    Thread reader = new Thread(this::readEvents, "real-node-containerd-events");
    reader.setDaemon(true);
    reader.start();
    informers.add(client.pods().inNamespace("default").inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        seen(pod);
      }

      @Override
      public void onUpdate(Pod before, Pod pod) {
        seen(pod);
      }

      @Override
      public void onDelete(Pod pod, boolean unknownFinalState) {
        seen(pod);
        track(pod).gone = true;
      }
    }));
    informers.add(client.discovery().v1().endpointSlices().inNamespace("default").inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(EndpointSlice slice) {
        slice(slice);
      }

      @Override
      public void onUpdate(EndpointSlice before, EndpointSlice slice) {
        slice(slice);
      }

      @Override
      public void onDelete(EndpointSlice slice, boolean unknownFinalState) {
      }
    }));
    poller.setDaemon(true);
    poller.start();
    return this;
  }

  private Track track(Pod pod) {
    return byUid.computeIfAbsent(pod.getMetadata().getUid(),
        uid -> new Track(pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName(), uid));
  }

  private void seen(Pod pod) {
    Track t = track(pod);
    Instant now = Instant.now();
    if (pod.getMetadata().getDeletionTimestamp() != null && t.deleted == null) {
      t.deleted = now;
    }
    if (pod.getStatus() == null) {
      return;
    }
    if (pod.getStatus().getPodIP() != null) {
      t.ip = pod.getStatus().getPodIP();
    }
    boolean ready = pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    if (ready && t.ready == null) {
      t.ready = now;
    }
    for (ContainerStatus c : Optional.ofNullable(pod.getStatus().getContainerStatuses()).orElse(List.of())) {
      if (c.getContainerID() != null) {
        t.containerIds.add(c.getContainerID().replace("containerd://", ""));
      }
      if (c.getState() != null && c.getState().getRunning() != null && t.started == null) {
        t.started = now;
      }
      if (c.getState() != null && c.getState().getWaiting() != null && STUCK.contains(c.getState().getWaiting().getReason())) {
        problem(t.key + ": container " + c.getName() + " " + c.getState().getWaiting().getReason() + ": "
            + c.getState().getWaiting().getMessage());
      }
      if (pod.getMetadata().getDeletionTimestamp() == null && c.getRestartCount() != null && c.getRestartCount() > 0) {
        ContainerStateTerminated last = c.getLastState() == null ? null : c.getLastState().getTerminated();
        problem(t.key + ": container " + c.getName() + " restarted (" + (last == null ? "?" : last.getReason() + ", exit "
            + last.getExitCode()) + ")");
      }
    }
  }

  /**
   * The first {@code ready=false} and {@code serving=false} of each pod's endpoint after it was listed ready (the
   * slice can change before the pod's own deletion event reaches this watch), and the moment it left the slices.
   */
  private void slice(EndpointSlice slice) {
    Instant now = Instant.now();
    Set<String> listed = new java.util.HashSet<>();
    for (Endpoint e : Optional.ofNullable(slice.getEndpoints()).orElse(List.of())) {
      if (e.getTargetRef() == null || e.getConditions() == null) {
        continue;
      }
      listed.add(e.getTargetRef().getUid());
      Track t = byUid.get(e.getTargetRef().getUid());
      if (t == null) {
        continue;
      }
      if (Boolean.TRUE.equals(e.getConditions().getReady()) && Boolean.TRUE.equals(e.getConditions().getServing())) {
        t.listedReady = true;
      } else if (t.listedReady) {
        if (Boolean.FALSE.equals(e.getConditions().getReady()) && t.notReady == null) {
          t.notReady = now;
        }
        if (Boolean.FALSE.equals(e.getConditions().getServing()) && t.notServing == null) {
          t.notServing = now;
        }
      }
    }
    Set<String> before = sliceMembers.put(slice.getMetadata().getName(), listed);
    if (before != null) {
      before.stream().filter(uid -> !listed.contains(uid)).map(byUid::get).filter(Objects::nonNull)
          .filter(t -> t.leftSlices == null).forEach(t -> t.leftSlices = now);
    }
  }

  private void problem(String what) {
    if (reported.add(what)) {
      problems.add(what);
    }
  }

  /** What went wrong on the node since the last call. */
  public List<String> takeProblems() {
    List<String> out = new ArrayList<>();
    for (String p; (p = problems.poll()) != null; ) {
      out.add(p);
    }
    return out;
  }

  private void readEvents() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(events.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        Matcher m = TASK_EXIT.matcher(line);
        if (!m.find()) {
          continue;
        }
        String json = m.group(2);
        String container = field(json, "container_id");
        String id = field(json, "id");
        // Only a container's own process (id == container_id), not an exec in it.
        if (container == null || (id != null && !id.equals(container))) {
          continue;
        }
        String status = field(json, "exit_status");
        exitCodes.put(container, status == null ? 0 : Integer.parseInt(status)); // omitted when 0
        exits.put(container, LocalDateTime.parse(m.group(1).replace(' ', 'T')).toInstant(ZoneOffset.UTC));
      }
    } catch (IOException e) {
      if (running) {
        problem("ctr events stopped: " + e);
      }
    }
  }

  private static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\":\"?([^\",}]*)").matcher(json);
    return m.find() ? m.group(1) : null;
  }

  /** Every 100 ms: new log files to keep, new kubelet lines, and kube-proxy's rules while a pod is on its way out. */
  private void poll() {
    while (running) {
      try {
        keepLogs();
        readKubeletLog();
        if (byUid.values().stream().anyMatch(t -> !t.gone && t.ip != null && (t.routed == null || (t.deleted != null && t.unrouted == null)))) {
          Set<String> routed = ProxyRules.routedAddresses();
          Instant now = Instant.now();
          for (Track t : byUid.values()) {
            if (t.ip == null || t.addressReused) {
              continue;
            }
            // host-local hands a released address to a later pod: from then on the rules say nothing about this one.
            if (byUid.values().stream().anyMatch(o -> o.seq > t.seq && t.ip.equals(o.ip))) {
              t.addressReused = t.unrouted == null;
              continue;
            }
            if (routed.contains(t.ip) && t.routed == null) {
              t.routed = now;
            } else if (!routed.contains(t.ip) && t.routed != null && t.deleted != null && t.unrouted == null) {
              t.unrouted = now;
            }
          }
        }
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException e) {
        problem("the pod watch failed: " + e);
      }
    }
  }

  /** Hard-links each container log file ({@code NS_NAME_UID/CONTAINER/N.log}) into the kept directory. */
  private void keepLogs() throws IOException {
    if (!Files.isDirectory(node.podLogs())) {
      return;
    }
    List<Path> found;
    try (Stream<Path> files = Files.walk(node.podLogs(), 3)) {
      found = files.filter(p -> p.toString().endsWith(".log")).toList();
    } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException e) {
      return; // the kubelet removed a pod's directory mid-walk: the next poll sees the rest
    }
    for (Path f : found) {
      String podDir = f.getParent().getParent().getFileName().toString();
      String uid = podDir.substring(podDir.lastIndexOf('_') + 1);
      Track t = byUid.get(uid);
      if (t == null) {
        continue;
      }
      Path link = kept.resolve(uid + "_" + f.getParent().getFileName() + "_" + f.getFileName());
      if (!Files.exists(link)) {
        try {
          Files.createLink(link, f);
          synchronized (t.keptLogs) {
            t.keptLogs.add(link);
          }
        } catch (FileAlreadyExistsException | java.nio.file.NoSuchFileException e) {
          // linked meanwhile, or removed before we got to it
        }
      }
    }
  }

  private void readKubeletLog() throws IOException {
    Path log = node.logs().resolve("kubelet.log");
    if (!Files.exists(log)) {
      return;
    }
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
      if (f.length() <= kubeletLogOffset) {
        return;
      }
      f.seek(kubeletLogOffset);
      byte[] chunk = new byte[(int) Math.min(f.length() - kubeletLogOffset, 8 << 20)];
      f.readFully(chunk);
      String text = new String(chunk, StandardCharsets.UTF_8);
      int end = text.lastIndexOf('\n');
      if (end < 0) {
        return;
      }
      kubeletLogOffset += text.substring(0, end + 1).getBytes(StandardCharsets.UTF_8).length;
      for (String line : text.substring(0, end).split("\n")) {
        Matcher m = KILLING.matcher(line);
        if (m.find()) {
          Instant at = LocalDateTime.parse(LocalDate.now(ZoneOffset.UTC).getYear() + "-" + m.group(1) + "-" + m.group(2)
              + "T" + m.group(3)).toInstant(ZoneOffset.UTC);
          String container = m.group(5);
          byUid.values().stream().filter(t -> t.containerIds.contains(container)).findFirst()
              .ifPresent(t -> t.kills.add(at));
        }
      }
    }
  }

  /** The container's output so far (or in full, once it has exited), from the kept CRI log files. */
  public String logs(String namespace, String name) {
    return byUid.values().stream().filter(t -> t.key.equals(namespace + "/" + name))
        .max(Comparator.comparing(t -> Objects.requireNonNullElse(t.started, Instant.EPOCH))).map(this::output).orElse("");
  }

  private String output(Track t) {
    List<Path> files;
    synchronized (t.keptLogs) {
      files = t.keptLogs.stream().sorted().toList();
    }
    StringBuilder out = new StringBuilder();
    for (Path f : files) {
      try {
        for (String line : Files.readAllLines(f)) {
          // CRI format: TIMESTAMP STREAM TAG CONTENT, where TAG P marks a partial line continued by the next.
          String[] parts = line.split(" ", 4);
          if (parts.length < 4) {
            continue;
          }
          out.append(parts[3]);
          if (!"P".equals(parts[2])) {
            out.append('\n');
          }
        }
      } catch (IOException e) {
        out.append("(cannot read ").append(f).append(": ").append(e).append(")\n");
      }
    }
    return out.toString();
  }

  /** Pods that the kubelet has sent SIGTERM. */
  public Set<String> signalled() {
    return byUid.values().stream().filter(t -> t.sigterm() != null).map(t -> t.key.substring(t.key.indexOf('/') + 1))
        .collect(Collectors.toSet());
  }

  /** Pods deleted, exited and removed, in the order they exited. */
  public List<PodTimeline> terminated() {
    List<PodTimeline> out = new ArrayList<>();
    for (Track t : byUid.values()) {
      Optional<String> container = lastExited(t);
      if (!t.gone || t.deleted == null || container.isEmpty()) {
        continue;
      }
      Instant exited = exits.get(container.get());
      int code = exitCodes.get(container.get());
      out.add(new PodTimeline(t.key, t.ip, t.started, t.ready, t.deleted,
          t.sigterm() == null ? t.deleted : t.sigterm(), exited, code, code == 137, output(t)));
    }
    out.sort(Comparator.comparing(PodTimeline::exited));
    return out;
  }

  /**
   * One line per pod that went: each mark in milliseconds after this watch saw the deletion (the kubelet may act a
   * few milliseconds before the watch event arrives: a small negative SIGTERM), "-" for a mark that never came.
   */
  public Map<String, String> figures() {
    Map<String, String> out = new LinkedHashMap<>();
    for (Track t : byUid.values().stream().filter(t -> t.deleted != null && t.gone)
        .sorted(Comparator.comparing((Track t) -> t.deleted)).toList()) {
      Optional<String> container = lastExited(t);
      Instant exited = container.map(exits::get).orElse(null);
      Integer code = container.map(exitCodes::get).orElse(null);
      out.put("real node pod " + t.key + " (ms after deletion)", "SIGTERM " + since(t.deleted, t.sigterm())
          + ", ready=false " + since(t.deleted, t.notReady) + ", serving=false " + since(t.deleted, t.notServing)
          + ", out of the slices " + since(t.deleted, t.leftSlices) + ", kube-proxy stopped routing "
          + (t.addressReused ? "? (address given to a new pod first)" : since(t.deleted, t.unrouted)) + ", exit " + since(t.deleted, exited)
          + " (status " + code + (Integer.valueOf(137).equals(code) ? ", SIGKILL" : ", no SIGKILL") + ")");
    }
    return out;
  }

  /** The pod's container that exited last (a liveness restart leaves an earlier one). */
  private Optional<String> lastExited(Track t) {
    return t.containerIds.stream().filter(exits::containsKey).max(Comparator.comparing(exits::get));
  }

  private static String since(Instant from, Instant to) {
    return to == null ? "-" : String.valueOf(Duration.between(from, to).toMillis());
  }

  @Override
  public void close() {
    running = false;
    poller.interrupt();
    informers.forEach(SharedIndexInformer::stop);
    if (events != null) {
      events.destroyForcibly();
    }
  }
}
