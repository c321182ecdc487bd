package dev.graceful.bench;

import dev.graceful.bench.model.ScenarioResult;

/**
 * One benchmark scenario. Implementations start what they measure, record raw samples per contender into a
 * {@link ScenarioResult}, stop everything they started (bounded waits only), and return the result; the harness
 * writes results.json, report.md and the plot. Register new scenarios in {@link Scenarios}.
 */
public interface Scenario {

  /** The command-line name, e.g. {@code startup}; also names the scenario's raw-output directory. */
  String name();

  /** One line for the report and {@code --help}. */
  String description();

  /** Runs the scenario. Throwing marks it failed in the report; the other scenarios still run. */
  ScenarioResult run(BenchContext context) throws Exception;
}
