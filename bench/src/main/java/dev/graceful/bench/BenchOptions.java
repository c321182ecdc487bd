package dev.graceful.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Command line: {@code [all|SCENARIO...] [--quick] [--out DIR] [--set key=value]...}. {@code all} (the default)
 * means every registered scenario. {@code --set} passes a setting to scenarios
 * ({@link BenchContext#setting(String, String)}), e.g. {@code --set steady.duration=20}.
 */
public record BenchOptions(List<String> scenarios, boolean quick, Optional<Path> out, Map<String, String> settings, boolean help) {

  public static final String USAGE = "usage: bench/run.sh [all|SCENARIO...] [--quick] [--out DIR] [--set key=value]...";

  public static BenchOptions parse(String... args) {
    List<String> scenarios = new ArrayList<>();
    boolean quick = false;
    boolean help = false;
    Path out = null;
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--quick" -> quick = true;
        case "-h", "--help" -> help = true;
        case "--out" -> out = Path.of(value(args, ++i, a));
        case "--set" -> {
          String kv = value(args, ++i, a);
          int eq = kv.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("--set wants key=value, got '" + kv + "'");
          }
          settings.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        default -> {
          if (a.startsWith("-")) {
            throw new IllegalArgumentException("unknown option '" + a + "'\n" + USAGE);
          }
          if (!a.equals("all") && !Scenarios.known(a)) {
            throw new IllegalArgumentException("unknown scenario '" + a + "'; registered: "
                + String.join(", ", Scenarios.all().keySet()) + " (or all)"
                + (a.equals("rollout") ? "; rollout is not registered yet: add it in dev.graceful.bench.Scenarios" : ""));
          }
          if (a.equals("all")) {
            Scenarios.all().keySet().forEach(n -> {
              if (!scenarios.contains(n)) {
                scenarios.add(n);
              }
            });
          } else if (!scenarios.contains(a)) {
            scenarios.add(a);
          }
        }
      }
    }
    if (scenarios.isEmpty()) {
      scenarios.addAll(Scenarios.all().keySet());
    }
    return new BenchOptions(List.copyOf(scenarios), quick, Optional.ofNullable(out), Map.copyOf(settings), help);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
    }
    return args[i];
  }
}
