package dev.graceful.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The GC meters read when scraped: Micrometer's names, pauses apart from concurrent cycles. */
class PolledGcMetricsTest {

  @Test
  void concurrentCyclesAreNotPauses() {
    for (String concurrent : List.of("ZGC Cycles", "ZGC Major Cycles", "ZGC Minor Cycles", "Shenandoah Cycles")) {
      assertTrue(PolledGcMetrics.isConcurrentPhase(concurrent), concurrent);
    }
    for (String pause : List.of("Copy", "MarkSweepCompact", "PS Scavenge", "G1 Young Generation", "G1 Old Generation",
        "G1 Concurrent GC", "ZGC Pauses", "ZGC Major Pauses", "Shenandoah Pauses")) {
      assertFalse(PolledGcMetrics.isConcurrentPhase(pause), pause);
    }
  }

  @Test
  void theLongLivedPoolOfEachHotSpotCollector() {
    for (String old : List.of("Tenured Gen", "PS Old Gen", "G1 Old Gen", "ZHeap", "ZGC Old Generation", "Shenandoah",
        "Shenandoah Old Gen")) {
      assertTrue(PolledGcMetrics.isLongLivedPool(old), old);
    }
    for (String young : List.of("Eden Space", "Survivor Space", "G1 Eden Space", "PS Eden Space", "ZGC Young Generation",
        "Metaspace", "CodeHeap 'non-nmethods'")) {
      assertFalse(PolledGcMetrics.isLongLivedPool(young), young);
    }
  }

  @Test
  void countsThisJvmsCollections() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new PolledGcMetrics().bindTo(registry);
    System.gc();
    double collections = 0;
    for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
      FunctionTimer timer = registry.find(PolledGcMetrics.isConcurrentPhase(collector.getName())
          ? "jvm.gc.concurrent.phase.time" : "jvm.gc.pause").tag("gc", collector.getName()).functionTimer();
      assertNotNull(timer, collector.getName());
      double counted = timer.count();
      // The JVM's own figure, read after the meter's: equal, or higher if a collection came in between.
      assertTrue(counted <= collector.getCollectionCount() && counted >= 0, collector.getName() + ": " + counted);
      collections += counted;
    }
    assertTrue(collections >= 1, "System.gc() ran a collection: " + collections);
    double max = registry.get("jvm.gc.max.data.size").gauge().value();
    assertTrue(max > 0, "the old generation has a maximum: " + max);
    assertTrue(registry.get("jvm.gc.live.data.size").gauge().value() >= 0);
  }
}
