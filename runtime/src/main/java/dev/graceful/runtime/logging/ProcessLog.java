package dev.graceful.runtime.logging;

import dev.graceful.runtime.config.LogSettings;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * The process's log output, set up by {@code Main} (an embedding application keeps its own): every logger, the
 * runtime's, Vert.x's, Netty's and fabric8's (through SLF4J's java.util.logging provider), writes through one
 * handler to standard error, as text or JSON. In JSON every line must be one record, so lines that code prints
 * straight to {@code System.out} or {@code System.err} become records too (loggers {@code stdout} and {@code stderr}).
 */
public final class ProcessLog {

  private static final PrintStream ORIGINAL_OUT = System.out;
  private static final PrintStream ORIGINAL_ERR = System.err;
  // Held here: java.util.logging keeps loggers only weakly, and with them the level set on them.
  private static final Logger STDOUT = Logger.getLogger("stdout");
  private static final Logger STDERR = Logger.getLogger("stderr");

  private ProcessLog() {
  }

  /**
   * Replaces the root logger's handlers with one that writes {@code settings}' format at its level. Levels a
   * {@code java.util.logging.config.file} gives single loggers stay; its root handlers and root level do not.
   */
  public static synchronized void install(LogSettings settings) {
    Logger root = Logger.getLogger("");
    for (Handler old : root.getHandlers()) {
      root.removeHandler(old);
      old.close();
    }
    Handler handler = new FlushingHandler(new FileOutputStream(FileDescriptor.err), formatter(settings.format()));
    handler.setLevel(Level.ALL);
    root.addHandler(handler);
    root.setLevel(settings.level());
    // SLF4J binds its provider on first use; two threads using it at once (fabric8's and Netty's) make it print a
    // "calls were replayed" notice. Bound here, on one thread, it stays quiet.
    org.slf4j.LoggerFactory.getILoggerFactory();
    if (settings.format() == LogSettings.Format.JSON) {
      // What code prints is written whatever the level, as in text: a configuration error must show with level off.
      STDOUT.setLevel(Level.ALL);
      STDERR.setLevel(Level.ALL);
      System.setOut(new PrintStream(new LineRecords(STDOUT, Level.INFO), true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(new LineRecords(STDERR, Level.SEVERE), true, StandardCharsets.UTF_8));
    } else {
      System.setOut(ORIGINAL_OUT);
      System.setErr(ORIGINAL_ERR);
    }
  }

  private static Formatter formatter(LogSettings.Format format) {
    return switch (format) {
      case TEXT -> new TextLogFormatter();
      case JSON -> new JsonLogFormatter();
    };
  }

  /** Writes each record at once: a process may be killed right after its last line. */
  private static final class FlushingHandler extends StreamHandler {

    FlushingHandler(OutputStream out, Formatter formatter) {
      super(out, formatter);
      try {
        setEncoding(StandardCharsets.UTF_8.name());
      } catch (java.io.UnsupportedEncodingException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public synchronized void publish(LogRecord record) {
      super.publish(record);
      flush();
    }

    @Override
    public synchronized void close() {
      flush();
    }
  }

  /** Turns each line written to it into a record of {@code logger}; a partial line waits for its end. */
  private static final class LineRecords extends OutputStream {

    private final Logger logger;
    private final Level level;
    private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

    LineRecords(Logger logger, Level level) {
      this.logger = logger;
      this.level = level;
    }

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        logger.log(level, text.endsWith("\r") ? text.substring(0, text.length() - 1) : text);
      } else if (line.size() < 64 * 1024) {
        line.write(b);   // a line without an end never grows past 64 KiB
      }
    }

    @Override
    public synchronized void flush() {
      // a line is logged when it ends, never in pieces
    }
  }
}
