package dev.graceful.bench.rollout;

import java.util.List;

/**
 * What one contender did under one load while its Deployment rolled continuously.
 *
 * @param paths            the counts of each path the load took (through the service proxy, through the L7 hop)
 * @param seconds          how long the load ran
 * @param rollouts         durations of the rollouts that completed, in ms
 * @param replaced         pods deleted while the load ran (each one drained under it)
 * @param sigtermToExit    SIGTERM to exit per pod replaced under load, in ms (after the preStop hook, if any)
 * @param deletionToExit   deletion to exit per pod replaced under load, in ms (the preStop hook included)
 * @param startToReady     container start to Ready per pod started under load, in ms
 * @param inFlightAtDrain  requests in flight when each replaced pod's drain began, from the runtime's own summary
 *                         (empty for servers that write none)
 * @param rssAtReadyMiB    resident memory of each pod started under load when it turned Ready, in MiB
 * @param rssAtDeletionMiB resident memory of each pod replaced under load when its deletion was seen, in MiB: after
 *                         serving its share of the load since Ready, before the drain
 * @param killed           pods replaced under load that needed SIGKILL
 * @param perSecond        {second, ok, failed} through the run, both paths together
 * @param firstErrors      a few of the failures, for the report
 */
public record RolloutResult(String contender, String protocol, List<PathCount> paths, double seconds,
    List<Long> rollouts, int replaced, List<Long> sigtermToExit, List<Long> deletionToExit, List<Long> startToReady,
    List<Integer> inFlightAtDrain, List<Double> rssAtReadyMiB, List<Double> rssAtDeletionMiB, int killed, List<long[]> perSecond, List<String> firstErrors) {

  /**
   * One path's calls: {@code ok + failed + unfinished = issued}; {@code failed} here excludes the unfinished, which
   * {@link #lost()} adds back.
   */
  public record PathCount(String path, long issued, long ok, long failed, long unfinished) {

    /** Calls that did not succeed: failed and unfinished. */
    public long lost() {
      return failed + unfinished;
    }
  }

  public long ok() {
    return paths.stream().mapToLong(PathCount::ok).sum();
  }

  public long failed() {
    return paths.stream().mapToLong(PathCount::lost).sum();
  }

  public double throughput() {
    return ok() / seconds;
  }
}
