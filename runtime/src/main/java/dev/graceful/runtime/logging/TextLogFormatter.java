package dev.graceful.runtime.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/** One line per record for people: local time, level, logger, message; an exception's stack trace follows it. */
public final class TextLogFormatter extends Formatter {

  @Override
  public String format(LogRecord record) {
    ZonedDateTime time = ZonedDateTime.ofInstant(record.getInstant(), ZoneId.systemDefault());
    String thrown = "";
    if (record.getThrown() != null) {
      StringWriter trace = new StringWriter();
      PrintWriter out = new PrintWriter(trace);
      out.println();
      record.getThrown().printStackTrace(out);
      out.close();
      thrown = trace.toString();
    }
    return String.format("%1$tFT%1$tT.%1$tL %2$s %3$s - %4$s%5$s%n", time, record.getLevel().getLocalizedName(),
        record.getLoggerName(), formatMessage(record), thrown);
  }
}
