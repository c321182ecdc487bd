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

  /** Two-sided 97.5% quantiles of Student's t for 1 to 30 degrees of freedom; 1.96 beyond. */
  private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201,
      2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
      2.048, 2.045, 2.042};

  /**
   * The 95% interval of the ratio {@code a / b} from paired samples ({@code a[i]} and {@code b[i]} measured in the
   * same round): a t interval on the mean of {@code log(a[i] / b[i])}, turned back into a ratio (a geometric mean).
   * Empty (NaN, NaN) with fewer than 3 pairs, unequal counts or a non-positive sample.
   */
  public static double[] pairedRatioInterval95(List<Double> a, List<Double> b) {
    int n = a.size();
    if (n < 3 || b.size() != n) {
      return new double[] {Double.NaN, Double.NaN};
    }
    double[] logs = new double[n];
    for (int i = 0; i < n; i++) {
      if (a.get(i) == null || b.get(i) == null || !(a.get(i) > 0) || !(b.get(i) > 0)) {
        return new double[] {Double.NaN, Double.NaN};
      }
      logs[i] = Math.log(a.get(i) / b.get(i));
    }
    double mean = Arrays.stream(logs).average().orElseThrow();
    double variance = Arrays.stream(logs).map(x -> (x - mean) * (x - mean)).sum() / (n - 1);
    double t = n - 1 <= T975.length ? T975[n - 2] : 1.96;
    double half = t * Math.sqrt(variance / n);
    return new double[] {Math.exp(mean - half), Math.exp(mean + half)};
  }

  /**
   * The exact one-sided 95% upper bound on a Poisson rate after {@code events} events: the mean at which seeing
   * {@code events} or fewer has probability 5% (2.996 for none, the "rule of three"). Divided by the exposure (pods
   * replaced), it bounds failed calls per pod.
   */
  public static double poissonUpper95(long events) {
    if (events < 0) {
      throw new IllegalArgumentException("events must be >= 0: " + events);
    }
    double lo = events;
    double hi = events + 10 + 10 * Math.sqrt(events + 1.0);
    for (int i = 0; i < 200; i++) {
      double mid = (lo + hi) / 2;
      if (poissonCdf(events, mid) > 0.05) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return (lo + hi) / 2;
  }

  /** P(X <= k) for a Poisson mean {@code mean}, summed in log space so large k and means stay finite. */
  static double poissonCdf(long k, double mean) {
    double logTerm = -mean; // log P(X = 0)
    double sum = Math.exp(logTerm);
    for (long i = 1; i <= k; i++) {
      logTerm += Math.log(mean) - Math.log(i);
      sum += Math.exp(logTerm);
    }
    return Math.min(1, sum);
  }

  private static double[] sorted(List<Double> samples) {
    double[] values = samples.stream().filter(d -> d != null && !d.isNaN()).mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(values);
    return values;
  }
}
