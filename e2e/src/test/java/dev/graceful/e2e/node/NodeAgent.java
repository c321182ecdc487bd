package dev.graceful.e2e.node;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

/**
 * Stands in for the kubelet (and the scheduler) on one registered Node: binds pending pods to it, runs each pod's
 * container with podman on its own loopback address, runs the probes the pod spec declares and writes the pod
 * status, and on deletion sends SIGTERM, then SIGKILL at the pod's deadline, then removes the pod object.
 */
public final class NodeAgent implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(NodeAgent.class.getName());

  /**
   * @param nodeName       the Node to register and bind pods to
   * @param apiPort        the API server's port on 127.0.0.1, handed to pods as KUBERNETES_SERVICE_PORT
   * @param caCertificate  the cluster CA, mounted into pods with their token
   * @param work           where pod token directories go
   * @param containersConf podman's containers.conf (the only one podman reads)
   */
  public record Settings(String nodeName, int apiPort, Path caCertificate, Path work, Path containersConf) {
  }

  private final KubernetesClient client;
  private final Settings settings;
  private final Podman podman;
  private final PodAddresses addresses = new PodAddresses();
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(4);
  private final ExecutorService starter = Executors.newFixedThreadPool(3);
  private final Map<String, PodRunner> runners = new ConcurrentHashMap<>();
  private final List<PodTimeline> finished = new ArrayList<>();
  private final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Problems not yet taken by {@link #takeProblems()}. */
  private final java.util.concurrent.ConcurrentLinkedQueue<String> untaken = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private SharedIndexInformer<Pod> informer;
  private volatile java.util.function.Consumer<String> beforeSigterm = podName -> { };
  private volatile boolean apiServerDown;

  public NodeAgent(KubernetesClient client, Settings settings) {
    this.client = client;
    this.settings = settings;
    this.podman = new Podman(settings.containersConf());
  }

  public NodeAgent start() {
    Node node = new NodeBuilder().withNewMetadata().withName(settings.nodeName())
        .addToLabels("kubernetes.io/hostname", settings.nodeName()).endMetadata()
        .withNewStatus()
          .addNewCondition().withType("Ready").withStatus("True").withReason("NodeAgentReady")
            .withLastHeartbeatTime(Instant.now().toString()).withLastTransitionTime(Instant.now().toString()).endCondition()
          .addNewAddress().withType("InternalIP").withAddress("127.0.0.1").endAddress()
          .addToCapacity("cpu", new io.fabric8.kubernetes.api.model.Quantity("2"))
          .addToCapacity("memory", new io.fabric8.kubernetes.api.model.Quantity("24Gi"))
          .addToCapacity("pods", new io.fabric8.kubernetes.api.model.Quantity("110"))
        .endStatus().build();
    Node created = client.nodes().resource(node).createOr(existing -> existing.update());
    // Status is a subresource: written separately, as the kubelet does.
    created.setStatus(node.getStatus());
    client.nodes().resource(created).updateStatus();
    informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        handle(pod);
      }

      @Override
      public void onUpdate(Pod before, Pod pod) {
        handle(pod);
      }

      @Override
      public void onDelete(Pod pod, boolean unknownFinalState) {
        PodRunner runner = runners.remove(key(pod));
        if (runner != null) {
          runner.kill();
          addresses.release(runner.addresses());
        }
      }
    });
    return this;
  }

  private static String key(Pod pod) {
    return pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName() + "/" + pod.getMetadata().getUid();
  }

  private void handle(Pod pod) {
    String nodeName = pod.getSpec().getNodeName();
    boolean deleting = pod.getMetadata().getDeletionTimestamp() != null;
    if (nodeName == null && !deleting) {
      bind(pod);
      return;
    }
    if (!settings.nodeName().equals(nodeName)) {
      return;
    }
    String key = key(pod);
    PodRunner runner = runners.get(key);
    if (runner == null && !deleting) {
      PodRunner created = new PodRunner(client, podman, scheduler, settings, pod, addresses.take(), this::problem);
      if (runners.putIfAbsent(key, created) == null) {
        starter.execute(() -> {
          try {
            created.start();
          } catch (RuntimeException e) {
            created.startFailed();
            problem("cannot start pod " + key + ": " + e.getMessage());
          }
        });
      }
      return;
    }
    if (runner == null) {
      // Deleted before it ran: nothing to stop.
      client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
      return;
    }
    // Status keeps following the pod while it terminates (a readiness gate set False must still count).
    runner.updated(pod);
    if (deleting) {
      long grace = pod.getMetadata().getDeletionGracePeriodSeconds() == null ? 30 : pod.getMetadata().getDeletionGracePeriodSeconds();
      String podName = pod.getMetadata().getName();
      runner.terminate(grace, () -> beforeSigterm.accept(podName), () -> {
        synchronized (finished) {
          finished.add(runner.timeline());
        }
      });
    }
  }

  private void bind(Pod pod) {
    PodBinder.bind(client, pod, settings.nodeName());
  }

  /**
   * Runs {@code hook} with the pod's name after the agent has seen a deletion and before it sends SIGTERM, so a
   * test can change the world at exactly that moment (stop the API server, for one).
   */
  public void beforeSigterm(java.util.function.Consumer<String> hook) {
    this.beforeSigterm = hook;
  }

  /** Names of the pods that have been sent SIGTERM. */
  public java.util.Set<String> signalled() {
    java.util.Set<String> names = new java.util.HashSet<>();
    runners.forEach((key, runner) -> {
      if (runner.timeline().sigterm() != null) {
        names.add(key.split("/")[1]);
      }
    });
    synchronized (finished) {
      finished.forEach(t -> names.add(t.pod().substring(t.pod().indexOf('/') + 1)));
    }
    return names;
  }

  /** Timelines of the pods that were terminated and removed, in the order they went. */
  public List<PodTimeline> terminated() {
    synchronized (finished) {
      return List.copyOf(finished);
    }
  }

  private void problem(String what) {
    LOG.severe(what);
    problems.add(what);
    if (!apiServerDown) {
      untaken.add(what);
    }
  }

  /**
   * The test stopped the API server on purpose: what fails on the node meanwhile (a new pod's token request) is kept
   * for {@link #problems()} but not reported to waiting scenarios as a failure.
   */
  public void apiServerDown(boolean down) {
    this.apiServerDown = down;
  }

  /** What went wrong on the node (pods that could not start, containers that exited on their own), ever. */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  /** The problems since the last call, so a waiting test fails at once with their causes. */
  public List<String> takeProblems() {
    List<String> taken = new ArrayList<>();
    for (String p; (p = untaken.poll()) != null; ) {
      taken.add(p);
    }
    return taken;
  }

  /** The logs of a running pod's container, for diagnosing a failed test. */
  public String logs(String namespace, String name) {
    return runners.entrySet().stream().filter(e -> e.getKey().startsWith(namespace + "/" + name + "/"))
        .map(e -> e.getValue().logs()).findFirst().orElse("(no such pod on this node)");
  }

  @Override
  public void close() {
    if (informer != null) {
      informer.stop();
    }
    runners.values().forEach(PodRunner::kill);
    runners.clear();
    starter.shutdownNow();
    scheduler.shutdownNow();
  }
}
