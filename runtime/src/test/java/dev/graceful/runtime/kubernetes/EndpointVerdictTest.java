package dev.graceful.runtime.kubernetes;

import static dev.graceful.runtime.kubernetes.MockCluster.IDENTITY;
import static dev.graceful.runtime.kubernetes.MockCluster.POD_UID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointVerdictTest {

  private static EndpointSlice slice(Endpoint... endpoints) {
    return new EndpointSliceBuilder().withNewMetadata().withName("s").endMetadata()
        .withEndpoints(Arrays.asList(endpoints)).build();
  }

  private static EndpointBuilder ours(Boolean ready, Boolean serving) {
    return new EndpointBuilder().addToAddresses("127.0.0.11")
        .withNewConditions().withReady(ready).withServing(serving).endConditions()
        .withNewTargetRef().withKind("Pod").withName("web-1").withUid(POD_UID).endTargetRef();
  }

  @Test
  void readyOrServingStillRoutes() {
    assertFalse(EndpointVerdict.of(List.of(slice(ours(true, true).build())), IDENTITY, POD_UID).drained());
    assertFalse(EndpointVerdict.of(List.of(slice(ours(false, true).build())), IDENTITY, POD_UID).drained(),
        "terminating but serving: still in kube-proxy's fallback set");
    assertTrue(EndpointVerdict.of(List.of(slice(ours(false, false).build())), IDENTITY, POD_UID).drained());
  }

  @Test
  void missingConditionsCountAsReadyAndServingFollowsReady() {
    assertFalse(EndpointVerdict.of(List.of(slice(ours(null, null).build())), IDENTITY, POD_UID).drained());
    assertTrue(EndpointVerdict.of(List.of(slice(ours(false, null).build())), IDENTITY, POD_UID).drained());
    assertFalse(EndpointVerdict.of(List.of(slice(new EndpointBuilder().addToAddresses("127.0.0.11").build())), IDENTITY, POD_UID).drained());
  }

  @Test
  void otherPodsAndEmptyOrMalformedSlicesDoNotCount() {
    Endpoint otherPodSameIp = new EndpointBuilder().addToAddresses("127.0.0.11")
        .withNewConditions().withReady(true).endConditions()
        .withNewTargetRef().withKind("Pod").withName("web-9").withUid("someone-else").endTargetRef().build();
    assertTrue(EndpointVerdict.of(List.of(slice(otherPodSameIp)), IDENTITY, POD_UID).drained(),
        "a targetRef to another pod wins over a reused address");
    assertTrue(EndpointVerdict.of(List.of(), IDENTITY, POD_UID).drained());
    assertTrue(EndpointVerdict.of(Arrays.asList(null, new EndpointSlice(), slice((Endpoint) null)), IDENTITY, POD_UID).drained());
  }

  @Test
  void reportsWhichSlicesStillRoute() {
    EndpointVerdict verdict = EndpointVerdict.of(List.of(slice(ours(false, true).build())), IDENTITY, POD_UID);
    assertEquals(List.of("s: ready=false,serving=true"), verdict.stillServing());
  }
}
