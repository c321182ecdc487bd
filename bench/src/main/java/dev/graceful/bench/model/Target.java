package dev.graceful.bench.model;

import java.util.Locale;

/**
 * A target on the ratio {@code median(contender) / median(baseline)} of one metric, e.g. start-up of
 * {@code graceful-runtime} at most 1.1x plain Vert.x: {@code Target.atMost("graceful-runtime", 1.1)}.
 *
 * @param order where the report's Targets table lists it: lower first (the headline figures), then the rest in the
 *              order the scenarios ran; {@link #DEFAULT_ORDER} unless {@link #listed(int) set}
 */
public record Target(String contender, Bound bound, double ratio, int order) {

  /** The Targets table's place of a target nobody ranked: after every ranked one. */
  public static final int DEFAULT_ORDER = 100;

  public enum Bound {
    AT_MOST("<="), AT_LEAST(">=");

    final String symbol;

    Bound(String symbol) {
      this.symbol = symbol;
    }
  }

  public static Target atMost(String contender, double ratio) {
    return new Target(contender, Bound.AT_MOST, ratio, DEFAULT_ORDER);
  }

  public static Target atLeast(String contender, double ratio) {
    return new Target(contender, Bound.AT_LEAST, ratio, DEFAULT_ORDER);
  }

  /** The same target listed at {@code order} in the Targets table (lower first). */
  public Target listed(int order) {
    return new Target(contender, bound, ratio, order);
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
