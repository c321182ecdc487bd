package dev.graceful.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @Test
  void parsesEachUnit() {
    assertEquals(Duration.ofMillis(500), Durations.parse("X", "500ms"));
    assertEquals(Duration.ofSeconds(30), Durations.parse("X", "30s"));
    assertEquals(Duration.ofMinutes(1), Durations.parse("X", "1m"));
    assertEquals(Duration.ofHours(2), Durations.parse("X", "2h"));
    assertEquals(Duration.ZERO, Durations.parse("X", "0"));
    assertEquals(Duration.ofSeconds(3), Durations.parse("X", " 3s "));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "s", "-1s", "1.5s", "10", "5 s", "5sec", "1d", "99999999999999999999s"})
  void rejects(String text) {
    assertThrows(ConfigException.class, () -> Durations.parse("X", text));
  }

  @Test
  void formatsWithTheLargestExactUnit() {
    assertEquals("0s", Durations.format(Duration.ZERO));
    assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
    assertEquals("25s", Durations.format(Duration.ofSeconds(25)));
    assertEquals("2m", Durations.format(Duration.ofSeconds(120)));
    assertEquals("1h", Durations.format(Duration.ofMinutes(60)));
  }
}
