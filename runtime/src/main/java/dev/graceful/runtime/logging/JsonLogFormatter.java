package dev.graceful.runtime.logging;

import co.elastic.logging.jul.EcsFormatter;
import java.util.logging.LogRecord;

/**
 * One JSON object per line in the Elastic Common Schema ({@code @timestamp}, {@code log.level}, {@code log.logger},
 * {@code message}, {@code error.type}, {@code error.message}, {@code error.stack_trace}), written by Elastic's
 * maintained formatter. A {@link StructuredMessage}'s fields are added as one object under {@code graceful} (ECS keeps
 * top-level names such as {@code event} for its own fields), with their JSON types kept.
 */
public final class JsonLogFormatter extends EcsFormatter {

  private static final String END = "}\n";

  @Override
  public String format(LogRecord record) {
    StructuredMessage structured = StructuredMessage.of(record);
    if (structured == null) {
      return super.format(record);
    }
    LogRecord summary = new LogRecord(record.getLevel(), structured.summary());
    summary.setInstant(record.getInstant());
    summary.setLoggerName(record.getLoggerName());
    summary.setThrown(record.getThrown());
    summary.setLongThreadID(record.getLongThreadID());
    String json = super.format(summary);
    if (!json.endsWith(END)) {
      throw new IllegalStateException("unexpected end of an ECS record: " + json);
    }
    return json.substring(0, json.length() - END.length()) + ",\"graceful\":" + structured.fields().encode() + END;
  }
}
