package dev.graceful.bench.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One measured quantity (e.g. {@code http1.throughput} in req/s) with every raw sample, per contender, in the order
 * taken. Medians and ratios are derived from the samples when the report is written; nothing is averaged away.
 */
public final class Metric {

  private final String name;
  private final String unit;
  private final Better better;
  private final String description;
  private final Map<String, List<Double>> samples = new LinkedHashMap<>();
  private final List<Target> targets = new ArrayList<>();
  private volatile boolean pairedByRound;

  public Metric(String name, String unit, Better better, String description) {
    this.name = name;
    this.unit = unit;
    this.better = better;
    this.description = description;
  }

  /** Records one raw sample (thread-safe). */
  public synchronized Metric add(String contender, double value) {
    samples.computeIfAbsent(contender, c -> new ArrayList<>()).add(value);
    return this;
  }

  /**
   * Declares that the i-th sample of every contender was taken in the same round (alternating contenders), so
   * ratios get a paired 95% interval.
   */
  public Metric pairedByRound() {
    pairedByRound = true;
    return this;
  }

  /** Whether {@link #pairedByRound()} was declared: the i-th samples of the contenders come from the same round. */
  public boolean isPairedByRound() {
    return pairedByRound;
  }

  public synchronized Metric target(Target target) {
    targets.add(target);
    return this;
  }

  public String name() {
    return name;
  }

  public String unit() {
    return unit;
  }

  public Better better() {
    return better;
  }

  public String description() {
    return description;
  }

  /** Contender to its samples, in the order contenders first reported. */
  public synchronized Map<String, List<Double>> samples() {
    Map<String, List<Double>> copy = new LinkedHashMap<>();
    samples.forEach((c, s) -> copy.put(c, List.copyOf(s)));
    return Collections.unmodifiableMap(copy);
  }

  public synchronized List<Double> samples(String contender) {
    return List.copyOf(samples.getOrDefault(contender, List.of()));
  }

  public synchronized List<Target> targets() {
    return List.copyOf(targets);
  }

  public double median(String contender) {
    return Stats.median(samples(contender));
  }

  /** {@code median(contender) / median(baseline)}; NaN when either is missing or the baseline is zero. */
  public double ratio(String contender, String baseline) {
    double base = median(baseline);
    double value = median(contender);
    if (Double.isNaN(base) || Double.isNaN(value) || base == 0) {
      return Double.NaN;
    }
    return value / base;
  }

  /**
   * The 95% interval of the contender's ratio to the baseline from samples paired by index (the same round), or
   * NaNs where the metric is not {@link #pairedByRound() paired} or the samples do not pair up (see {@link Stats#pairedRatioInterval95}).
   */
  public double[] ratioInterval(String contender, String baseline) {
    if (!pairedByRound) {
      return new double[] {Double.NaN, Double.NaN};
    }
    return Stats.pairedRatioInterval95(samples(contender), samples(baseline));
  }

  /**
   * Whether the contender meets its target: by the interval's far end when there is one (a throughput target is met
   * only when the interval's lower end reaches it), by the ratio of medians otherwise; never when not measured.
   */
  public boolean meets(Target t, String baseline) {
    double[] interval = ratioInterval(t.contender(), baseline);
    if (!Double.isNaN(interval[0])) {
      return t.bound() == Target.Bound.AT_LEAST ? t.metBy(interval[0]) : t.metBy(interval[1]);
    }
    return t.metBy(ratio(t.contender(), baseline));
  }

  public Optional<Target> targetFor(String contender) {
    return targets().stream().filter(t -> t.contender().equals(contender)).findFirst();
  }
}
