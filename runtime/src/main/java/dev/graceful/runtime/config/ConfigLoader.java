package dev.graceful.runtime.config;

import dev.graceful.runtime.RuntimeModule;
import io.vertx.core.Deployable;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;

/**
 * Turns {@code GRACEFUL_*} settings (environment, optionally a properties file) into a {@link RuntimeConfig}.
 * All checks happen here, before any port is bound; the first problem found is thrown as a {@link ConfigException}.
 */
public final class ConfigLoader {

  private static final String PREFIX = "GRACEFUL_";

  private final Map<String, String> settings;

  private ConfigLoader(Map<String, String> settings) {
    this.settings = settings;
  }

  /** Reads the process environment (and the file named by {@code GRACEFUL_CONFIG_FILE}, if any). */
  public static RuntimeConfig fromEnvironment() {
    return load(System.getenv());
  }

  /** Same as {@link #fromEnvironment()} but from the given map: for embedding and tests. */
  public static RuntimeConfig load(Map<String, String> environment) {
    Map<String, String> merged = new HashMap<>();
    String file = environment.get(Setting.CONFIG_FILE.key());
    if (file != null && !file.isBlank()) {
      merged.putAll(readFile(file));
    }
    environment.forEach((k, v) -> {
      if (k.startsWith(PREFIX)) {
        merged.put(k, v);
      }
    });
    rejectUnknownKeys(merged);
    return new ConfigLoader(merged).parse();
  }

