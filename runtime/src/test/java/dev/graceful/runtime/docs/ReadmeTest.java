package dev.graceful.runtime.docs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.graceful.runtime.config.Setting;
import dev.graceful.runtime.lifecycle.ExitCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's tables must match the code: every setting with its default, every exit code, the CI command. */
class ReadmeTest {

  private static String readme() throws IOException {
    return Files.readString(Path.of("..", "README.md"));
  }

  @Test
  void everySettingIsDocumentedWithItsDefault() throws IOException {
    String readme = readme();
    for (Setting s : Setting.values()) {
      String defaultCell = s.defaultValue().isEmpty() ? "(empty)" : "`" + s.defaultValue() + "`";
      String row = "| `" + s.key() + "` | " + defaultCell + " | " + s.description().replace("GRACEFUL_GRPC_TLS_CERT", "`GRACEFUL_GRPC_TLS_CERT`") + " |";
      assertTrue(readme.contains(row), "README lacks the row: " + row);
    }
  }

  @Test
  void everyExitCodeIsDocumented() throws IOException {
    String readme = readme();
    for (ExitCode code : ExitCode.values()) {
      assertTrue(readme.contains("| " + code.code() + " | "), "README lacks exit code " + code.code() + " (" + code + ")");
    }
  }

  @Test
  void ciRunsTheReadmeTestCommand() throws IOException {
    String command = "mvn -B verify";
    assertTrue(readme().contains("```sh\n" + command + "\n```"), "README must give the test command " + command);
    assertTrue(Files.readString(Path.of("..", ".ci", "run")).lines().anyMatch(l -> l.trim().equals(command)),
        ".ci/run must run the README's test command");
  }
}
