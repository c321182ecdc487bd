package dev.graceful.bench.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimelinePlotTest {

  /** A made-up rollout: a steady line, a dip with errors for one contender, a longer dip for another. */
  static Map<String, List<double[]>> fakeRollout() {
    Map<String, List<double[]>> series = new LinkedHashMap<>();
    List<double[]> graceful = new ArrayList<>();
    List<double[]> naive = new ArrayList<>();
    List<double[]> prestop = new ArrayList<>();
    for (int t = 0; t <= 60; t++) {
      graceful.add(new double[] {t, 1000 + 30 * Math.sin(t / 3.0), 0});
      boolean cut = t >= 20 && t < 24 || t >= 40 && t < 43;
      naive.add(new double[] {t, cut ? 600 : 990, cut ? 35 : 0});
      prestop.add(new double[] {t, t >= 20 && t < 35 ? 850 : 995, t == 36 ? 2 : 0});
    }
    series.put("graceful-runtime", graceful);
    series.put("plain-vertx", naive);
    series.put("plain-vertx-prestop-15s", prestop);
    return series;
  }

  @Test
  void writesAValidPngWithOneColourPerContender(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("sub/rollout.png");
    TimelinePlot.write(png, "rollout: requests and errors per second", fakeRollout(),
        List.of(new TimelinePlot.Marker(10, "rollout starts"), new TimelinePlot.Marker(50, "done")));

    byte[] bytes = Files.readAllBytes(png);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8));
    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image);
    assertEquals(1200, image.getWidth());
    assertEquals(760, image.getHeight());
    // The first contender's colour is drawn somewhere, and not only in the legend.
    int blue = TimelinePlot.PALETTE[0].getRGB();
    long bluePixels = 0;
    for (int x = 0; x < 900; x++) {
      for (int y = 0; y < image.getHeight(); y++) {
        if (image.getRGB(x, y) == blue) {
          bluePixels++;
        }
      }
    }
    assertNotEquals(0, bluePixels);
    // A copy to look at: bench/target/timeline-sample.png.
    Files.copy(png, Path.of("target", "timeline-sample.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void emptyAndSinglePointInputStillDraw(@TempDir Path dir) throws Exception {
    TimelinePlot.write(dir.resolve("empty.png"), "nothing", Map.of());
    TimelinePlot.write(dir.resolve("one.png"), "one", Map.of("a", List.<double[]>of(new double[] {0, 5, 0})));
    assertNotNull(ImageIO.read(dir.resolve("empty.png").toFile()));
    assertNotNull(ImageIO.read(dir.resolve("one.png").toFile()));
  }

  @Test
  void axisBoundsAreRound() {
    assertEquals(1, TimelinePlot.niceCeil(0));
    assertEquals(50, TimelinePlot.niceCeil(35));
    assertEquals(2500, TimelinePlot.niceCeil(2100));
    assertEquals(1000, TimelinePlot.niceCeil(1000));
  }
}
