package dev.graceful.bench.model;

import java.util.Locale;

/**
 * A target on the ratio {@code median(contender) / median(baseline)} of one metric, e.g. start-up of
 * {@code graceful-runtime} at most 1.2x plain Vert.x: {@code Target.atMost("graceful-runtime", 1.2)}.
 */
public record Target(String contender, Bound bound, double ratio) {

  public enum Bound {
    AT_MOST("<="), AT_LEAST(">=");

    final String symbol;

    Bound(String symbol) {
      this.symbol = symbol;
    }
  }

  public static Target atMost(String contender, double ratio) {
    return new Target(contender, Bound.AT_MOST, ratio);
  }

  public static Target atLeast(String contender, double ratio) {
    return new Target(contender, Bound.AT_LEAST, ratio);
  }

  /** Whether a measured ratio meets the target; a missing (NaN) ratio never does. */
  public boolean metBy(double measured) {
    if (Double.isNaN(measured)) {
      return false;
    }
    return bound == Bound.AT_MOST ? measured <= ratio : measured >= ratio;
  }

  /** E.g. {@code <= 1.20x}. */
  public String describe() {
    return bound.symbol + " " + String.format(Locale.ROOT, "%.2fx", ratio);
  }
}
