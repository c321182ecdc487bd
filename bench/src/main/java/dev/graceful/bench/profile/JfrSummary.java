package dev.graceful.bench.profile;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording of a server under load (bench/profile.sh): CPU samples ({@code jdk.ExecutionSample}) of
 * the event-loop threads, top methods by self and by inclusive samples, the runtime's own work (samples spent in
 * {@code dev.graceful.runtime.*} code and what it calls, its demo application excluded: see {@link #ownWorkOf}), allocation samples ({@code jdk.ObjectAllocationSample}, by weight) by
 * allocating frame, and a collapsed-stacks file (one {@code frame;frame;... count} line per distinct stack, root
 * first) that flame-graph tools read (Brendan Gregg's flamegraph.pl, speedscope, async-profiler's converter).
 *
 * <p>One file, only the JDK: run it without building as {@code java JfrSummary.java REC.jfr OUT_PREFIX [TOP]}; writes
 * {@code OUT_PREFIX.txt} (the summary) and {@code OUT_PREFIX.collapsed}.
 */
public final class JfrSummary {

  /** Threads whose samples count: Vert.x event loops serve every request here (the demo runs no worker code). */
  static final String THREAD_PREFIX = "vert.x-eventloop-thread";
  /** The runtime's own code (its demo application excluded: plain Vert.x runs the same one). */
  static final String OWN_PACKAGE = "dev.graceful.runtime.";
  static final String DEMO_PACKAGE = "dev.graceful.runtime.demo.";

  private final Map<String, Long> self = new HashMap<>();
  private final Map<String, Long> inclusive = new HashMap<>();
  private final Map<String, Long> collapsed = new HashMap<>();
  private final Map<String, Long> ownWork = new HashMap<>();
  private final Map<String, Long> allocBySite = new HashMap<>();
  private final Map<String, Long> allocByClass = new HashMap<>();
  private long samples;
  private long ownSamples;
  private long allocWeight;

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: JfrSummary RECORDING.jfr OUT_PREFIX [TOP]");
      System.exit(2);
    }
    int top = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    JfrSummary summary = new JfrSummary();
    for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args[0]))) {
      summary.accept(event);
    }
    Path txt = Path.of(args[1] + ".txt");
    try (PrintStream out = new PrintStream(Files.newOutputStream(txt), false, "UTF-8")) {
      summary.print(out, Path.of(args[0]).getFileName().toString(), top);
    }
    summary.writeCollapsed(Path.of(args[1] + ".collapsed"));
    System.out.println("wrote " + txt + " and " + args[1] + ".collapsed");
  }

  void accept(RecordedEvent event) {
    String type = event.getEventType().getName();
    if (!onEventLoop(event)) {
      return;
    }
    RecordedStackTrace stack = event.getStackTrace();
    if (stack == null || stack.getFrames().isEmpty()) {
      return;
    }
    List<String> frames = new ArrayList<>();
    for (RecordedFrame f : stack.getFrames()) {
      frames.add(name(f));
    }
    if (type.equals("jdk.ExecutionSample")) {
      addSample(frames, stack.isTruncated());
    } else if (type.equals("jdk.ObjectAllocationSample")) {
      long weight = event.getLong("weight");
      allocWeight += weight;
      allocBySite.merge(firstInteresting(frames), weight, Long::sum);
      allocByClass.merge(event.getClass("objectClass").getName(), weight, Long::sum);
    }
  }

  private static boolean onEventLoop(RecordedEvent event) {
    var thread = event.hasField("sampledThread") ? event.getThread("sampledThread")
        : event.hasField("eventThread") ? event.getThread("eventThread") : null;
    String name = thread == null ? null : thread.getJavaName();
    return name != null && name.startsWith(THREAD_PREFIX);
  }

  /** One CPU sample, its frames leaf first. */
  void addSample(List<String> leafFirst, boolean truncated) {
    samples++;
    self.merge(leafFirst.get(0), 1L, Long::sum);
    Set<String> seen = new HashSet<>();
    for (String frame : leafFirst) {
      if (seen.add(frame)) {
        inclusive.merge(frame, 1L, Long::sum); // recursion counted once per sample
      }
    }
    String owner = ownWorkOf(leafFirst);
    if (owner != null) {
      ownSamples++;
      ownWork.merge(owner, 1L, Long::sum);
    }
    StringBuilder line = new StringBuilder(truncated ? "[truncated]" : "");
    for (int i = leafFirst.size() - 1; i >= 0; i--) {
      if (!line.isEmpty()) {
        line.append(';');
      }
      line.append(leafFirst.get(i).replace(';', ':').replace(' ', '_'));
    }
    collapsed.merge(line.toString(), 1L, Long::sum);
  }

  /**
   * The runtime method this sample's work is for, or null: the leaf-most runtime frame, unless a pipeline hand-off
   * (a Netty handler passing a message on) or the demo application lies between it and the leaf. A pipeline handler
   * of the runtime is on the stack of everything the handlers after it do, Vert.x and the application included:
   * only the work it does itself, and what it calls, is its own.
   */
  static String ownWorkOf(List<String> leafFirst) {
    for (String frame : leafFirst) {
      if (frame.startsWith(DEMO_PACKAGE)) {
        return null;
      }
      if (frame.startsWith(OWN_PACKAGE)) {
        return frame;
      }
      if (frame.startsWith("io.netty.channel.AbstractChannelHandlerContext.")
          || frame.startsWith("io.netty.channel.DefaultChannelPipeline.")) {
        return null;
      }
    }
    return null;
  }

  /** The allocating frame worth naming: the first one outside the JDK's and Netty's buffer plumbing. */
  private static String firstInteresting(List<String> leafFirst) {
    for (String f : leafFirst) {
      if (!f.startsWith("java.") && !f.startsWith("jdk.") && !f.startsWith("sun.")) {
        return f;
      }
    }
    return leafFirst.get(0);
  }

  static String name(RecordedFrame frame) {
    return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
  }

  void print(PrintStream out, String recording, int top) {
    out.println("# " + recording + ": " + samples + " CPU samples on " + THREAD_PREFIX + "*");
    out.println();
    out.printf("the runtime's own work (%s*, demo excluded, not counting what later pipeline handlers do): %d samples,"
        + " %.1f%%%n", OWN_PACKAGE, ownSamples, pct(ownSamples));
    out.println();
    table(out, "the runtime's own work by method (see ownWorkOf)", ownWork, top, samples);
    table(out, "top methods by self samples", self, top, samples);
    table(out, "top methods by inclusive samples", inclusive, top, samples);
    out.printf("allocation samples: %.1f MB sampled weight on the event loops%n%n", allocWeight / 1e6);
    table(out, "allocations by first frame outside java.*/jdk.*", allocBySite, top, allocWeight);
    table(out, "allocations by class", allocByClass, top, allocWeight);
  }

  private double pct(long n) {
    return samples == 0 ? 0 : 100.0 * n / samples;
  }

  private static void table(PrintStream out, String title, Map<String, Long> counts, int top, long total) {
    out.println("## " + title);
    out.println();
    out.println("| share | count | method |");
    out.println("| ---: | ---: | --- |");
    sorted(counts).stream().limit(top).forEach(e ->
        out.printf("| %.1f%% | %d | `%s` |%n", total == 0 ? 0 : 100.0 * e.getValue() / total, e.getValue(), e.getKey()));
    out.println();
  }

  static List<Map.Entry<String, Long>> sorted(Map<String, Long> counts) {
    List<Map.Entry<String, Long>> list = new ArrayList<>(counts.entrySet());
    list.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
    return list;
  }

  void writeCollapsed(Path file) throws IOException {
    List<String> lines = new ArrayList<>();
    Map<String, Long> ordered = new LinkedHashMap<>();
    sorted(collapsed).forEach(e -> ordered.put(e.getKey(), e.getValue()));
    ordered.forEach((k, v) -> lines.add(k + " " + v));
    Files.write(file, lines);
  }

  long samples() {
    return samples;
  }

  Map<String, Long> collapsedStacks() {
    return collapsed;
  }

  Map<String, Long> inclusiveCounts() {
    return inclusive;
  }
}
