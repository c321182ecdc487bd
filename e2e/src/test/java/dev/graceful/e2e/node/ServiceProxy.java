package dev.graceful.e2e.node;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Stands in for kube-proxy for one Service: for each named port, accepts connections on loopback and sends each
 * new one to an endpoint the EndpointSlices last showed ready (falling back to serving terminating ones, as
 * kube-proxy does when none is ready). Changes apply after the sync delay; established connections stay with their
 * backend, as with iptables and conntrack.
 */
public final class ServiceProxy implements AutoCloseable {

  /** Where a Service port's traffic may go right now. */
  private record Backends(List<String> addresses, Map<String, Integer> ports) {
  }

  private final Vertx vertx;
  private final KubernetesClient client;
  private final String namespace;
  private final String service;
  private final Duration syncDelay;
  private final NetClient net;
  private final AtomicReference<Backends> backends = new AtomicReference<>(new Backends(List.of(), Map.of()));
  private final AtomicInteger next = new AtomicInteger();
  private final Map<String, Integer> listening = new ConcurrentHashMap<>();
  private final List<NetServer> servers = new ArrayList<>();
  private SharedIndexInformer<EndpointSlice> informer;

  public ServiceProxy(Vertx vertx, KubernetesClient client, String namespace, String service, Duration syncDelay) {
    this.vertx = vertx;
    this.client = client;
    this.namespace = namespace;
    this.service = service;
    this.syncDelay = syncDelay;
    this.net = vertx.createNetClient();
  }

  /** Listens for each of {@code portNames} on a free loopback port; returns port name to local port. */
  public Map<String, Integer> start(List<String> portNames) {
    informer = client.discovery().v1().endpointSlices().inNamespace(namespace)
        .withLabel("kubernetes.io/service-name", service)
        .inform(new ResourceEventHandler<>() {
          @Override
          public void onAdd(EndpointSlice s) {
            scheduleSync();
          }

          @Override
          public void onUpdate(EndpointSlice a, EndpointSlice b) {
            scheduleSync();
          }

          @Override
          public void onDelete(EndpointSlice s, boolean unknown) {
            scheduleSync();
          }
        });
    for (String portName : portNames) {
      NetServer server = vertx.createNetServer().connectHandler(socket -> forward(portName, socket));
      int port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().join().actualPort();
      servers.add(server);
      listening.put(portName, port);
    }
    return Map.copyOf(listening);
  }

  private void scheduleSync() {
    Runnable sync = () -> backends.set(compute(informer.getStore().list()));
    if (syncDelay.isZero()) {
      sync.run();
    } else {
      vertx.setTimer(syncDelay.toMillis(), id -> sync.run());
    }
  }

  private static Backends compute(List<EndpointSlice> slices) {
    List<String> ready = new ArrayList<>();
    List<String> servingTerminating = new ArrayList<>();
    Map<String, Integer> ports = new ConcurrentHashMap<>();
    for (EndpointSlice slice : slices) {
      for (EndpointPort p : slice.getPorts() == null ? List.<EndpointPort>of() : slice.getPorts()) {
        if (p.getName() != null && p.getPort() != null) {
          ports.put(p.getName(), p.getPort());
        }
      }
      for (Endpoint e : slice.getEndpoints() == null ? List.<Endpoint>of() : slice.getEndpoints()) {
        var c = e.getConditions();
        boolean isReady = c == null || c.getReady() == null || c.getReady();
        boolean serving = c == null || c.getServing() == null ? isReady : c.getServing();
        (isReady ? ready : serving ? servingTerminating : new ArrayList<String>()).addAll(e.getAddresses());
      }
    }
    return new Backends(ready.isEmpty() ? servingTerminating : ready, ports);
  }

  private void forward(String portName, NetSocket downstream) {
    Backends now = backends.get();
    Integer port = now.ports().get(portName);
    if (now.addresses().isEmpty() || port == null) {
      downstream.close(); // no endpoint: the connection is refused, as with a REJECT rule
      return;
    }
    String address = PodAddresses.loopbackFor(now.addresses().get(Math.floorMod(next.getAndIncrement(), now.addresses().size())));
    downstream.pause();
    net.connect(port, address).onComplete(ar -> {
      if (ar.failed()) {
        downstream.close();
        return;
      }
      NetSocket upstream = ar.result();
      upstream.closeHandler(v -> downstream.close());
      downstream.closeHandler(v -> upstream.close());
      downstream.pipeTo(upstream);
      upstream.pipeTo(downstream);
      downstream.resume();
    });
  }

  /** The endpoints new connections go to now. */
  public List<String> endpoints() {
    return backends.get().addresses();
  }

  @Override
  public void close() {
    if (informer != null) {
      informer.stop();
    }
    servers.forEach(NetServer::close);
  }
}
