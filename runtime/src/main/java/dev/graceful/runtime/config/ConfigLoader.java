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
  private final MeshAnnotations meshAnnotations;

  private ConfigLoader(Map<String, String> settings, MeshAnnotations meshAnnotations) {
    this.settings = settings;
    this.meshAnnotations = meshAnnotations;
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
    return new ConfigLoader(merged, MeshAnnotations.fromEnvironment(environment)).parse();
  }

  private static Map<String, String> readFile(String file) {
    Properties props = new Properties();
    byte[] bytes = boundedRead(Setting.CONFIG_FILE, file);
    try {
      props.load(new java.io.StringReader(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)));
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

  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final Duration HOUR = Duration.ofHours(1);
  private static final Duration DAY = Duration.ofHours(24);
  /** Largest file a setting names that is read at start: a properties file, a PEM certificate or key. */
  static final int MAX_FILE_BYTES = 1 << 20;

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

    Duration shutdown = duration(Setting.SHUTDOWN_TIMEOUT, SECOND, DAY);
    Duration drainDelay = duration(Setting.DRAIN_DELAY, Duration.ZERO, HOUR);
    Duration stop = duration(Setting.STOP_TIMEOUT, Duration.ZERO, HOUR);
    Duration start = duration(Setting.START_TIMEOUT, SECOND, DAY);
    // The drain must always get part of the budget: the waits around it may not eat all of it.
    if (drainDelay.plus(stop).compareTo(shutdown) >= 0) {
      throw new ConfigException(Setting.DRAIN_DELAY.key(), raw(Setting.DRAIN_DELAY),
          "GRACEFUL_DRAIN_DELAY + GRACEFUL_STOP_TIMEOUT (" + Durations.format(drainDelay.plus(stop))
              + ") must be less than GRACEFUL_SHUTDOWN_TIMEOUT (" + Durations.format(shutdown)
              + ") so the drain keeps part of the budget");
    }
    return new RuntimeConfig(host, http, grpc, management, shutdown, drainDelay, stop, start,
        verticles(), grpcTls(), kubernetes(), sidecar(), bool(Setting.JVM_METRICS), bool(Setting.VERTX_METRICS), serverLimits(),
        bool(Setting.GRPC_REFLECTION), logging());
  }

  private LogSettings logging() {
    LogSettings.Format format = LogSettings.Format.parse(raw(Setting.LOG_FORMAT)).orElseThrow(
        () -> new ConfigException(Setting.LOG_FORMAT.key(), raw(Setting.LOG_FORMAT), "use text or json"));
    java.util.logging.Level level = LogSettings.parseLevel(raw(Setting.LOG_LEVEL)).orElseThrow(
        () -> new ConfigException(Setting.LOG_LEVEL.key(), raw(Setting.LOG_LEVEL), "use error, warn, info, debug, trace or off"));
    return new LogSettings(format, level);
  }

  /**
   * The log settings from the environment alone, before the whole configuration is read, so that even a configuration
   * error is written in the format asked for. Lenient: a bad value gives the default here and its error in {@link #load}.
   */
  public static LogSettings loggingFromEnvironment(Map<String, String> environment) {
    LogSettings.Format format = LogSettings.Format.parse(environment.getOrDefault(Setting.LOG_FORMAT.key(),
        Setting.LOG_FORMAT.defaultValue())).orElse(LogSettings.DEFAULT.format());
    java.util.logging.Level level = LogSettings.parseLevel(environment.getOrDefault(Setting.LOG_LEVEL.key(),
        Setting.LOG_LEVEL.defaultValue())).orElse(LogSettings.DEFAULT.level());
    return new LogSettings(format, level);
  }

  private ServerLimits serverLimits() {
    String connections = raw(Setting.MAX_CONNECTIONS).trim();
    java.util.OptionalInt maxConnections = connections.equalsIgnoreCase("auto")
        ? java.util.OptionalInt.empty()
        : java.util.OptionalInt.of(integer(Setting.MAX_CONNECTIONS, 1, 1_000_000, "or auto"));
    return new ServerLimits(duration(Setting.IDLE_TIMEOUT, SECOND, DAY), duration(Setting.MANAGEMENT_IDLE_TIMEOUT, SECOND, HOUR),
        duration(Setting.REQUEST_HEADER_TIMEOUT, SECOND, Duration.ofMinutes(10)),
        integer(Setting.HTTP2_MAX_CONCURRENT_STREAMS, 1, 10_000, ""), maxConnections);
  }

  private int integer(Setting s, int min, int max, String alternative) {
    String value = raw(s).trim();
    int n;
    try {
      n = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      n = Integer.MIN_VALUE;
    }
    if (n < min || n > max) {
      throw new ConfigException(s.key(), raw(s), "out of range; write a whole number from " + min + " to " + max
          + (alternative.isEmpty() ? "" : " " + alternative));
    }
    return n;
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
    Duration timeout = duration(Setting.SIDECAR_READY_TIMEOUT, Duration.ofMillis(100), HOUR);
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
    return new SidecarSettings(mode, ready, timeout, waitBeforeVerticles, quit, quitUrl, meshAnnotations);
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
    Duration timeout = duration(Setting.KUBERNETES_TIMEOUT, Duration.ofMillis(100), Duration.ofMinutes(5));
    return new KubernetesSettings(mode, Integer.parseInt(m.group(1)) / 100.0,
        duration(Setting.PROPAGATION_DELAY, Duration.ZERO, Duration.ofMinutes(10)),
        duration(Setting.DEADLINE_MARGIN, Duration.ofMillis(100), Duration.ofMinutes(1)), gate.isEmpty() ? Optional.empty() : Optional.of(gate), timeout);
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

  /** A duration setting within its documented range (the range is in the setting's description too). */
  private Duration duration(Setting s, Duration min, Duration max) {
    Duration d = Durations.parse(s.key(), raw(s));
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new ConfigException(s.key(), raw(s), "out of range; use " + (min.isZero() ? "0" : Durations.format(min))
          + " to " + Durations.format(max));
    }
    return d;
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
    return Optional.of(new RuntimeConfig.TlsFiles(pem(Setting.GRPC_TLS_CERT, cert, true), pem(Setting.GRPC_TLS_KEY, key, false)));
  }

  /**
   * The whole of a file a setting names: a regular file (not a device or a pipe, which could be endless) of at most
   * {@link #MAX_FILE_BYTES}.
   */
  static byte[] boundedRead(Setting s, String file) {
    Path path = Path.of(file);
    if (!Files.isReadable(path)) {
      throw new ConfigException(s.key(), file, "file not found or not readable");
    }
    if (!Files.isRegularFile(path)) {
      throw new ConfigException(s.key(), file, "not a regular file");
    }
    try (java.io.InputStream in = Files.newInputStream(path)) {
      byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
      if (bytes.length > MAX_FILE_BYTES) {
        throw new ConfigException(s.key(), file, "larger than " + (MAX_FILE_BYTES >> 20) + " MiB");
      }
      return bytes;
    } catch (IOException e) {
      throw new ConfigException(s.key(), file, "cannot read: " + e.getMessage());
    }
  }

  /** A PEM file holding what {@code kind} says; checked now, so a wrong file is exit 2, not a failed start. */
  private static Path pem(Setting s, String file, boolean certificate) {
    String text = new String(boundedRead(s, file), java.nio.charset.StandardCharsets.US_ASCII);
    if (certificate) {
      try {
        if (java.security.cert.CertificateFactory.getInstance("X.509")
            .generateCertificates(new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
            .isEmpty() || !text.contains("-----BEGIN CERTIFICATE-----")) {
          throw new ConfigException(s.key(), file, "no PEM certificate in it (-----BEGIN CERTIFICATE-----)");
        }
      } catch (java.security.cert.CertificateException e) {
        throw new ConfigException(s.key(), file, "not a PEM certificate: " + e.getMessage());
      }
    } else if (!text.matches("(?s).*-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----.+-----END (RSA |EC |ENCRYPTED )?PRIVATE KEY-----.*")) {
      throw new ConfigException(s.key(), file, "no PEM private key in it (-----BEGIN PRIVATE KEY-----)");
    }
    return Path.of(file);
  }
}
