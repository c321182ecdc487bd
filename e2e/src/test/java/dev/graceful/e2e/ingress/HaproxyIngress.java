package dev.graceful.e2e.ingress;

import dev.graceful.e2e.LocalProcesses;
import dev.graceful.e2e.TestCluster;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * An L7 hop in front of a Service's pods, the way ingress controllers run one: HAProxy (Debian's) terminates the
 * clients' connections and keeps its own pool of keep-alive connections to the pods, reused across clients
 * ({@code http-reuse always}); a controller (this class) watches the Service's EndpointSlices and routes to the
 * <em>ready</em> endpoints only, applying each change after {@code applyDelay}, as a controller's sync loop does.
 * Changes go through HAProxy's runtime API (server slots enabled, disabled and re-addressed), as haproxy-ingress and
 * the HAProxy Kubernetes ingress do, so no reload ever drops a pooled connection.
 *
 * <p>Two frontends on loopback: {@code http} (HTTP/1.1, and HTTP/2 with prior knowledge, to the pods' {@code http}
 * port over HTTP/1.1 keep-alive, as ingress-nginx does) and {@code grpc} (HTTP/2 on both sides, to the pods'
 * {@code grpc} port). HAProxy's own log keeps every request that ended in an error, in {@code haproxy.log}; its
 * admin socket lives in a short temp dir of its own, removed on close.
 */
public final class HaproxyIngress implements TestCluster.ServiceAccess {

  /** Server slots per backend: more than the pods a rollout of 3 replicas ever has ready at once. */
  private static final int SLOTS = 16;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

  private final KubernetesClient client;
  private final String namespace;
  private final String service;
  private final Duration applyDelay;
  private final UnaryOperator<String> reachable;
  private final Path dir;
  private final Path socket;
  private final ScheduledExecutorService applier;
  private final Map<String, EndpointSlice> slices = new ConcurrentHashMap<>();
  /** Per backend: slot number to the address it routes to (only slots in use). Touched on the applier thread only. */
  private final Map<String, Map<Integer, String>> slots = new LinkedHashMap<>();
  /** Per backend: slot numbers, least recently taken first. Applier thread only. */
  private final Map<String, List<Integer>> slotOrder = new LinkedHashMap<>();
  private final Map<String, Integer> ports = new LinkedHashMap<>();
  private final List<String> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile int routable;
  private final List<String> applyFailures = new java.util.concurrent.CopyOnWriteArrayList<>();
  private Process haproxy;
  private SharedIndexInformer<EndpointSlice> informer;

