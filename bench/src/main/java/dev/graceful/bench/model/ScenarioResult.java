package dev.graceful.bench.model;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one scenario measured: metrics (raw samples per contender), optional per-second time series for the plot,
 * notes for the reader (settings, anomalies, errors seen), and the raw files it left in its directory.
 * Ratios are always {@code contender / baseline}, where the baseline is plain Vert.x unless a scenario says otherwise.
 */
public final class ScenarioResult {

  /** The contender every ratio is taken against. */
  public static final String PLAIN_VERTX = "plain-vertx";

  private final String scenario;
  private final String baseline;
  private final Map<String, Metric> metrics = new LinkedHashMap<>();
  private final Map<String, List<double[]>> series = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private final java.util.Map<String, String> partFailures = new java.util.LinkedHashMap<>();
  private final List<Marker> markers = new ArrayList<>();
  private final Map<String, String> footprint = new LinkedHashMap<>();
  private String seriesTitle = "";
  private Duration elapsed = Duration.ZERO;

  public ScenarioResult(String scenario, String baseline) {
    this.scenario = scenario;
    this.baseline = baseline;
  }

  public ScenarioResult(String scenario) {
    this(scenario, PLAIN_VERTX);
  }

  /** The metric with this name, created on first use (its unit, direction and description fixed then). */
  public synchronized Metric metric(String name, String unit, Better better, String description) {
    return metrics.computeIfAbsent(name, n -> new Metric(n, unit, better, description));
  }

  /** An existing metric; throws if none was created under this name. */
  public synchronized Metric metric(String name) {
    Metric m = metrics.get(name);
    if (m == null) {
      throw new IllegalArgumentException("no metric '" + name + "' in scenario " + scenario);
    }
    return m;
  }

  /**
   * Per-second points for one contender, each {@code {tSeconds, okPerSec, errPerSec}}: drawn by
   * {@link dev.graceful.bench.report.TimelinePlot} as {@code <scenario>.png} and kept in results.json.
   */
  public synchronized ScenarioResult series(String contender, List<double[]> points) {
    series.put(contender, List.copyOf(points));
    return this;
  }

  /** A labelled vertical line on the plot at {@code tSeconds}, e.g. where a rollout starts and ends. */
  public record Marker(double tSeconds, String label) {
  }

  public synchronized ScenarioResult marker(double tSeconds, String label) {
    markers.add(new Marker(tSeconds, label));
    return this;
  }

  public synchronized List<Marker> markers() {
    return List.copyOf(markers);
  }

  public synchronized ScenarioResult seriesTitle(String title) {
    this.seriesTitle = title;
    return this;
  }

  /**
   * Records a part of the scenario that failed while the rest went on (a contender that could not be measured): the
   * report lists it under the failed scenarios, and the run's exit code says so.
   */
  public synchronized ScenarioResult partFailed(String part, String reason) {
    partFailures.put(part, reason);
    return this;
  }

  public synchronized java.util.Map<String, String> partFailures() {
    return new java.util.LinkedHashMap<>(partFailures);
  }

  /**
   * A fact about what the contenders ship (e.g. a container image's size), listed in the report's Footprint section
   * after the run's own ({@link BenchRun#footprint(String, String)}); a later value under the same key replaces it.
   */
  public synchronized ScenarioResult footprint(String key, String value) {
    footprint.put(key, value);
    return this;
  }

  public synchronized Map<String, String> footprint() {
    return new LinkedHashMap<>(footprint);
  }

  public synchronized ScenarioResult note(String note) {
    notes.add(note);
    return this;
  }

  public synchronized void elapsed(Duration elapsed) {
    this.elapsed = elapsed;
  }

  public String scenario() {
    return scenario;
  }

  public String baseline() {
    return baseline;
  }

  public synchronized List<Metric> metrics() {
    return List.copyOf(metrics.values());
  }

  public synchronized Map<String, List<double[]>> series() {
    return new LinkedHashMap<>(series);
  }

  public synchronized String seriesTitle() {
    return seriesTitle;
  }

  public synchronized List<String> notes() {
    return List.copyOf(notes);
  }

  public synchronized Duration elapsed() {
    return elapsed;
  }
}
