package dev.graceful.runtime.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.config.ConfigException;
import dev.graceful.runtime.config.ConfigLoader;
import dev.graceful.runtime.config.KubernetesSettings;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Which pod the process runs in, and whether the Kubernetes features turn on at all. */
@ExtendWith(VertxExtension.class)
class PodIdentityTest {

  @TempDir
  Path serviceAccount;
  @TempDir
  Path home;

  private static final Map<String, String> DOWNWARD_API = Map.of("POD_NAME", "web-1", "POD_NAMESPACE", "shop");

  private static KubernetesSettings kubernetes(String mode) {
    return ConfigLoader.load(Map.of("GRACEFUL_KUBERNETES", mode)).kubernetes();
  }

  @Test
  void theDownwardApiComesFirst() {
    PodIdentity pod = PodIdentity.detect(Map.of("POD_NAME", "web-1", "POD_NAMESPACE", "shop", "POD_IP", "10.1.2.3",
        "HOSTNAME", "some-host"), serviceAccount).orElseThrow();
    assertEquals(new PodIdentity("web-1", "shop", Optional.of("10.1.2.3")), pod);
  }

  @Test
  void withoutPodNameTheHostnameIsThePodName() {
    assertEquals("web-7", PodIdentity.detect(Map.of("HOSTNAME", "web-7", "POD_NAMESPACE", "shop"), serviceAccount)
        .orElseThrow().name());
    assertEquals("web-7", PodIdentity.detect(Map.of("POD_NAME", " ", "HOSTNAME", "web-7", "POD_NAMESPACE", "shop"),
        serviceAccount).orElseThrow().name(), "a blank POD_NAME counts as unset");
  }

  @Test
  void withoutPodNamespaceTheServiceAccountsNamespaceFile() throws IOException {
    Files.writeString(serviceAccount.resolve("namespace"), "shop\n");
    PodIdentity pod = PodIdentity.detect(Map.of("POD_NAME", "web-1"), serviceAccount).orElseThrow();
    assertEquals("shop", pod.namespace());
    assertEquals(Optional.empty(), pod.ip());
  }

  @Test
  void noNameOrNoNamespaceIsNoPod() {
    assertEquals(Optional.empty(), PodIdentity.detect(Map.of(), serviceAccount));
    assertEquals(Optional.empty(), PodIdentity.detect(Map.of("POD_NAME", "web-1"), serviceAccount), "no namespace file");
    assertEquals(Optional.empty(), PodIdentity.detect(Map.of("POD_NAMESPACE", "shop"), serviceAccount));
  }

  @Test
  void inAPodAutoTurnsTheFeaturesOnAndFalseKeepsThemOff(Vertx vertx) throws IOException {
    Files.writeString(serviceAccount.resolve("token"), "a-token");
    Optional<KubernetesIntegration> auto = KubernetesIntegration.fromEnvironment(kubernetes("auto"), DOWNWARD_API, vertx,
        serviceAccount, home);
    assertTrue(auto.isPresent(), "a service-account token and a pod identity: in a pod");
    auto.get().close();
    assertEquals(Optional.empty(), KubernetesIntegration.fromEnvironment(kubernetes("false"), DOWNWARD_API, vertx,
        serviceAccount, home), "GRACEFUL_KUBERNETES=false: off even in a pod");
  }

  @Test
  void aTokenWhereFabric8sSettingNamesItIsAPodToo(Vertx vertx, @TempDir Path elsewhere) throws IOException {
    Path token = elsewhere.resolve("token");
    Map<String, String> env = new java.util.HashMap<>(DOWNWARD_API);
    env.put(KubernetesIntegration.TOKEN_FILE_VARIABLE, token.toString());
    assertEquals(Optional.empty(), KubernetesIntegration.fromEnvironment(kubernetes("auto"), env, vertx, serviceAccount, home),
        "the named token file does not exist yet");
    Files.writeString(token, "a-token");
    assertTrue(KubernetesIntegration.fromEnvironment(kubernetes("auto"), env, vertx, serviceAccount, home).isPresent(),
        "the token where KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN names it, as fabric8 reads it");
  }

  @Test
  void outsideAPodAutoIsOffAndTrueIsAConfigurationError(Vertx vertx) {
    assertEquals(Optional.empty(), KubernetesIntegration.fromEnvironment(kubernetes("auto"), DOWNWARD_API, vertx,
        serviceAccount, home), "no token, no kubeconfig");
    ConfigException e = assertThrows(ConfigException.class, () -> KubernetesIntegration.fromEnvironment(
        kubernetes("true"), DOWNWARD_API, vertx, serviceAccount, home));
    assertTrue(e.getMessage().contains("no service-account token"), e.getMessage());
  }
}