  private HaproxyIngress(KubernetesClient client, String namespace, String service, Duration applyDelay,
      UnaryOperator<String> reachable, Path dir) {
    this.client = client;
    this.namespace = namespace;
    this.service = service;
    this.applyDelay = applyDelay;
    this.reachable = reachable;
    this.dir = dir;
    // A Unix socket path must be short (HAProxy takes at most 97 bytes), so the socket lives in its own temp dir.
    this.socket = shortSocketPath();
    this.applier = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ingress-" + service);
      t.setDaemon(true);
      return t;
    });
    for (String backend : List.of("http", "grpc")) {
      slots.put(backend, new LinkedHashMap<>());
      List<Integer> order = new ArrayList<>();
      for (int i = 1; i <= SLOTS; i++) {
        order.add(i);
      }
      slotOrder.put(backend, order);
    }
  }

  /**
   * Starts HAProxy and its controller for {@code service}; HAProxy's files (configuration, socket, log) go in
   * {@code dir}.
   *
   * @param reachable  maps an endpoint's published address to one this machine reaches (the node agent's pods bind
   *                   loopback addresses behind stand-ins)
   * @param applyDelay how long after an EndpointSlice change the proxy follows it
   */
  public static HaproxyIngress open(KubernetesClient client, String namespace, String service, Duration applyDelay,
      UnaryOperator<String> reachable, Path dir) throws IOException, InterruptedException {
    HaproxyIngress ingress = new HaproxyIngress(client, namespace, service, applyDelay, reachable, dir);
    try {
      ingress.start();
      return ingress;
    } catch (IOException | InterruptedException | RuntimeException e) {
      ingress.close();
      throw e;
    }
  }

  private void start() throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Files.deleteIfExists(socket);
    ports.put("http", LocalProcesses.freeLoopbackPort());
    ports.put("grpc", LocalProcesses.freeLoopbackPort());
    Path config = dir.resolve("haproxy.cfg");
    Files.writeString(config, config());
    Path log = dir.resolve("haproxy.log");
    haproxy = new ProcessBuilder("haproxy", "-db", "-f", config.toString()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    while (!Files.exists(socket)) {
      if (!haproxy.isAlive() || Instant.now().isAfter(deadline)) {
        haproxy.destroyForcibly();
        throw new IllegalStateException("haproxy did not start (exit " + (haproxy.isAlive() ? "none" : haproxy.exitValue())
            + "): " + Files.readString(log));
      }
      Thread.sleep(20);
    }
    informer = client.discovery().v1().endpointSlices().inNamespace(namespace)
        .withLabel("kubernetes.io/service-name", service)
        .inform(new ResourceEventHandler<>() {
          @Override
          public void onAdd(EndpointSlice s) {
            changed(s, false);
          }

          @Override
          public void onUpdate(EndpointSlice old, EndpointSlice s) {
            changed(s, false);
          }

          @Override
          public void onDelete(EndpointSlice s, boolean unknown) {
            changed(s, true);
          }
        });
  }

  /** Frontend ({@code http}, {@code grpc}) to its port on loopback. */
  @Override
  public Map<String, Integer> ports() {
    return Map.copyOf(ports);
  }

  private static Path shortSocketPath() {
    try {
      return Files.createTempDirectory(Path.of("/tmp"), "hop-").resolve("admin.sock");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private String config() {
    StringBuilder c = new StringBuilder();
    c.append("global\n  stats socket ").append(socket).append(" level admin\n  maxconn 4096\n");
    c.append("defaults\n  mode http\n  log stderr format raw local0\n  option httplog\n  option dontlog-normal\n")
        .append("  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n  timeout http-keep-alive 60s\n");
    c.append("frontend http\n  bind 127.0.0.1:").append(ports.get("http")).append("\n  default_backend http\n");
    c.append("frontend grpc\n  bind 127.0.0.1:").append(ports.get("grpc")).append(" proto h2\n  default_backend grpc\n");
    // No retries beyond HAProxy's default (a failed connect only): a request that reached a pod and failed is the
    // client's failure, as it would be through an ingress that does not retry.
    c.append("backend http\n  balance roundrobin\n  http-reuse always\n")
        .append("  server-template s 1-").append(SLOTS).append(" 127.0.0.1:1 disabled\n");
    c.append("backend grpc\n  balance roundrobin\n  http-reuse always\n")
        .append("  server-template s 1-").append(SLOTS).append(" 127.0.0.1:1 disabled proto h2\n");
    return c.toString();
  }

  private void changed(EndpointSlice slice, boolean deleted) {
    String key = slice.getMetadata().getName();
    if (deleted) {
      slices.remove(key);
    } else {
      slices.put(key, slice);
    }
    Collection<EndpointSlice> snapshot = List.copyOf(slices.values());
    applier.schedule(() -> apply(snapshot), applyDelay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Points each backend's slots at the ready endpoints of this snapshot, leaving slots that still match alone. */
  private void apply(Collection<EndpointSlice> snapshot) {
    try {
      int ready = 0;
      for (String backend : slots.keySet()) {
        TreeSet<String> wanted = new TreeSet<>();
        for (EndpointSlice s : snapshot) {
          Integer port = s.getPorts() == null ? null : s.getPorts().stream().filter(p -> backend.equals(p.getName()))
              .map(EndpointPort::getPort).findFirst().orElse(null);
          if (port == null || s.getEndpoints() == null) {
            continue;
          }
          for (Endpoint e : s.getEndpoints()) {
            if (e.getConditions() != null && Boolean.TRUE.equals(e.getConditions().getReady())) {
              e.getAddresses().forEach(a -> wanted.add(reachable.apply(a) + ":" + port));
            }
          }
        }
        Map<Integer, String> used = slots.get(backend);
        for (var it = used.entrySet().iterator(); it.hasNext(); ) {
          var slot = it.next();
          if (!wanted.remove(slot.getValue())) {
            command("set server " + backend + "/s" + slot.getKey() + " state maint");
            changes.add(Instant.now() + " " + backend + " - " + slot.getValue());
            it.remove();
          }
        }
        for (String target : wanted) {
          int slot = freeSlot(backend);
          String host = target.substring(0, target.lastIndexOf(':'));
          String port = target.substring(target.lastIndexOf(':') + 1);
          command("set server " + backend + "/s" + slot + " addr " + host + " port " + port);
          command("set server " + backend + "/s" + slot + " state ready");
          changes.add(Instant.now() + " " + backend + " + " + target);
          used.put(slot, target);
        }
        if (backend.equals("http")) {
          ready = used.size();
        }
      }
      routable = ready;
    } catch (IOException | RuntimeException e) {
      changes.add(Instant.now() + " apply failed: " + e);
      applyFailures.add(e.toString());
    }
  }

  /** The slot freed longest ago, so a re-used slot has had time to lose its pooled connections to the old pod. */
  private int freeSlot(String backend) {
    List<Integer> order = slotOrder.get(backend);
    Map<Integer, String> used = slots.get(backend);
    for (int i = 0; i < order.size(); i++) {
      int slot = order.get(i);
      if (!used.containsKey(slot)) {
        order.remove(i);
        order.add(slot); // to the back: used now, freed later
        return slot;
      }
    }
    throw new IllegalStateException("no free server slot in " + SLOTS);
  }

  /** One runtime API command; fails when HAProxy answers with anything but its usual acknowledgements. */
  private String command(String line) throws IOException {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
      InputStream in = Channels.newInputStream(channel);
      String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!answer.isEmpty() && !answer.contains("changed from") && !answer.contains("no need to change")) {
        throw new IOException("haproxy refused `" + line + "`: " + answer);
      }
      return answer;
    }
  }

  /** Ready endpoints the proxy routes new requests to right now. */
  @Override
  public int routableEndpoints() {
    return routable;
  }

  /** Changes HAProxy refused or that could not be sent: a hop that routes stale is no proof, so callers check this. */
  public List<String> applyFailures() {
    return List.copyOf(applyFailures);
  }

  /** Every change the controller applied, with its time, for a report. */
  public List<String> changes() {
    return List.copyOf(changes);
  }

  /** HAProxy's log: one line per request that ended in an error, plus its own warnings. */
  public String log() {
    try {
      return Files.readString(dir.resolve("haproxy.log"));
    } catch (IOException e) {
      return "(no haproxy log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    if (informer != null) {
      informer.close();
    }
    applier.shutdownNow();
    if (haproxy != null) {
      LocalProcesses.stop(haproxy);
    }
    try {
      Files.deleteIfExists(socket);
      Files.deleteIfExists(socket.getParent());
    } catch (IOException e) {
      // a leftover empty temp dir is harmless
    }
  }
}
