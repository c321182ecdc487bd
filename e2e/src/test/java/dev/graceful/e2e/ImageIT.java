package dev.graceful.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The base image, built from the project's Dockerfile and run with podman: probes, SIGTERM with a request in
 * flight, exit 0. The checks live in {@code e2e/image/test-image.sh}, which also runs on its own.
 */
class ImageIT {

  @Test
  void imageDrainsAnInFlightRequestAndExitsZero() throws IOException, InterruptedException {
    E2eEnvironment.assumePodman();
    Process script = new ProcessBuilder("bash", "e2e/image/test-image.sh")
        .directory(E2eEnvironment.REPO.toFile())
        .redirectErrorStream(true)
        .start();
    List<String> output = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        System.out.println("[image] " + line);
        output.add(line);
      }
    }
    assertTrue(script.waitFor(15, TimeUnit.MINUTES), "image test did not finish within 15 minutes");
    String all = String.join("\n", output);
    assertEquals(0, script.exitValue(), all);
    assertTrue(output.stream().anyMatch(l -> l.matches("image: \\d+ passed, 0 failed")), all);
  }
}
