package dev.graceful.runtime.logging;

import io.vertx.core.json.JsonObject;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * A record whose facts are fields, not prose: the shutdown report, for one. The record's message is the fields as one
 * JSON object, which is what any formatter prints (and what the text format always printed); the runtime's JSON format
 * writes the short {@code summary} as the message and the fields under {@code graceful.*}.
 */
public record StructuredMessage(String summary, JsonObject fields) {

  /** Logs {@code fields} at {@code level}, with {@code summary} as the message where fields are fields. */
  public static void log(Logger logger, Level level, String summary, JsonObject fields) {
    if (!logger.isLoggable(level)) {
      return;
    }
    LogRecord record = new LogRecord(level, fields.encode());
    record.setLoggerName(logger.getName());
    record.setParameters(new Object[] {new StructuredMessage(summary, fields.copy())});
    logger.log(record);
  }

  /** The structured message a record carries, or null. */
  static StructuredMessage of(LogRecord record) {
    Object[] parameters = record.getParameters();
    return parameters != null && parameters.length == 1 && parameters[0] instanceof StructuredMessage m ? m : null;
  }
}
