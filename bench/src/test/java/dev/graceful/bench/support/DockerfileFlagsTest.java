package dev.graceful.bench.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DockerfileFlagsTest {

  @Test
  void readsTheBaseImagesJvmOptions() {
    List<String> flags = DockerfileFlags.read(Path.of("..", "Dockerfile"));
    assertTrue(flags.contains("-XX:MaxRAMPercentage=75.0"), flags.toString());
    assertTrue(flags.stream().noneMatch(f -> f.equals("-cp") || f.contains("/app/")), flags.toString());
  }

  @Test
  void keepsOptionsOnlyFromTheLastExecFormEntrypoint() {
    String dockerfile = """
        FROM x
        # ENTRYPOINT ["java", "-Xold"] in a comment line does not start the line
        ENTRYPOINT ["java", "-Xold"]
        ENTRYPOINT ["java", \\
          "-XX:+UseSerialGC", \\
          "-cp", "/a:/b/*", \\
          "-Dx=y z", \\
          "dev.Main"]
        """;
    assertEquals(List.of("-XX:+UseSerialGC", "-Dx=y z"), DockerfileFlags.parse(dockerfile));
  }
}
