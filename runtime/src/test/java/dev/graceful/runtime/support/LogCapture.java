package dev.graceful.runtime.support;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the runtime's java.util.logging records (logger {@code dev.graceful.runtime} and below) while open, and
 * lets a test wait, bounded, for a record instead of sleeping.
 */
public final class LogCapture extends Handler implements AutoCloseable {

  /** A record and when it was published ({@link System#nanoTime()}), to order it against a test's own steps. */
  public record Captured(LogRecord record, long nanos) {

    public String message() {
      return record.getMessage();
    }

    public Level level() {
      return record.getLevel();
    }
  }

  private final Logger logger;
  private final Level previous;
  private final List<Captured> records = new CopyOnWriteArrayList<>();

  private LogCapture(Level level) {
    logger = Logger.getLogger("dev.graceful.runtime");
    previous = logger.getLevel();
    setLevel(level);
    if (!logger.isLoggable(level)) {
      logger.setLevel(level); // FINE records are only made when the logger allows them
    }
    logger.addHandler(this);
  }

  /** Captures INFO and above. */
  public static LogCapture start() {
    return new LogCapture(Level.INFO);
  }

  /** Captures from {@code level} up, e.g. FINE for progress the runtime logs only for debugging. */
  public static LogCapture start(Level level) {
    return new LogCapture(level);
  }

  @Override
  public synchronized void publish(LogRecord record) {
    if (isLoggable(record)) {
      records.add(new Captured(record, System.nanoTime()));
      notifyAll();
    }
  }

  public List<Captured> records() {
    return List.copyOf(records);
  }

  /** Records at exactly {@code level}. */
  public List<Captured> at(Level level) {
    return records.stream().filter(c -> c.level().equals(level)).toList();
  }

  /** The first record whose message matches, waiting for it up to {@code timeout}. */
  public synchronized Captured await(Predicate<String> message, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Captured c : records) {
        if (message.test(c.message())) {
          return c;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no matching log record within " + timeout.toMillis() + " ms; got "
            + records.stream().map(c -> c.level() + " " + c.message()).toList());
      }
      try {
        wait(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted");
      }
    }
  }

  /** {@link #await(Predicate, Duration)} for a message containing {@code text}, within {@link Await#DEFAULT}. */
  public Captured await(String text) {
    return await(m -> m != null && m.contains(text), Await.DEFAULT);
  }

  @Override
  public void flush() {
  }

  @Override
  public void close() {
    logger.removeHandler(this);
    logger.setLevel(previous);
  }
}
