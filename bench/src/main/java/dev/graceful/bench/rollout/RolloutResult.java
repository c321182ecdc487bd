package dev.graceful.bench.rollout;

import java.util.List;

/**
 * What one contender did under one load while its Deployment rolled continuously.
 *
 * @param ok               calls answered correctly
 * @param failed           calls that failed (refused or reset connection, non-2xx, non-OK gRPC status, timeout)
 * @param seconds          how long the load ran
 * @param rollouts         durations of the rollouts that completed, in ms
 * @param sigtermToExit    SIGTERM to exit per pod replaced under load, in ms (after the preStop hook, if any)
 * @param deletionToExit   deletion to exit per pod replaced under load, in ms (the preStop hook included)
 * @param startToReady     container start to Ready per pod started under load, in ms
 * @param killed           pods replaced under load that needed SIGKILL
 * @param perSecond        {second, ok, failed} through the run
 * @param firstErrors      a few of the failures, for the report
 */
public record RolloutResult(String contender, String protocol, long ok, long failed, double seconds,
    List<Long> rollouts, List<Long> sigtermToExit, List<Long> deletionToExit, List<Long> startToReady, int killed,
    List<long[]> perSecond, List<String> firstErrors) {

  public double throughput() {
    return ok / seconds;
  }
}
