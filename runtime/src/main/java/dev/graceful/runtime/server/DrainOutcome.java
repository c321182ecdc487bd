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
 */
public record DrainOutcome(String server, String kind, int inFlightAtStart, int forcedConnections, List<String> cutRequests) {

  public DrainOutcome {
    cutRequests = List.copyOf(cutRequests);
  }

  /** Drained before the deadline: nothing was closed under a client. */
  public static DrainOutcome drained(BoundServer server, int inFlightAtStart) {
    return new DrainOutcome(server.name(), server.kind(), inFlightAtStart, 0, List.of());
  }

  public boolean clean() {
    return forcedConnections == 0 && cutRequests.isEmpty();
  }
}
