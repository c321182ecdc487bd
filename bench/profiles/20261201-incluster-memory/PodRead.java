import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.client.utils.Serialization;
public class PodRead {
  public static void main(String[] a) throws Exception {
    String json = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"d\",\"labels\":{\"app\":\"x\"}},\"spec\":{\"terminationGracePeriodSeconds\":30,\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"ports\":[{\"containerPort\":8080}],\"readinessProbe\":{\"httpGet\":{\"path\":\"/r\",\"port\":9000}},\"env\":[{\"name\":\"A\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}],\"resources\":{\"limits\":{\"memory\":\"512Mi\"}},\"securityContext\":{\"runAsUser\":10001}}],\"volumes\":[{\"name\":\"t\",\"emptyDir\":{}}],\"readinessGates\":[{\"conditionType\":\"x\"}]},\"status\":{\"podIP\":\"1.2.3.4\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}";
    if (a[0].equals("typed")) {
      Pod p = Serialization.unmarshal(json, Pod.class);
      System.out.println(p.getSpec().getTerminationGracePeriodSeconds());
    } else {
      GenericKubernetesResource g = Serialization.unmarshal(json, GenericKubernetesResource.class);
      System.out.println(g.getAdditionalProperties().get("spec"));
    }
  }
}
