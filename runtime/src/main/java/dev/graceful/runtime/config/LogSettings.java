package dev.graceful.runtime.config;

import java.util.Locale;
import java.util.Optional;
import java.util.logging.Level;

/**
 * How the process logs ({@code GRACEFUL_LOG_FORMAT}, {@code GRACEFUL_LOG_LEVEL}); only {@code Main} applies them, an
 * application that embeds the runtime keeps its own logging.
 *
 * @param format text lines for people, or one JSON object per line for log pipelines
 * @param level  the least severe level written, for every logger (the runtime's, Vert.x's, Netty's, fabric8's)
 */
public record LogSettings(Format format, Level level) {

  public static final LogSettings DEFAULT = new LogSettings(Format.TEXT, Level.INFO);

  /** The two ways a record is written. */
  public enum Format {
    TEXT, JSON;

    static Optional<Format> parse(String value) {
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "text" -> Optional.of(TEXT);
        case "json" -> Optional.of(JSON);
        default -> Optional.empty();
      };
    }
  }

  /** SLF4J's names (what most people write) and java.util.logging's, in any case. */
  static Optional<Level> parseLevel(String value) {
    return Optional.ofNullable(switch (value.trim().toUpperCase(Locale.ROOT)) {
      case "OFF" -> Level.OFF;
      case "ERROR", "SEVERE" -> Level.SEVERE;
      case "WARN", "WARNING" -> Level.WARNING;
      case "INFO" -> Level.INFO;
      case "CONFIG" -> Level.CONFIG;
      case "DEBUG", "FINE" -> Level.FINE;
      case "FINER" -> Level.FINER;
      case "TRACE", "FINEST" -> Level.FINEST;
      case "ALL" -> Level.ALL;
      default -> null;
    });
  }
}
