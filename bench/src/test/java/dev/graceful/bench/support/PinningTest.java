package dev.graceful.bench.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PinningTest {

  @Test
  void autoSplitsTheCoresBetweenServersAndTools() {
    Pinning two = Pinning.parse("auto", 2, true);
    assertEquals(List.of("taskset", "-c", "1", "java"), two.server(List.of("java")));
    assertEquals(List.of("taskset", "-c", "0", "wrk"), two.tool(List.of("wrk")));
    Pinning eight = Pinning.parse("auto", 8, true);
    assertEquals("4-7", eight.serverCpus());
    assertEquals("0-3", eight.toolCpus());
  }

  @Test
  void autoPinsNothingOnOneCoreOrWithoutTaskset() {
    assertEquals(List.of("java"), Pinning.parse("auto", 1, true).server(List.of("java")));
    assertEquals(List.of("wrk"), Pinning.parse("auto", 2, false).tool(List.of("wrk")));
    assertEquals(List.of("wrk"), Pinning.parse("off", 2, true).tool(List.of("wrk")));
  }

  @Test
  void explicitListsAreUsedAsGiven() {
    Pinning p = Pinning.parse("3/0,1", 4, true);
    assertEquals("3", p.serverCpus());
    assertEquals("0,1", p.toolCpus());
  }

  @Test
  void aMalformedSettingNamesItselfAndTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pinning.parse("cpu1", 2, true));
    assertTrue(e.getMessage().contains("steady.pin") && e.getMessage().contains("cpu1"), e.getMessage());
    IllegalArgumentException noTaskset = assertThrows(IllegalArgumentException.class, () -> Pinning.parse("1/0", 2, false));
    assertTrue(noTaskset.getMessage().contains("taskset"), noTaskset.getMessage());
  }
}