  private static Map<String, String> readFile(String file) {
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(Path.of(file))) {
      props.load(reader);
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(Setting.CONFIG_FILE.key(), file, "cannot read: " + e.getMessage());
    }
    Map<String, String> values = new HashMap<>();
    props.stringPropertyNames().forEach(k -> values.put(k.trim(), props.getProperty(k).trim()));
    values.keySet().stream().filter(k -> !k.startsWith(PREFIX)).findFirst().ifPresent(k -> {
      throw new ConfigException(k, values.get(k), "unknown key in " + file + "; keys are the GRACEFUL_* settings");
    });
    return values;
  }

  private static void rejectUnknownKeys(Map<String, String> merged) {
    for (String key : new TreeSet<>(merged.keySet())) {
      if (Setting.byKey(key).isEmpty()) {
        throw new ConfigException(key, merged.get(key), "unknown setting; known settings: " + knownKeys());
      }
    }
  }

  private static String knownKeys() {
    List<String> keys = new ArrayList<>();
    for (Setting s : Setting.values()) {
      keys.add(s.key());
    }
    return String.join(", ", keys);
  }

  private RuntimeConfig parse() {
    String host = raw(Setting.HOST).trim();
    if (host.isEmpty()) {
      throw new ConfigException(Setting.HOST.key(), host, "must not be empty");
    }
    int http = port(Setting.HTTP_PORT);
    int grpc = port(Setting.GRPC_PORT);
    int management = port(Setting.MANAGEMENT_PORT);
    distinct(Setting.GRPC_PORT, grpc, Setting.HTTP_PORT, http);
    distinct(Setting.MANAGEMENT_PORT, management, Setting.HTTP_PORT, http);
    distinct(Setting.MANAGEMENT_PORT, management, Setting.GRPC_PORT, grpc);

    Duration shutdown = duration(Setting.SHUTDOWN_TIMEOUT);
    Duration drainDelay = duration(Setting.DRAIN_DELAY);
    Duration stop = duration(Setting.STOP_TIMEOUT);
    Duration start = duration(Setting.START_TIMEOUT);
    if (shutdown.isZero()) {
      throw new ConfigException(Setting.SHUTDOWN_TIMEOUT.key(), raw(Setting.SHUTDOWN_TIMEOUT), "must be greater than 0");
    }
    if (start.isZero()) {
      throw new ConfigException(Setting.START_TIMEOUT.key(), raw(Setting.START_TIMEOUT), "must be greater than 0");
    }
    // The drain must always get part of the budget: the waits around it may not eat all of it.
    if (drainDelay.plus(stop).compareTo(shutdown) >= 0) {
      throw new ConfigException(Setting.DRAIN_DELAY.key(), raw(Setting.DRAIN_DELAY),
          "GRACEFUL_DRAIN_DELAY + GRACEFUL_STOP_TIMEOUT (" + Durations.format(drainDelay.plus(stop))
              + ") must be less than GRACEFUL_SHUTDOWN_TIMEOUT (" + Durations.format(shutdown)
              + ") so the drain keeps part of the budget");
    }
    return new RuntimeConfig(host, http, grpc, management, shutdown, drainDelay, stop, start,
        verticles(), grpcTls(), kubernetes(), sidecar(), bool(Setting.VERTX_METRICS));
  }

  private boolean bool(Setting setting) {
    return switch (raw(setting).trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new ConfigException(setting.key(), raw(setting), "use true or false");
    };
  }

  private SidecarSettings sidecar() {
    SidecarSettings.Mode mode = switch (raw(Setting.SIDECAR).trim().toLowerCase(java.util.Locale.ROOT)) {
      case "auto" -> SidecarSettings.Mode.AUTO;
      case "off" -> SidecarSettings.Mode.OFF;
      default -> throw new ConfigException(Setting.SIDECAR.key(), raw(Setting.SIDECAR), "use auto or off");
    };
    Optional<java.net.URI> ready = httpUrl(Setting.SIDECAR_READY_URL);
    Optional<java.net.URI> quitUrl = httpUrl(Setting.SIDECAR_QUIT_URL);
    Duration timeout = duration(Setting.SIDECAR_READY_TIMEOUT);
    if (timeout.isZero()) {
      throw new ConfigException(Setting.SIDECAR_READY_TIMEOUT.key(), raw(Setting.SIDECAR_READY_TIMEOUT), "must be greater than 0");
    }
    boolean waitBeforeVerticles = bool(Setting.SIDECAR_WAIT_BEFORE_VERTICLES);
    SidecarSettings.Quit quit = switch (raw(Setting.SIDECAR_QUIT).trim().toLowerCase(java.util.Locale.ROOT)) {
      case "auto" -> SidecarSettings.Quit.AUTO;
      case "always" -> SidecarSettings.Quit.ALWAYS;
      case "never" -> SidecarSettings.Quit.NEVER;
      default -> throw new ConfigException(Setting.SIDECAR_QUIT.key(), raw(Setting.SIDECAR_QUIT), "use auto, always or never");
    };
    // "off" promises no proxy traffic at all: a URL set beside it is a contradiction, not something to ignore.
    if (mode == SidecarSettings.Mode.OFF) {
      for (Setting s : List.of(Setting.SIDECAR_READY_URL, Setting.SIDECAR_QUIT_URL)) {
        if (!raw(s).isBlank()) {
          throw new ConfigException(Setting.SIDECAR.key(), raw(Setting.SIDECAR), "off, but " + s.key() + " is set; remove one of them");
        }
      }
      if (quit == SidecarSettings.Quit.ALWAYS) {
        throw new ConfigException(Setting.SIDECAR.key(), raw(Setting.SIDECAR),
            "off, but " + Setting.SIDECAR_QUIT.key() + "=always; remove one of them");
      }
    }
    return new SidecarSettings(mode, ready, timeout, waitBeforeVerticles, quit, quitUrl);
  }

  /** An absolute plain-HTTP URL with a host (proxies' admin endpoints are plain HTTP on loopback), or empty. */
  private Optional<java.net.URI> httpUrl(Setting s) {
    String value = raw(s).trim();
    if (value.isEmpty()) {
      return Optional.empty();
    }
    java.net.URI uri;
    try {
      uri = new java.net.URI(value);
    } catch (java.net.URISyntaxException e) {
      uri = null;
    }
    if (uri == null || !"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw new ConfigException(s.key(), raw(s), "not an http URL; write e.g. http://127.0.0.1:15021/healthz/ready");
    }
    return Optional.of(uri);
  }

  private KubernetesSettings kubernetes() {
    String modeText = raw(Setting.KUBERNETES).trim().toLowerCase(java.util.Locale.ROOT);
    KubernetesSettings.Mode mode = switch (modeText) {
      case "auto" -> KubernetesSettings.Mode.AUTO;
      case "true" -> KubernetesSettings.Mode.ON;
      case "false" -> KubernetesSettings.Mode.OFF;
      default -> throw new ConfigException(Setting.KUBERNETES.key(), raw(Setting.KUBERNETES), "use auto, true or false");
    };
    String share = raw(Setting.ENDPOINT_WAIT_SHARE).trim();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,2})%").matcher(share);
    if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(1)) > 90) {
      throw new ConfigException(Setting.ENDPOINT_WAIT_SHARE.key(), raw(Setting.ENDPOINT_WAIT_SHARE),
          "write a percentage from 1% to 90%; the drain needs the rest of the budget");
    }
    String gate = raw(Setting.READINESS_GATE).trim();
    // A pod condition type is a qualified name: optional DNS-subdomain prefix, then a name.
    if (!gate.isEmpty() && !gate.matches("([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")) {
      throw new ConfigException(Setting.READINESS_GATE.key(), gate, "not a valid condition type; use e.g. graceful.dev/serving");
    }
    Duration timeout = duration(Setting.KUBERNETES_TIMEOUT);
    if (timeout.isZero()) {
      throw new ConfigException(Setting.KUBERNETES_TIMEOUT.key(), raw(Setting.KUBERNETES_TIMEOUT), "must be greater than 0");
    }
    return new KubernetesSettings(mode, Integer.parseInt(m.group(1)) / 100.0, duration(Setting.PROPAGATION_DELAY),
        duration(Setting.DEADLINE_MARGIN), gate.isEmpty() ? Optional.empty() : Optional.of(gate), timeout);
  }

  private String raw(Setting s) {
    return settings.getOrDefault(s.key(), s.defaultValue());
  }

  private int port(Setting s) {
    String value = raw(s).trim();
    int port;
    try {
      port = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new ConfigException(s.key(), raw(s), "not a port number; use 0-65535");
    }
    if (port < 0 || port > 65535) {
      throw new ConfigException(s.key(), raw(s), "port out of range; use 0-65535");
    }
    return port;
  }

  private void distinct(Setting a, int portA, Setting b, int portB) {
    if (portA != 0 && portA == portB) {
      throw new ConfigException(a.key(), raw(a), "same port as " + b.key() + "; each server needs its own port");
    }
  }

  private Duration duration(Setting s) {
    return Durations.parse(s.key(), raw(s));
  }

  private List<Class<?>> verticles() {
    List<Class<?>> classes = new ArrayList<>();
    String value = raw(Setting.VERTICLES);
    for (String name : value.split(",")) {
      String className = name.trim();
      if (className.isEmpty()) {
        continue;
      }
      Class<?> type;
      try {
        type = Class.forName(className, false, Thread.currentThread().getContextClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        throw new ConfigException(Setting.VERTICLES.key(), value, "class " + className + " not found on the class path");
      }
      if (!Deployable.class.isAssignableFrom(type) && !RuntimeModule.class.isAssignableFrom(type)) {
        throw new ConfigException(Setting.VERTICLES.key(), value,
            className + " is neither a Vert.x verticle (Deployable) nor a " + RuntimeModule.class.getName());
      }
      try {
        type.getConstructor();
      } catch (NoSuchMethodException e) {
        throw new ConfigException(Setting.VERTICLES.key(), value, className + " has no public no-argument constructor");
      }
      classes.add(type);
    }
    return classes;
  }

  private Optional<RuntimeConfig.TlsFiles> grpcTls() {
    String cert = raw(Setting.GRPC_TLS_CERT).trim();
    String key = raw(Setting.GRPC_TLS_KEY).trim();
    if (cert.isEmpty() && key.isEmpty()) {
      return Optional.empty();
    }
    if (cert.isEmpty() || key.isEmpty()) {
      Setting missing = cert.isEmpty() ? Setting.GRPC_TLS_CERT : Setting.GRPC_TLS_KEY;
      throw new ConfigException(missing.key(), "", "must be set together with "
          + (cert.isEmpty() ? Setting.GRPC_TLS_KEY : Setting.GRPC_TLS_CERT).key());
    }
    return Optional.of(new RuntimeConfig.TlsFiles(readable(Setting.GRPC_TLS_CERT, cert), readable(Setting.GRPC_TLS_KEY, key)));
  }

  private static Path readable(Setting s, String file) {
    Path path = Path.of(file);
    if (!Files.isReadable(path)) {
      throw new ConfigException(s.key(), file, "file not found or not readable");
    }
    return path;
  }
}
