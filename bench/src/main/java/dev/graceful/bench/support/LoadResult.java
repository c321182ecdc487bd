package dev.graceful.bench.support;

/**
 * One load-tool run: successful and failed requests, their rate over the run, and the 99th percentile latency.
 *
 * @param throughput successful requests per second over the measured window
 * @param p99Ms      99th percentile latency in milliseconds, as the tool measured it
 * @param errors     what the tool counts as failed (socket errors, non-2xx, non-OK status, calls cut at the end)
 * @param perSecond  {@code {tSeconds, okPerSec, errPerSec}} from the run's start, where the tool logs each request
 *                   (h2load); empty otherwise
 */
public record LoadResult(String tool, long ok, long errors, double seconds, double throughput, double p99Ms,
                         java.util.List<double[]> perSecond) {

  public LoadResult(String tool, long ok, long errors, double seconds, double throughput, double p99Ms) {
    this(tool, ok, errors, seconds, throughput, p99Ms, java.util.List.of());
  }

  public LoadResult withPerSecond(java.util.List<double[]> points) {
    return new LoadResult(tool, ok, errors, seconds, throughput, p99Ms, java.util.List.copyOf(points));
  }
}
