package dev.graceful.runtime.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graceful.runtime.config.ConfigLoader;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When READY must wait for the own pod's read, as far as a mesh proxy is concerned (issue #17). */
class ReadinessNeedsPodReadTest {

  private static boolean needsRead(String... keyValues) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return new SidecarSupport(ConfigLoader.load(env).sidecar(), null).readinessNeedsPodRead();
  }

  private static final String ISTIO = "POD_ANNOTATION_ISTIO_STATUS";
  private static final String LINKERD = "POD_ANNOTATION_LINKERD_PROXY_VERSION";

  @Test
  void withoutTheAnnotationsPassedInAProxyMayBeThereSoReadinessWaits() {
    assertEquals(true, needsRead());
    assertEquals(true, needsRead(ISTIO, ""), "one of the two is not enough: Linkerd may have injected one");
  }

  @Test
  void bothAnnotationsPassedInAndEmptyRuleOutAnInjectedProxy() {
    assertEquals(false, needsRead(ISTIO, "", LINKERD, ""));
    assertEquals(false, needsRead(ISTIO, "  ", LINKERD, ""), "blank is empty");
  }

  @Test
  void anInjectionNamedByEitherAnnotationKeepsTheWait() {
    assertEquals(true, needsRead(ISTIO, "{\"containers\":[\"istio-proxy\"]}", LINKERD, ""));
    assertEquals(true, needsRead(ISTIO, "", LINKERD, "edge-26.8.3"));
  }

  @Test
  void settingsThatNameOrWaitForAProxyKeepTheWaitAndOffDropsIt() {
    assertEquals(true, needsRead(ISTIO, "", LINKERD, "", "GRACEFUL_SIDECAR_READY_URL", "http://127.0.0.1:15021/healthz/ready"));
    assertEquals(true, needsRead(ISTIO, "", LINKERD, "", "GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES", "true"));
    assertEquals(false, needsRead("GRACEFUL_SIDECAR", "off"), "no proxy is ever waited for");
  }
}
