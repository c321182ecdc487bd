package dev.graceful.runtime.kubernetes;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * fabric8's mock API server in CRUD mode (expectations, where set, answer first) with one pod, {@code shop/web-1},
 * and helpers to shape its Services and EndpointSlices.
 */
public final class MockCluster implements AutoCloseable {

  public static final String NAMESPACE = "shop";
  public static final String POD = "web-1";
  /** The uid the runtime learns; the mock server assigns the real one when the pod is created. */
  static final String POD_UID = "0b6c3a0e-1111-4e7c-9a53-000000000001";
  private volatile String podUid = POD_UID;
  public static final PodIdentity IDENTITY = new PodIdentity(POD, NAMESPACE, Optional.of("127.0.0.11"));

  public final KubernetesMockServer server;
  /** Requests whose path matches answer 403 Forbidden, as with a Role that lacks the rule. */
  volatile Predicate<String> forbidden = path -> false;
  /** How long the body of the answer to a path is held back, as by an overloaded API server. */
  volatile Function<String, Duration> slowAnswer = path -> Duration.ZERO;
  /** How many requests arrived, by path (query included). */
  final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
  /** The open watches of EndpointSlices, server side. */
  private final Set<WebSocket> sliceWatches = ConcurrentHashMap.newKeySet();
  private static final String GONE = "{\"type\":\"ERROR\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Status\","
      + "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version\",\"reason\":\"Expired\",\"code\":410}}";
  /** A client straight to the mock server, for arranging and inspecting. */
  public final KubernetesClient admin;

  /** From now on, answers to the paths {@code slow} names come after the delay it gives (zero: at once). */
  public void slowAnswers(Function<String, Duration> slow) {
    this.slowAnswer = slow;
  }

  /** How many requests the server has received for exactly this path (query included). */
  public int received(String path) {
    AtomicInteger count = received.get(path);
    return count == null ? 0 : count.get();
  }

