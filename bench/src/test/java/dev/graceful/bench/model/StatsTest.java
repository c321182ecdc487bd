package dev.graceful.bench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class StatsTest {

  @Test
  void poissonUpperBoundsMatchTheChiSquareTable() {
    // chi2.ppf(0.95, 2k + 2) / 2
    assertEquals(2.9957, Stats.poissonUpper95(0), 1e-3);
    assertEquals(4.7439, Stats.poissonUpper95(1), 1e-3);
    assertEquals(6.2958, Stats.poissonUpper95(2), 1e-3);
    assertEquals(16.962, Stats.poissonUpper95(10), 1e-2);
    assertEquals(118.08, Stats.poissonUpper95(100), 0.1);
  }

  @Test
  void aNegativeCountIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> Stats.poissonUpper95(-1));
  }

  @Test
  void medianAndPercentile() {
    assertEquals(2.5, Stats.median(java.util.List.of(1.0, 2.0, 3.0, 4.0)));
    assertEquals(4.0, Stats.percentile(java.util.List.of(1.0, 2.0, 3.0, 4.0), 99));
  }

  @Test
  void aPairedRatioIntervalSurroundsTheGeometricMeanAndNarrowsWithLessNoise() {
    java.util.List<Double> base = java.util.List.of(100.0, 110.0, 90.0, 105.0, 95.0);
    java.util.List<Double> exact = base.stream().map(x -> x * 0.9).toList();
    double[] tight = Stats.pairedRatioInterval95(exact, base);
    assertEquals(0.9, tight[0], 1e-9);
    assertEquals(0.9, tight[1], 1e-9);
    java.util.List<Double> noisy = java.util.List.of(95.0, 95.0, 85.0, 90.0, 90.0);
    double[] wide = Stats.pairedRatioInterval95(noisy, base);
    double geometricMean = Math.exp(java.util.stream.IntStream.range(0, 5)
        .mapToDouble(i -> Math.log(noisy.get(i) / base.get(i))).average().orElseThrow());
    org.junit.jupiter.api.Assertions.assertTrue(wide[0] < geometricMean && geometricMean < wide[1]);
    // t(4) = 2.776: half-width = 2.776 * sd / sqrt(5) on the log scale
    org.junit.jupiter.api.Assertions.assertTrue(wide[1] - wide[0] > 0.05, java.util.Arrays.toString(wide));
  }

  @Test
  void noIntervalWithoutEnoughPairs() {
    org.junit.jupiter.api.Assertions.assertTrue(Double.isNaN(Stats.pairedRatioInterval95(java.util.List.of(1.0, 2.0),
        java.util.List.of(1.0, 2.0))[0]));
    org.junit.jupiter.api.Assertions.assertTrue(Double.isNaN(Stats.pairedRatioInterval95(java.util.List.of(1.0, 2.0, 3.0),
        java.util.List.of(1.0, 2.0))[0]));
    org.junit.jupiter.api.Assertions.assertTrue(Double.isNaN(Stats.pairedRatioInterval95(java.util.List.of(1.0, 0.0, 3.0),
        java.util.List.of(1.0, 2.0, 3.0))[0]));
  }

  @Test
  void aThroughputTargetIsMetOnlyWhenTheIntervalsLowerEndReachesIt() {
    Metric m = new Metric("t", "req/s", Better.HIGHER, "").pairedByRound();
    double[] base = {100, 104, 96, 102, 98, 101};
    double[] near = {98, 103, 93, 101, 95, 99}; // median ratio about 0.98, lower end below 0.97
    for (int i = 0; i < base.length; i++) {
      m.add("plain", base[i]).add("runtime", near[i]);
    }
    Target t = Target.atLeast("runtime", 0.97);
    assertEquals(true, t.metBy(m.ratio("runtime", "plain")));
    double[] interval = m.ratioInterval("runtime", "plain");
    assertEquals(false, m.meets(t, "plain"), java.util.Arrays.toString(interval));
    Metric unpaired = new Metric("u", "req/s", Better.HIGHER, "");
    for (int i = 0; i < base.length; i++) {
      unpaired.add("plain", base[i]).add("runtime", near[i]);
    }
    assertEquals(true, unpaired.meets(t, "plain"), "without pairing, the ratio of medians decides");
  }
}
