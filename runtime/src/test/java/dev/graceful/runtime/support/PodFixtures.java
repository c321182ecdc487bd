package dev.graceful.runtime.support;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Pod specs under {@code src/test/resources/pods}, shaped as the meshes' injectors write them. */
public final class PodFixtures {

  private PodFixtures() {
  }

  /** @param name e.g. {@code istio-classic.yaml} */
  public static Pod load(String name) {
    try (InputStream in = PodFixtures.class.getResourceAsStream("/pods/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture pods/" + name);
      }
      return Serialization.unmarshal(in, Pod.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
