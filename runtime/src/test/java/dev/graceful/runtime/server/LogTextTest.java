package dev.graceful.runtime.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogTextTest {

  @Test
  void controlCharactersAreEscapedSoNoLineCanBeForged() {
    assertEquals("/a\\x0d\\x0a2026 SEVERE forged", LogText.escape("/a\r\n2026 SEVERE forged"));
    assertEquals("\\x1b[31mred\\x1b[0m", LogText.escape("\u001b[31mred\u001b[0m"));
    assertEquals("a\\\\x0a", LogText.escape("a\\x0a"), "a literal backslash is escaped too, so escapes are unambiguous");
    assertEquals("\\u0085\\u2028", LogText.escape("\u0085\u2028"));
  }

  @Test
  void longTextIsCut() {
    String cut = LogText.escape("x".repeat(10_000));
    assertTrue(cut.length() < 230 && cut.endsWith("...(10000 chars)"), cut);
  }
}
