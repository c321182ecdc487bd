package dev.graceful.bench.model;

import java.util.Arrays;
import java.util.List;

/** Order statistics over raw samples. Empty input gives NaN. */
public final class Stats {

  private Stats() {
  }

  public static double median(List<Double> samples) {
    return percentile(samples, 50);
  }

  /** Nearest-rank percentile for 0 < p <= 100; the median of an even count is the mean of the middle two. */
  public static double percentile(List<Double> samples, double p) {
    double[] sorted = sorted(samples);
    if (sorted.length == 0) {
      return Double.NaN;
    }
    if (p == 50) {
      int mid = sorted.length / 2;
      return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  public static double min(List<Double> samples) {
    double[] sorted = sorted(samples);
    return sorted.length == 0 ? Double.NaN : sorted[0];
  }

  public static double max(List<Double> samples) {
    double[] sorted = sorted(samples);
    return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
  }

  private static double[] sorted(List<Double> samples) {
    double[] values = samples.stream().filter(d -> d != null && !d.isNaN()).mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(values);
    return values;
  }
}