  public MockCluster() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    KubernetesMixedDispatcher dispatcher = new KubernetesMixedDispatcher(responses) {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        if (forbidden.test(request.getPath())) {
          return new MockResponse().setResponseCode(403).setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\","
              + "\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403,\"message\":\"" + request.getPath()
              + " is forbidden: User \\\"system:serviceaccount:shop:web\\\" cannot list resource\"}");
        }
        received.computeIfAbsent(request.getPath(), p -> new AtomicInteger()).incrementAndGet();
        MockResponse response = super.dispatch(request);
        Duration slow = slowAnswer.apply(request.getPath());
        if (!slow.isZero()) {
          response.setBodyDelay(slow);
        }
        if (request.getPath().contains("/endpointslices") && request.getPath().contains("watch=true")
            && response.getWebSocketListener() != null) {
          response.withWebSocketUpgrade(new TrackedWatch(response.getWebSocketListener(), sliceWatches));
        }
        return response;
      }
    };
    server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), responses,
        dispatcher, false);
    server.init();
    // Arranging is not under test: a cold JVM on a loaded machine can take seconds over its first request.
    admin = clientAt(server.getPort(), 15_000);
  }

  /** A client like the runtime's: short timeouts, no retries, quick watch reconnects. */
  public static KubernetesClient clientAt(int port) {
    return clientAt(port, 1000);
  }

  static KubernetesClient clientAt(int port, int timeoutMs) {
    return new KubernetesClientBuilder().withConfig(new ConfigBuilder()
        .withMasterUrl("http://127.0.0.1:" + port)
        .withNamespace(NAMESPACE)
        .withRequestTimeout(timeoutMs)
        .withConnectionTimeout(timeoutMs)
        .withRequestRetryBackoffLimit(0)
        .withWatchReconnectInterval(100)
        .build()).build();
  }

  Pod pod(long terminationGraceSeconds, String... readinessGates) {
    PodBuilder pod = new PodBuilder()
        .withNewMetadata().withName(POD).withNamespace(NAMESPACE).withUid(POD_UID).addToLabels("app", "web").endMetadata()
        .withNewSpec().withTerminationGracePeriodSeconds(terminationGraceSeconds).endSpec();
    for (String gate : readinessGates) {
      pod.editSpec().addNewReadinessGate().withConditionType(gate).endReadinessGate().endSpec();
    }
    Pod created = admin.pods().inNamespace(NAMESPACE).resource(pod.build()).create();
    podUid = created.getMetadata().getUid();
    return created;
  }

  /** Creates this pod from a full spec (e.g. a fixture as a mesh injects it), renamed to {@code shop/web-1}. */
  public Pod pod(Pod spec) {
    spec.getMetadata().setName(POD);
    spec.getMetadata().setNamespace(NAMESPACE);
    spec.getMetadata().setUid(POD_UID);
    spec.getMetadata().setResourceVersion(null);
    Pod created = admin.pods().inNamespace(NAMESPACE).resource(spec).create();
    podUid = created.getMetadata().getUid();
    return created;
  }

  /** A kubeconfig for a child JVM: this server, namespace {@code shop}. */
  public String kubeconfig() {
    return "apiVersion: v1\nkind: Config\n"
        + "clusters:\n- name: mock\n  cluster:\n    server: http://127.0.0.1:" + server.getPort() + "\n"
        + "users:\n- name: mock\n  user:\n    token: mock\n"
        + "contexts:\n- name: mock\n  context:\n    cluster: mock\n    user: mock\n    namespace: " + NAMESPACE + "\n"
        + "current-context: mock\n";
  }

  String podUid() {
    return podUid;
  }

  /** From now on, GETs of the pod answer that it is being deleted (the CRUD store ignores client-set deletion). */
  public void deleting(java.time.Instant deletionTimestamp, long gracePeriodSeconds) {
    deleting(deletionTimestamp.toString(), gracePeriodSeconds);
  }

  /** {@link #deleting(java.time.Instant, long)} with the fields as written, e.g. a malformed timestamp or no grace. */
  void deleting(String deletionTimestamp, Long gracePeriodSeconds) {
    Pod pod = admin.pods().inNamespace(NAMESPACE).withName(POD).get();
    pod.getMetadata().setDeletionTimestamp(deletionTimestamp);
    pod.getMetadata().setDeletionGracePeriodSeconds(gracePeriodSeconds);
    server.expect().get().withPath("/api/v1/namespaces/" + NAMESPACE + "/pods/" + POD).andReturn(200, pod).always();
  }

  /**
   * Tells every open watch of EndpointSlices that its resourceVersion expired (410 Gone), as the API server does when
   * a watch fell too far behind: the informer must list again to catch up.
   */
  void expireSliceWatches() {
    openSliceWatches().forEach(ws -> ws.send(GONE));
  }

  /** Closes every open watch of EndpointSlices from the server side: the client reconnects on its own. */
  void closeSliceWatches() {
    openSliceWatches().forEach(ws -> ws.close(1000, "closed by the test"));
  }

  /** The open watches, waiting (bounded) for the server side of a watch the client already has to open. */
  private Set<WebSocket> openSliceWatches() {
    long deadline = System.nanoTime() + 5_000_000_000L;
    synchronized (sliceWatches) {
      while (sliceWatches.isEmpty()) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          throw new AssertionError("no open watch of EndpointSlices");
        }
        try {
          sliceWatches.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted");
        }
      }
      return Set.copyOf(sliceWatches);
    }
  }

  /** Hands everything to the CRUD dispatcher's watch, remembering the socket while it is open. */
  private static final class TrackedWatch extends WebSocketListener {

    private final WebSocketListener watch;
    private final Set<WebSocket> open;

    TrackedWatch(WebSocketListener watch, Set<WebSocket> open) {
      this.watch = watch;
      this.open = open;
    }

    @Override
    public void onBeforeAccept(WebSocket webSocket, Response response) {
      watch.onBeforeAccept(webSocket, response);
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      watch.onOpen(webSocket, response);
      synchronized (open) {
        open.add(webSocket);
        open.notifyAll();
      }
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      watch.onMessage(webSocket, text);
    }

    @Override
    public void onMessage(WebSocket webSocket, byte[] bytes) {
      watch.onMessage(webSocket, bytes);
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      open.remove(webSocket);
      watch.onClosing(webSocket, code, reason);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      open.remove(webSocket);
      watch.onClosed(webSocket, code, reason);
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable error, Response response) {
      open.remove(webSocket);
      watch.onFailure(webSocket, error, response);
    }
  }

  Service service(String name, Map<String, String> selector, boolean publishNotReadyAddresses) {
    return admin.services().inNamespace(NAMESPACE).resource(new ServiceBuilder()
        .withNewMetadata().withName(name).withNamespace(NAMESPACE).endMetadata()
        .withNewSpec().withSelector(selector).withPublishNotReadyAddresses(publishNotReadyAddresses)
        .addNewPort().withPort(80).endPort().endSpec()
        .build()).create();
  }

  /** A slice of {@code service} listing this pod (and another pod, which must never matter) with the given conditions. */
  EndpointSlice slice(String name, String service, Boolean ready, Boolean serving) {
    return admin.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(sliceObject(name, service, ready, serving))
        .create();
  }

  /** Sets this pod's conditions in an existing slice, as the EndpointSlice controller does. */
  void flip(String name, String service, Boolean ready, Boolean serving) {
    admin.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(sliceObject(name, service, ready, serving)).update();
  }

  private EndpointSlice sliceObject(String name, String service, Boolean ready, Boolean serving) {
    return new EndpointSliceBuilder()
        .withNewMetadata().withName(name).withNamespace(NAMESPACE)
        .addToLabels(EndpointsDrainedWait.SERVICE_NAME_LABEL, service).endMetadata()
        .withAddressType("IPv4")
        .addNewEndpoint().addToAddresses("127.0.0.11")
          .withNewConditions().withReady(ready).withServing(serving).withTerminating(!Boolean.TRUE.equals(ready)).endConditions()
          .withNewTargetRef().withKind("Pod").withName(POD).withNamespace(NAMESPACE).withUid(podUid).endTargetRef()
        .endEndpoint()
        .addNewEndpoint().addToAddresses("127.0.0.12")
          .withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions()
          .withNewTargetRef().withKind("Pod").withName("web-2").withNamespace(NAMESPACE).withUid("other-uid").endTargetRef()
        .endEndpoint()
        .build();
  }

  @Override
  public void close() {
    admin.close();
    server.destroy();
  }
}
