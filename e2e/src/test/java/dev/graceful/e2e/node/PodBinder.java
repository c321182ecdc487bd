package dev.graceful.e2e.node;

import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.logging.Logger;

/**
 * Stands in for the scheduler on a one-node cluster: binds every pending pod to the node, as kube-scheduler would
 * when that node is the only one (no filtering, no scoring: the scenarios never need a choice).
 */
public final class PodBinder implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(PodBinder.class.getName());
  private final SharedIndexInformer<Pod> informer;

  private PodBinder(SharedIndexInformer<Pod> informer) {
    this.informer = informer;
  }

  /** Watches all namespaces and binds each unbound, undeleted pod to {@code nodeName}. */
  public static PodBinder start(KubernetesClient client, String nodeName) {
    return new PodBinder(client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        bindIfPending(client, pod, nodeName);
      }

      @Override
      public void onUpdate(Pod before, Pod pod) {
        bindIfPending(client, pod, nodeName);
      }

      @Override
      public void onDelete(Pod pod, boolean unknownFinalState) {
      }
    }));
  }

  private static void bindIfPending(KubernetesClient client, Pod pod, String nodeName) {
    if (pod.getSpec().getNodeName() == null && pod.getMetadata().getDeletionTimestamp() == null) {
      bind(client, pod, nodeName);
    }
  }

  /** Binds one pod; an older event for a pod already bound, or gone, is not an error. */
  public static void bind(KubernetesClient client, Pod pod, String nodeName) {
    try {
      client.bindings().inNamespace(pod.getMetadata().getNamespace()).resource(new BindingBuilder()
          .withNewMetadata().withName(pod.getMetadata().getName()).withNamespace(pod.getMetadata().getNamespace()).endMetadata()
          .withNewTarget().withKind("Node").withApiVersion("v1").withName(nodeName).endTarget()
          .build()).create();
    } catch (RuntimeException e) {
      LOG.fine("bind " + pod.getMetadata().getName() + ": " + e.getMessage());
    }
  }

  @Override
  public void close() {
    informer.stop();
  }
}
