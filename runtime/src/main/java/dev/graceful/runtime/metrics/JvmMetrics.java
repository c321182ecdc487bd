package dev.graceful.runtime.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/**
 * The JVM and process meters every dashboard for a JVM service starts from, by Micrometer's own binders and under its
 * usual names: {@code jvm_memory_used_bytes}, {@code jvm_gc_pause_seconds}, {@code jvm_threads_live_threads},
 * {@code jvm_classes_loaded_classes}, {@code process_cpu_usage}, {@code system_cpu_count},
 * {@code process_uptime_seconds}, {@code process_files_open_files}, {@code jvm_info} and the rest of each binder's.
 * Garbage collection is read when scraped ({@link PolledGcMetrics}), not from a notification after every collection.
 */
public final class JvmMetrics implements MeterBinder {

  /** Binds them all; nothing to stop later, as no binder listens to the JVM (the meters go with the registry). */
  @Override
  public void bindTo(MeterRegistry registry) {
    new JvmMemoryMetrics().bindTo(registry);
    new PolledGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    new JvmInfoMetrics().bindTo(registry);
  }
}
