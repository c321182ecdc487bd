package dev.graceful.runtime.server;

import java.util.List;

/**
 * How one server's drain ended.
 *
 * @param server            server name
 * @param inFlightAtStart   requests being answered when the drain began
 * @param forcedConnections connections still open at the deadline, closed by force
 * @param cutRequests       requests still in flight at the deadline (method, URI, age)
 */
public record DrainOutcome(String server, int inFlightAtStart, int forcedConnections, List<String> cutRequests) {

  public DrainOutcome {
    cutRequests = List.copyOf(cutRequests);
  }

  public boolean clean() {
    return forcedConnections == 0 && cutRequests.isEmpty();
  }
}
