package dev.graceful.bench.model;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One invocation of the harness: where and how it ran, and every scenario's result. */
public final class BenchRun {

  private final Instant started;
  private final boolean quick;
  private final Map<String, String> environment = new LinkedHashMap<>();
  private final List<ScenarioResult> results = new ArrayList<>();
  private final Map<String, String> failures = new LinkedHashMap<>();
  private final Map<String, String> footprint = new LinkedHashMap<>();

  public BenchRun(Instant started, boolean quick) {
    this.started = started;
    this.quick = quick;
  }

  public Instant started() {
    return started;
  }

  public boolean quick() {
    return quick;
  }

  /** Facts about the machine and settings (cores, Java, JVM flags, git commit), shown in the report header. */
  public synchronized BenchRun environment(String key, String value) {
    environment.put(key, value);
    return this;
  }

  public synchronized Map<String, String> environment() {
    return new LinkedHashMap<>(environment);
  }

  /**
   * What the contenders ship (the runtime's jars, container images), shown in the report's Footprint section before
   * what the scenarios add ({@link ScenarioResult#footprint(String, String)}).
   */
  public synchronized BenchRun footprint(String key, String value) {
    footprint.put(key, value);
    return this;
  }

  /** The run's footprint entries, then each scenario's, in order; a scenario's value wins over the run's for a key. */
  public synchronized Map<String, String> footprint() {
    Map<String, String> all = new LinkedHashMap<>(footprint);
    results.forEach(r -> all.putAll(r.footprint()));
    return all;
  }

  public synchronized BenchRun add(ScenarioResult result) {
    results.add(result);
    return this;
  }

  public synchronized List<ScenarioResult> results() {
    return List.copyOf(results);
  }

  /** A scenario that threw: named in the report instead of silently missing. */
  public synchronized BenchRun failed(String scenario, String reason) {
    failures.put(scenario, reason);
    return this;
  }

  public synchronized Map<String, String> failures() {
    return new LinkedHashMap<>(failures);
  }
}
