package dev.graceful.runtime.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses durations written like {@code 500ms}, {@code 30s}, {@code 1m}, {@code 1h}, or {@code 0}. */
public final class Durations {

  private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m|h)");

  private Durations() {
  }

  public static Duration parse(String setting, String text) {
    String trimmed = text.trim();
    if (trimmed.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = FORMAT.matcher(trimmed);
    if (!m.matches()) {
      throw new ConfigException(setting, text,
          "not a duration; write a non-negative whole number with a unit: ms, s, m or h (e.g. 500ms, 30s, 1m)");
    }
    long amount;
    try {
      amount = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new ConfigException(setting, text, "number too large");
    }
    try {
      Duration d = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        default -> Duration.ofHours(amount);
      };
      d.toNanos(); // the timers count in nanoseconds: a duration they cannot hold is rejected now, not at SIGTERM
      return d;
    } catch (ArithmeticException e) {
      throw new ConfigException(setting, text, "number too large");
    }
  }

  /** Formats like the input syntax, choosing the largest unit that is exact. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    if (ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
