package dev.graceful.bench.model;

import java.util.List;

/**
 * The goals as targets, in one place: the scenarios attach them to their metrics, and the report lists the
 * headline ones first (as "not measured" when the scenario that measures them did not run).
 */
public final class Goals {

  private Goals() {
  }

  public static final String RUNTIME = "graceful-runtime";
  public static final String RUNTIME_GATE = "graceful-runtime+readiness-gate";

  /** The headline start-up figure: container start to Ready inside the cluster under load (rollout scenario). */
  public static final String IN_CLUSTER_SCENARIO = "rollout";
  public static final String IN_CLUSTER_START_TO_READY = "rollout.start-to-ready";
  public static final double IN_CLUSTER_STARTUP = 1.30;

  /** Off the cluster (startup scenario): process start to readiness on loopback. */
  public static final double OFF_CLUSTER_STARTUP = 1.10;

  /** Resident memory idle (startup scenario) and under load (steady scenario). */
  public static final double RSS = 1.10;

  /** Resident memory in the cluster (rollout scenario): at Ready, and after serving until the pod's deletion. */
  public static final String IN_CLUSTER_RSS_READY = "rollout.rss.at-ready";
  public static final String IN_CLUSTER_RSS_SERVED = "rollout.rss.at-deletion";

  /** Throughput per protocol (steady scenario). */
  public static final double THROUGHPUT = 0.98;

  /** In-cluster start-up targets, first in the Targets table: the runtime with the chart's defaults, and with the gate. */
  public static List<Target> inClusterStartup() {
    return List.of(Target.atMost(RUNTIME, IN_CLUSTER_STARTUP).listed(0), Target.atMost(RUNTIME_GATE, IN_CLUSTER_STARTUP).listed(1));
  }

  /** The memory targets in the cluster, for the runtime with the chart's defaults (unpaired samples: ratio of medians). */
  public static List<Target> inClusterMemory() {
    return List.of(Target.atMost(RUNTIME, RSS).listed(3));
  }

  /** The off-cluster start-up target, right after the in-cluster ones. */
  public static Target offClusterStartup() {
    return Target.atMost(RUNTIME, OFF_CLUSTER_STARTUP).listed(2);
  }
}
