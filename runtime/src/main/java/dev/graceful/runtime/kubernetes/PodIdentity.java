package dev.graceful.runtime.kubernetes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Which pod this process runs in: from the downward API ({@code POD_NAME}, {@code POD_NAMESPACE},
 * {@code POD_IP}), falling back to {@code HOSTNAME} (the pod name by default) and the service account's
 * namespace file.
 *
 * @param ip empty when unknown; only used to recognise the pod's endpoints when a slice lacks a targetRef
 */
public record PodIdentity(String name, String namespace, Optional<String> ip) {

  public static final Path SERVICE_ACCOUNT_DIR = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  public static Optional<PodIdentity> detect(Map<String, String> env, Path serviceAccountDir) {
    Optional<String> name = nonBlank(env.get("POD_NAME")).or(() -> nonBlank(env.get("HOSTNAME")));
    Optional<String> namespace = nonBlank(env.get("POD_NAMESPACE")).or(() -> readNamespace(serviceAccountDir));
    if (name.isEmpty() || namespace.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new PodIdentity(name.get(), namespace.get(), nonBlank(env.get("POD_IP"))));
  }

  private static Optional<String> readNamespace(Path serviceAccountDir) {
    try {
      return nonBlank(Files.readString(serviceAccountDir.resolve("namespace")));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> nonBlank(String value) {
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  @Override
  public String toString() {
    return namespace + "/" + name + ip.map(i -> " (" + i + ")").orElse("");
  }
}
