package dev.graceful.bench;

import dev.graceful.bench.scenarios.ShutdownScenario;
import dev.graceful.bench.scenarios.StartupScenario;
import dev.graceful.bench.scenarios.SteadyScenario;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * The scenarios the harness knows, in the order {@code all} runs them. Add one with a line in {@link #REGISTRY}
 * (e.g. {@code REGISTRY.put("rollout", RolloutScenario::new)}), or from another module through
 * {@code META-INF/services/dev.graceful.bench.Scenario} ({@link ServiceLoader}); a registered name wins.
 */
public final class Scenarios {

  private static final Map<String, Supplier<Scenario>> REGISTRY = new LinkedHashMap<>();

  static {
    REGISTRY.put("startup", StartupScenario::new);
    REGISTRY.put("steady", SteadyScenario::new);
    REGISTRY.put("shutdown", ShutdownScenario::new);
    REGISTRY.put("rollout", dev.graceful.bench.rollout.RolloutScenario::new);
    for (Scenario s : ServiceLoader.load(Scenario.class)) {
      REGISTRY.putIfAbsent(s.name(), () -> s);
    }
  }

  private Scenarios() {
  }

  /** Name to factory, in run order. */
  public static Map<String, Supplier<Scenario>> all() {
    return Collections.unmodifiableMap(REGISTRY);
  }

  public static boolean known(String name) {
    return REGISTRY.containsKey(name);
  }

  public static Scenario create(String name) {
    Supplier<Scenario> s = REGISTRY.get(name);
    if (s == null) {
      throw new IllegalArgumentException("unknown scenario '" + name + "'; registered: " + String.join(", ", REGISTRY.keySet()));
    }
    return s.get();
  }
}
