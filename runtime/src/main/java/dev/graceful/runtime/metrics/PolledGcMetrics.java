package dev.graceful.runtime.metrics;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Garbage collection meters read when {@code /metrics} is scraped, under the names of Micrometer's {@code JvmGcMetrics}.
 *
 * <p>Not {@code JvmGcMetrics} itself: it listens to the JVM's GC notifications, and for each collection the JVM then
 * builds a {@code GcInfo} and the listener works on it, about 2 ms of CPU after every young collection, on the
 * "Notification Thread". In a pod with one CPU that is the event loop's core, so the requests answered right after each
 * collection wait for it too: 1.5% of the core under the steady benchmark's load, several collections a second. The
 * figures that can be read at any time are kept; the ones that need each collection's details are not:
 * {@code jvm_gc_memory_allocated_bytes_total}, {@code jvm_gc_memory_promoted_bytes_total}, {@code jvm_gc_overhead},
 * and the pause timer's {@code max} and its {@code action} and {@code cause} tags. Concurrent collectors' cycles (ZGC,
 * Shenandoah) go to {@code jvm_gc_concurrent_phase_time_seconds}, as Micrometer splits them, not to the pauses.
 */
final class PolledGcMetrics implements MeterBinder {

  @Override
  public void bindTo(MeterRegistry registry) {
    for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
      // ZGC's and Shenandoah's "Cycles" beans time concurrent work, not pauses: Micrometer's own split.
      boolean concurrent = isConcurrentPhase(collector.getName());
      FunctionTimer.builder(concurrent ? "jvm.gc.concurrent.phase.time" : "jvm.gc.pause", collector,
              c -> Math.max(0, c.getCollectionCount()), c -> Math.max(0, c.getCollectionTime()), TimeUnit.MILLISECONDS)
          .tag("gc", collector.getName())
          .description(concurrent ? "Concurrent collection cycles and their time (read from the JVM when scraped)"
              : "Collections by this collector and the time they took (read from the JVM when scraped)")
          .register(registry);
    }
    List<MemoryPoolMXBean> longLived = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(pool -> isLongLivedPool(pool.getName())).toList();
    if (!longLived.isEmpty()) {
      // The list, held strongly: a gauge keeps only a weak reference to what it reads.
      Gauge.builder("jvm.gc.live.data.size", longLived, pools -> sum(pools, false)).strongReference(true)
          .description("Size of the long-lived heap memory pool after its last collection")
          .baseUnit("bytes").register(registry);
      Gauge.builder("jvm.gc.max.data.size", longLived, pools -> sum(pools, true)).strongReference(true)
          .description("Max size of the long-lived heap memory pool")
          .baseUnit("bytes").register(registry);
    }
  }

  /** Micrometer's rule ({@code JvmMemory.isConcurrentPhase}, by collector name). */
  static boolean isConcurrentPhase(String collector) {
    return "Shenandoah Cycles".equals(collector) || collector.startsWith("ZGC") && collector.endsWith("Cycles")
        || collector.startsWith("GPGC") && !collector.endsWith("Pauses");
  }

  /** The old generation, or the whole heap for a collector without generations: Micrometer's rule in full. */
  static boolean isLongLivedPool(String name) {
    return name.endsWith("Old Gen") || name.endsWith("Tenured Gen") || "Shenandoah".equals(name)
        || "ZHeap".equals(name) || "ZGC Old Generation".equals(name) || name.endsWith("balanced-old")
        || name.contains("tenured") || "JavaHeap".equals(name);
  }

  private static double sum(List<MemoryPoolMXBean> pools, boolean max) {
    double total = 0;
    for (MemoryPoolMXBean pool : pools) {
      double bytes = bytes(max ? pool.getUsage() : pool.getCollectionUsage(), max);
      if (!Double.isNaN(bytes)) {
        total += bytes;
      }
    }
    return total;
  }

  private static double bytes(MemoryUsage usage, boolean max) {
    if (usage == null) {
      return Double.NaN;
    }
    long value = max ? usage.getMax() : usage.getUsed();
    return value < 0 ? Double.NaN : value; // -1: no maximum
  }
}
