package dev.graceful.bench.scenarios;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.graceful.bench.BenchContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StartupScenarioTest {

  private static BenchContext context(boolean quick, Map<String, String> settings) {
    return new BenchContext(Path.of("."), Path.of("."), Path.of("."), quick, settings, List.of());
  }

  @Test
  void idleWaitIsItsOwnSettingElseSteadysElseThreeSeconds() {
    assertEquals(Duration.ofSeconds(3), StartupScenario.idleWait(context(false, Map.of())));
    assertEquals(Duration.ofSeconds(2), StartupScenario.idleWait(context(true, Map.of())));
    assertEquals(Duration.ofSeconds(5), StartupScenario.idleWait(context(true, Map.of("steady.idle-wait", "5"))));
    assertEquals(Duration.ofSeconds(4),
        StartupScenario.idleWait(context(false, Map.of("steady.idle-wait", "5", "startup.idle-wait", "4"))));
  }
}
