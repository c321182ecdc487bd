package dev.graceful.runtime.server;

import java.util.List;

/**
 * How one server's drain ended.
 *
 * @param server            the runtime's name for its own servers, else the bound address
 * @param kind              {@code http}, {@code grpc} or {@code tcp}
 * @param inFlightAtStart   requests being answered when the drain began
 * @param forcedConnections connections still open at the deadline, closed by force
 * @param cutRequests       what those connections carried: each request in flight (method, URI, age, client), or the
 *                          connection itself where no request is known
 * @param discardedRequests HTTP/1.x requests pipelined behind the last answer of a connection the drain closed, which
 *                          Vert.x read and discarded unanswered; their clients send them again on a new connection
 *                          (RFC 9112 9.3.2), so they do not make the drain unclean, but they are reported
 */
public record DrainOutcome(String server, String kind, int inFlightAtStart, int forcedConnections, List<String> cutRequests,
    int discardedRequests) {

  public DrainOutcome {
    cutRequests = List.copyOf(cutRequests);
  }

  /** Drained before the deadline: nothing was closed under a client. */
  public static DrainOutcome drained(BoundServer server, int inFlightAtStart) {
    return new DrainOutcome(server.name(), server.kind(), inFlightAtStart, 0, List.of(), server.discardedSinceDrainBegan());
  }

  public boolean clean() {
    return forcedConnections == 0 && cutRequests.isEmpty();
  }
}
