package dev.graceful.e2e.node;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Pod addresses. Each pod binds its own loopback address, 127.0.0.N (10 to 250), as if it had its own network
 * namespace. The API server rejects loopback addresses in EndpointSlices, so the pod's status publishes a stand-in,
 * 198.18.0.N from the benchmarking range, which the harness maps back with {@link #loopbackFor(String)}. No traffic
 * is ever sent to a stand-in address.
 */
public final class PodAddresses {

  /** One pod's pair of addresses. */
  public record Pair(String loopback, String published) {
  }

  private static final String LOOPBACK = "127.0.0.";
  private static final String PUBLISHED = "198.18.0.";

  private final Deque<Integer> free = new ArrayDeque<>();

  PodAddresses() {
    for (int i = 10; i <= 250; i++) {
      free.add(i);
    }
  }

  synchronized Pair take() {
    if (free.isEmpty()) {
      throw new IllegalStateException("no pod address left");
    }
    int n = free.poll();
    return new Pair(LOOPBACK + n, PUBLISHED + n);
  }

  synchronized void release(Pair pair) {
    free.addLast(Integer.parseInt(pair.loopback().substring(LOOPBACK.length())));
  }

  /** The loopback address behind a published pod address; fails for anything else, so nothing leaves the host. */
  public static String loopbackFor(String published) {
    if (!published.startsWith(PUBLISHED)) {
      throw new IllegalArgumentException(published + " is not a pod address of this node");
    }
    return LOOPBACK + published.substring(PUBLISHED.length());
  }
}
