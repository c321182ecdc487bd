package dev.graceful.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.fixtures.DemoPlusHangingStop;
import dev.graceful.runtime.fixtures.HangingStopVerticle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

  @Test
  void defaults() {
    RuntimeConfig c = ConfigLoader.load(Map.of());
    assertEquals("0.0.0.0", c.host());
    assertEquals(8080, c.httpPort());
    assertEquals(9090, c.grpcPort());
    assertEquals(9000, c.managementPort());
    assertEquals(Duration.ofSeconds(25), c.shutdownTimeout());
    assertEquals(Duration.ofSeconds(5), c.drainDelay());
    assertEquals(Duration.ofSeconds(5), c.stopTimeout());
    assertEquals(Duration.ofSeconds(60), c.startTimeout());
    assertEquals(List.of(), c.verticles());
    assertTrue(c.grpcTls().isEmpty());
    assertEquals(KubernetesSettings.Mode.AUTO, c.kubernetes().mode());
    assertEquals(0.5, c.kubernetes().endpointWaitShare());
    assertEquals(Duration.ofSeconds(2), c.kubernetes().propagationDelay());
    assertEquals(Duration.ofMillis(500), c.kubernetes().deadlineMargin());
    assertTrue(c.kubernetes().readinessGate().isEmpty());
    assertEquals(Duration.ofSeconds(2), c.kubernetes().apiTimeout());
  }

  @Test
  void readsKubernetesSettings() {
    KubernetesSettings k = ConfigLoader.load(Map.of("GRACEFUL_KUBERNETES", "true", "GRACEFUL_ENDPOINT_WAIT_SHARE", "30%",
        "GRACEFUL_PROPAGATION_DELAY", "5s", "GRACEFUL_DEADLINE_MARGIN", "500ms",
        "GRACEFUL_READINESS_GATE", "graceful.dev/serving", "GRACEFUL_KUBERNETES_TIMEOUT", "3s")).kubernetes();
    assertEquals(KubernetesSettings.Mode.ON, k.mode());
    assertEquals(0.3, k.endpointWaitShare());
    assertEquals(Duration.ofSeconds(5), k.propagationDelay());
    assertEquals(Duration.ofMillis(500), k.deadlineMargin());
    assertEquals("graceful.dev/serving", k.readinessGate().orElseThrow());
    assertEquals(Duration.ofSeconds(3), k.apiTimeout());
    assertEquals(KubernetesSettings.Mode.OFF, ConfigLoader.load(Map.of("GRACEFUL_KUBERNETES", "false")).kubernetes().mode());
  }

  @Test
  void readsEverySetting() {
    RuntimeConfig c = ConfigLoader.load(Map.of(
        "GRACEFUL_HOST", "127.0.0.1", "GRACEFUL_HTTP_PORT", "8081", "GRACEFUL_GRPC_PORT", "9091",
        "GRACEFUL_MANAGEMENT_PORT", "9001", "GRACEFUL_SHUTDOWN_TIMEOUT", "1m", "GRACEFUL_DRAIN_DELAY", "500ms",
        "GRACEFUL_STOP_TIMEOUT", "2s", "GRACEFUL_START_TIMEOUT", "1h",
        "GRACEFUL_VERTICLES", HangingStopVerticle.class.getName() + " , " + DemoPlusHangingStop.class.getName()));
    assertEquals("127.0.0.1", c.host());
    assertEquals(8081, c.httpPort());
    assertEquals(9091, c.grpcPort());
    assertEquals(9001, c.managementPort());
    assertEquals(Duration.ofMinutes(1), c.shutdownTimeout());
    assertEquals(Duration.ofMillis(500), c.drainDelay());
    assertEquals(Duration.ofSeconds(2), c.stopTimeout());
    assertEquals(Duration.ofHours(1), c.startTimeout());
    assertEquals(List.of(HangingStopVerticle.class, DemoPlusHangingStop.class), c.verticles());
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "GRACEFUL_SHUTDOWN_TIMEOUT | -5s   | GRACEFUL_SHUTDOWN_TIMEOUT='-5s': not a duration",
      "GRACEFUL_SHUTDOWN_TIMEOUT | 30    | GRACEFUL_SHUTDOWN_TIMEOUT='30': not a duration",
      "GRACEFUL_SHUTDOWN_TIMEOUT | 0     | GRACEFUL_SHUTDOWN_TIMEOUT='0': out of range; use 1s to 24h",
      "GRACEFUL_SHUTDOWN_TIMEOUT | 2562048h | GRACEFUL_SHUTDOWN_TIMEOUT='2562048h': number too large",
      "GRACEFUL_SHUTDOWN_TIMEOUT | 1000h | GRACEFUL_SHUTDOWN_TIMEOUT='1000h': out of range; use 1s to 24h",
      "GRACEFUL_SHUTDOWN_TIMEOUT | 9223372036854775807h | GRACEFUL_SHUTDOWN_TIMEOUT='9223372036854775807h': number too large",
      "GRACEFUL_SHUTDOWN_TIMEOUT | 99999999999999999999s | GRACEFUL_SHUTDOWN_TIMEOUT='99999999999999999999s': number too large",
      "GRACEFUL_DRAIN_DELAY      | 1.5s  | GRACEFUL_DRAIN_DELAY='1.5s': not a duration",
      "GRACEFUL_DRAIN_DELAY      | 20s   | GRACEFUL_DRAIN_DELAY='20s': GRACEFUL_DRAIN_DELAY + GRACEFUL_STOP_TIMEOUT (25s) must be less than GRACEFUL_SHUTDOWN_TIMEOUT (25s)",
      "GRACEFUL_START_TIMEOUT    | 0s    | GRACEFUL_START_TIMEOUT='0s': out of range; use 1s to 24h",
      "GRACEFUL_START_TIMEOUT    | 2562048h | GRACEFUL_START_TIMEOUT='2562048h': number too large",
      "GRACEFUL_DRAIN_DELAY      | 2h    | GRACEFUL_DRAIN_DELAY='2h': out of range; use 0 to 1h",
      "GRACEFUL_DEADLINE_MARGIN  | 2m    | GRACEFUL_DEADLINE_MARGIN='2m': out of range; use 100ms to 1m",
      "GRACEFUL_DEADLINE_MARGIN  | 0     | GRACEFUL_DEADLINE_MARGIN='0': out of range; use 100ms to 1m",
      "GRACEFUL_IDLE_TIMEOUT     | 0     | GRACEFUL_IDLE_TIMEOUT='0': out of range; use 1s to 24h",
      "GRACEFUL_MANAGEMENT_IDLE_TIMEOUT | 2h | GRACEFUL_MANAGEMENT_IDLE_TIMEOUT='2h': out of range; use 1s to 1h",
      "GRACEFUL_REQUEST_HEADER_TIMEOUT | 11m | GRACEFUL_REQUEST_HEADER_TIMEOUT='11m': out of range; use 1s to 10m",
      "GRACEFUL_HTTP2_MAX_CONCURRENT_STREAMS | 0 | GRACEFUL_HTTP2_MAX_CONCURRENT_STREAMS='0': out of range; write a whole number from 1 to 10000",
      "GRACEFUL_HTTP2_MAX_CONCURRENT_STREAMS | many | GRACEFUL_HTTP2_MAX_CONCURRENT_STREAMS='many': out of range; write a whole number from 1 to 10000",
      "GRACEFUL_MAX_CONNECTIONS  | 0     | GRACEFUL_MAX_CONNECTIONS='0': out of range; write a whole number from 1 to 1000000 or auto",
      "GRACEFUL_HTTP_PORT        | 65536 | GRACEFUL_HTTP_PORT='65536': port out of range",
      "GRACEFUL_HTTP_PORT        | -1    | GRACEFUL_HTTP_PORT='-1': port out of range",
      "GRACEFUL_GRPC_PORT        | http  | GRACEFUL_GRPC_PORT='http': not a port number",
      "GRACEFUL_GRPC_PORT        | 8080  | GRACEFUL_GRPC_PORT='8080': same port as GRACEFUL_HTTP_PORT",
      "GRACEFUL_MANAGEMENT_PORT  | 9090  | GRACEFUL_MANAGEMENT_PORT='9090': same port as GRACEFUL_GRPC_PORT",
      "GRACEFUL_HOST             | ' '   | GRACEFUL_HOST='': must not be empty",
      "GRACEFUL_VERTICLES        | com.example.Nope | GRACEFUL_VERTICLES='com.example.Nope': class com.example.Nope not found",
      "GRACEFUL_VERTICLES        | java.lang.String | GRACEFUL_VERTICLES='java.lang.String': java.lang.String is neither a Vert.x verticle",
      "GRACEFUL_GRPC_TLS_CERT    | /nonexistent.pem | GRACEFUL_GRPC_TLS_KEY='': must be set together with GRACEFUL_GRPC_TLS_CERT",
      "GRACEFUL_HTTP_PROT        | 8080  | GRACEFUL_HTTP_PROT='8080': unknown setting",
      "GRACEFUL_KUBERNETES       | yes   | GRACEFUL_KUBERNETES='yes': use auto, true or false",
      "GRACEFUL_ENDPOINT_WAIT_SHARE | 95% | GRACEFUL_ENDPOINT_WAIT_SHARE='95%': write a percentage from 1% to 90%",
      "GRACEFUL_ENDPOINT_WAIT_SHARE | 0.5 | GRACEFUL_ENDPOINT_WAIT_SHARE='0.5': write a percentage from 1% to 90%",
      "GRACEFUL_PROPAGATION_DELAY | 2 | GRACEFUL_PROPAGATION_DELAY='2': not a duration",
      "GRACEFUL_READINESS_GATE   | 'bad gate!' | GRACEFUL_READINESS_GATE='bad gate!': not a valid condition type",
      "GRACEFUL_KUBERNETES_TIMEOUT | 0 | GRACEFUL_KUBERNETES_TIMEOUT='0': out of range; use 100ms to 5m",
      "GRACEFUL_SIDECAR          | istio | GRACEFUL_SIDECAR='istio': use auto or off",
      "GRACEFUL_SIDECAR_READY_URL | localhost:15021/healthz/ready | GRACEFUL_SIDECAR_READY_URL='localhost:15021/healthz/ready': not an http URL",
      "GRACEFUL_SIDECAR_READY_URL | https://127.0.0.1:15021/healthz/ready | GRACEFUL_SIDECAR_READY_URL='https://127.0.0.1:15021/healthz/ready': not an http URL",
      "GRACEFUL_SIDECAR_QUIT_URL | 'http://[bad' | GRACEFUL_SIDECAR_QUIT_URL='http://[bad': not an http URL",
      "GRACEFUL_SIDECAR_READY_TIMEOUT | 0 | GRACEFUL_SIDECAR_READY_TIMEOUT='0': out of range; use 100ms to 1h",
      "GRACEFUL_SIDECAR_READY_TIMEOUT | 60 | GRACEFUL_SIDECAR_READY_TIMEOUT='60': not a duration",
      "GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES | yes | GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES='yes': use true or false",
      "GRACEFUL_VERTX_METRICS    | on    | GRACEFUL_VERTX_METRICS='on': use true or false",
      "GRACEFUL_SIDECAR_QUIT     | job   | GRACEFUL_SIDECAR_QUIT='job': use auto, always or never",
  })
  void rejectsBadValuesNamingSettingAndValue(String key, String value, String message) {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of(key, value)));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }

  @Test
  void sidecarDefaultsAndSettings() {
    SidecarSettings d = ConfigLoader.load(Map.of()).sidecar();
    assertEquals(SidecarSettings.Mode.AUTO, d.mode());
    assertTrue(d.readyUrl().isEmpty());
    assertEquals(Duration.ofSeconds(60), d.readyTimeout());
    assertEquals(false, d.waitBeforeVerticles());
    assertEquals(SidecarSettings.Quit.AUTO, d.quit());
    assertTrue(d.quitUrl().isEmpty());

    SidecarSettings s = ConfigLoader.load(Map.of("GRACEFUL_SIDECAR_READY_URL", "http://127.0.0.1:15021/healthz/ready",
        "GRACEFUL_SIDECAR_READY_TIMEOUT", "5s", "GRACEFUL_SIDECAR_WAIT_BEFORE_VERTICLES", "true",
        "GRACEFUL_SIDECAR_QUIT", "always", "GRACEFUL_SIDECAR_QUIT_URL", "http://127.0.0.1:15020/quitquitquit")).sidecar();
    assertEquals(java.net.URI.create("http://127.0.0.1:15021/healthz/ready"), s.readyUrl().orElseThrow());
    assertEquals(Duration.ofSeconds(5), s.readyTimeout());
    assertTrue(s.waitBeforeVerticles());
    assertEquals(SidecarSettings.Quit.ALWAYS, s.quit());
    assertEquals(java.net.URI.create("http://127.0.0.1:15020/quitquitquit"), s.quitUrl().orElseThrow());
    assertEquals(SidecarSettings.Mode.OFF, ConfigLoader.load(Map.of("GRACEFUL_SIDECAR", "off")).sidecar().mode());
  }

  @Test
  void sidecarOffContradictedByAUrlIsRejected() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of(
        "GRACEFUL_SIDECAR", "off", "GRACEFUL_SIDECAR_READY_URL", "http://127.0.0.1:15021/healthz/ready")));
    assertEquals("GRACEFUL_SIDECAR='off': off, but GRACEFUL_SIDECAR_READY_URL is set; remove one of them", e.getMessage());
    e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of("GRACEFUL_SIDECAR", "off", "GRACEFUL_SIDECAR_QUIT", "always")));
    assertEquals("GRACEFUL_SIDECAR='off': off, but GRACEFUL_SIDECAR_QUIT=always; remove one of them", e.getMessage());
  }

  @Test
  void tlsFilesMustBeReadable() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of(
        "GRACEFUL_GRPC_TLS_CERT", "/nonexistent/cert.pem", "GRACEFUL_GRPC_TLS_KEY", "/nonexistent/key.pem")));
    assertEquals("GRACEFUL_GRPC_TLS_CERT='/nonexistent/cert.pem': file not found or not readable", e.getMessage());
  }

  @Test
  void fileSettingsApplyAndTheEnvironmentWins(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("graceful.properties");
    Files.writeString(file, "GRACEFUL_HTTP_PORT=7070\nGRACEFUL_GRPC_PORT=7071\n");
    RuntimeConfig c = ConfigLoader.load(Map.of("GRACEFUL_CONFIG_FILE", file.toString(), "GRACEFUL_GRPC_PORT", "7072"));
    assertEquals(7070, c.httpPort());
    assertEquals(7072, c.grpcPort());
  }

  @Test
  void unknownKeyInFileIsRejected(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("graceful.properties");
    Files.writeString(file, "http.port=7070\n");
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(Map.of("GRACEFUL_CONFIG_FILE", file.toString())));
    assertTrue(e.getMessage().startsWith("http.port='7070': unknown key in " + file), e.getMessage());
  }

  @Test
  void missingFileIsRejected() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(Map.of("GRACEFUL_CONFIG_FILE", "/nonexistent/graceful.properties")));
    assertEquals("GRACEFUL_CONFIG_FILE='/nonexistent/graceful.properties': file not found or not readable", e.getMessage());
  }

  @Test
  void aConfigFileThatIsNoRegularFileOrTooLargeIsRejected(@TempDir Path dir) throws IOException {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of("GRACEFUL_CONFIG_FILE", "/dev/zero")));
    assertEquals("GRACEFUL_CONFIG_FILE='/dev/zero': not a regular file", e.getMessage());
    Path large = dir.resolve("large.properties");
    Files.write(large, new byte[(1 << 20) + 1]);
    e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of("GRACEFUL_CONFIG_FILE", large.toString())));
    assertEquals("GRACEFUL_CONFIG_FILE='" + large + "': larger than 1 MiB", e.getMessage());
  }

  @Test
  void tlsFilesMustBePem(@TempDir Path dir) throws IOException {
    Path notPem = Files.writeString(dir.resolve("cert.pem"), "hello\n");
    Path key = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of(
        "GRACEFUL_GRPC_TLS_CERT", notPem.toString(), "GRACEFUL_GRPC_TLS_KEY", key.toString())));
    assertTrue(e.getMessage().startsWith("GRACEFUL_GRPC_TLS_CERT='" + notPem + "': "), e.getMessage());
    e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of(
        "GRACEFUL_GRPC_TLS_CERT", key.toString(), "GRACEFUL_GRPC_TLS_KEY", key.toString())));
    assertTrue(e.getMessage().startsWith("GRACEFUL_GRPC_TLS_CERT='" + key + "': "), e.getMessage());
    e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of(
        "GRACEFUL_GRPC_TLS_CERT", "/dev/zero", "GRACEFUL_GRPC_TLS_KEY", key.toString())));
    assertEquals("GRACEFUL_GRPC_TLS_CERT='/dev/zero': not a regular file", e.getMessage());
  }

  @Test
  void otherEnvironmentVariablesAreIgnored() {
    assertEquals(8080, ConfigLoader.load(Map.of("PATH", "/usr/bin", "HOSTNAME", "pod-1")).httpPort());
  }
}
