package dev.graceful.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A PNG of requests per second and errors per second over time, one line per contender (same colour in both
 * panels): successful requests/s on top, errors/s below on its own scale, so a handful of errors is visible next
 * to thousands of successes. Java2D off-screen, no dependency; works headless.
 *
 * <p>Input: contender to points {@code {tSeconds, okPerSec, errPerSec}}, ascending in t (one per second is the
 * intended resolution). Optional markers draw labelled vertical lines, e.g. where a rollout starts and ends.
 */
public final class TimelinePlot {

  /** A labelled vertical line at {@code tSeconds}. */
  public record Marker(double tSeconds, String label) {
  }

  static final Color[] PALETTE = {
      new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
      new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

  private static final int WIDTH = 1200;
  private static final int HEIGHT = 760;
  private static final int LEFT = 90;
  private static final int RIGHT = 230;
  private static final int TOP = 50;
  private static final int GAP = 60;
  private static final int BOTTOM = 55;

  private TimelinePlot() {
  }

  public static void write(Path png, String title, Map<String, List<double[]>> series) throws IOException {
    write(png, title, series, List.of());
  }

  public static void write(Path png, String title, Map<String, List<double[]>> series, List<Marker> markers) throws IOException {
    BufferedImage image = render(title, series, markers);
    Path parent = png.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (!ImageIO.write(image, "png", png.toFile())) {
      throw new IOException("no PNG writer available");
    }
  }

  static BufferedImage render(String title, Map<String, List<double[]>> series, List<Marker> markers) {
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, HEIGHT);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.drawString(title, LEFT, 28);

      double tMin = Double.POSITIVE_INFINITY;
      double tMax = Double.NEGATIVE_INFINITY;
      double okMax = 0;
      double errMax = 0;
      for (List<double[]> points : series.values()) {
        for (double[] p : points) {
          tMin = Math.min(tMin, p[0]);
          tMax = Math.max(tMax, p[0]);
          okMax = Math.max(okMax, p[1]);
          errMax = Math.max(errMax, p[2]);
        }
      }
      for (Marker m : markers) {
        tMin = Math.min(tMin, m.tSeconds());
        tMax = Math.max(tMax, m.tSeconds());
      }
      if (!Double.isFinite(tMin)) {
        tMin = 0;
        tMax = 1;
      }
      if (tMax <= tMin) {
        tMax = tMin + 1;
      }
      int plotW = WIDTH - LEFT - RIGHT;
      int panelH = (HEIGHT - TOP - GAP - BOTTOM) * 3 / 5;
      int errH = HEIGHT - TOP - GAP - BOTTOM - panelH;
      Panel ok = new Panel(LEFT, TOP, plotW, panelH, tMin, tMax, niceCeil(okMax), "successful requests / s", 1);
      Panel err = new Panel(LEFT, TOP + panelH + GAP, plotW, errH, tMin, tMax, niceCeil(Math.max(errMax, 1)), "errors / s", 2);
      ok.axes(g, false);
      err.axes(g, true);
      for (Marker m : markers) {
        ok.marker(g, m, true);
        err.marker(g, m, false);
      }
      int i = 0;
      for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
        Color c = PALETTE[i % PALETTE.length];
        ok.line(g, e.getValue(), c);
        err.line(g, e.getValue(), c);
        legend(g, i, e.getKey(), c, e.getValue());
        i++;
      }
      if (series.isEmpty()) {
        g.setColor(Color.GRAY);
        g.drawString("no data", LEFT + plotW / 2 - 20, TOP + panelH / 2);
      }
    } finally {
      g.dispose();
    }
    return image;
  }

  private static void legend(Graphics2D g, int index, String name, Color color, List<double[]> points) {
    int x = WIDTH - RIGHT + 20;
    int y = TOP + 10 + index * 42;
    g.setColor(color);
    g.setStroke(new BasicStroke(3f));
    g.drawLine(x, y, x + 24, y);
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    g.drawString(name, x + 30, y + 5);
    double errors = points.stream().mapToDouble(p -> p[2]).sum();
    double oks = points.stream().mapToDouble(p -> p[1]).sum();
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.setColor(Color.DARK_GRAY);
    g.drawString(String.format(Locale.ROOT, "%,.0f ok, %,.0f errors", oks, errors), x + 30, y + 20);
  }

  /** 1, 2, 2.5, 5 x 10^n at or above v. */
  static double niceCeil(double v) {
    if (v <= 0) {
      return 1;
    }
    double exp = Math.pow(10, Math.floor(Math.log10(v)));
    for (double f : new double[] {1, 2, 2.5, 5, 10}) {
      if (f * exp >= v) {
        return f * exp;
      }
    }
    return 10 * exp;
  }

  private record Panel(int x, int y, int w, int h, double tMin, double tMax, double yMax, String label, float stroke) {

    int px(double t) {
      return x + (int) Math.round((t - tMin) / (tMax - tMin) * w);
    }

    int py(double v) {
      return y + h - (int) Math.round(Math.min(v, yMax) / yMax * h);
    }

    void axes(Graphics2D g, boolean timeLabels) {
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      FontMetrics fm = g.getFontMetrics();
      for (int k = 0; k <= 4; k++) {
        double v = yMax * k / 4;
        int yy = py(v);
        g.setColor(new Color(0xe6e6e6));
        g.drawLine(x, yy, x + w, yy);
        g.setColor(Color.DARK_GRAY);
        String s = format(v);
        g.drawString(s, x - 8 - fm.stringWidth(s), yy + 4);
      }
      double step = niceCeil((tMax - tMin) / 10);
      for (double t = Math.ceil(tMin / step) * step; t <= tMax + 1e-9; t += step) {
        int xx = px(t);
        g.setColor(new Color(0xf0f0f0));
        g.drawLine(xx, y, xx, y + h);
        g.setColor(Color.DARK_GRAY);
        if (timeLabels) {
          String s = format(t);
          g.drawString(s, xx - fm.stringWidth(s) / 2, y + h + 16);
        }
      }
      g.setColor(Color.BLACK);
      g.drawRect(x, y, w, h);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
      g.drawString(label, x, y - 8);
      if (timeLabels) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString("time (s)", x + w / 2 - 20, y + h + 38);
      }
    }

    void marker(Graphics2D g, Marker m, boolean withLabel) {
      int xx = px(m.tSeconds());
      g.setColor(new Color(0x888888));
      g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
      g.drawLine(xx, y, xx, y + h);
      g.setStroke(new BasicStroke(1f));
      if (withLabel) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawString(m.label(), xx + 3, y + 12);
      }
    }

    void line(Graphics2D g, List<double[]> points, Color c) {
      if (points.isEmpty()) {
        return;
      }
      int idx = label.startsWith("errors") ? 2 : 1;
      List<int[]> xy = new ArrayList<>();
      for (double[] p : points) {
        xy.add(new int[] {px(p[0]), py(p[idx])});
      }
      g.setColor(c);
      g.setStroke(new BasicStroke(stroke + 1f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
      for (int k = 1; k < xy.size(); k++) {
        g.drawLine(xy.get(k - 1)[0], xy.get(k - 1)[1], xy.get(k)[0], xy.get(k)[1]);
      }
      if (xy.size() == 1) {
        g.fillOval(xy.get(0)[0] - 3, xy.get(0)[1] - 3, 6, 6);
      }
      g.setStroke(new BasicStroke(1f));
    }

    private static String format(double v) {
      if (v == Math.rint(v)) {
        return String.format(Locale.ROOT, "%,.0f", v);
      }
      return String.format(Locale.ROOT, "%,.2f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }
  }
}
