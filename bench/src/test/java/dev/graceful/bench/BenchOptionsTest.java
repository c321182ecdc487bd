package dev.graceful.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

  @Test
  void defaultsToEveryRegisteredScenario() {
    BenchOptions o = BenchOptions.parse();
    assertEquals(List.copyOf(Scenarios.all().keySet()), o.scenarios());
    assertFalse(o.quick());
    assertEquals(List.of("startup", "steady", "shutdown"), o.scenarios().subList(0, 3));
  }

  @Test
  void namesQuickOutAndSettings() {
    BenchOptions o = BenchOptions.parse("steady", "--quick", "startup", "--out", "/tmp/x", "--set", "steady.duration=20", "steady");
    assertEquals(List.of("steady", "startup"), o.scenarios());
    assertTrue(o.quick());
    assertEquals(Path.of("/tmp/x"), o.out().orElseThrow());
    assertEquals(Map.of("steady.duration", "20"), o.settings());
  }

  @Test
  void allMeansEveryScenarioOnce() {
    assertEquals(List.copyOf(Scenarios.all().keySet()), BenchOptions.parse("shutdown", "all").scenarios().stream().sorted(
        java.util.Comparator.comparing(n -> List.copyOf(Scenarios.all().keySet()).indexOf(n))).toList());
  }

  @Test
  void rejectsUnknownScenariosAndOptions() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("nope"));
    assertTrue(e.getMessage().contains("registered: startup, steady, shutdown"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--fast"));
    assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--set", "novalue"));
    assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--out"));
  }
}
