package dev.graceful.runtime.shutdown;

import dev.graceful.runtime.server.DrainOutcome;
import dev.graceful.runtime.server.ManagedServer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;

/**
 * Phase 3: HTTP/1.x responses start carrying {@code Connection: close}; then every server stops listening and
 * finishes its in-flight requests, all in parallel (HTTP/2 and gRPC clients get a GOAWAY). At the cutoff,
 * what is still open is closed by force and logged.
 */
public final class DrainServers implements ShutdownPhase {

  private static final Logger LOG = Logger.getLogger(DrainServers.class.getName());

  private static final Duration ANNOUNCE_BOUND = Duration.ofSeconds(1);

  private final List<ManagedServer> servers;
  private final Duration reserve;

  /**
   * @param servers the servers to drain
   * @param reserve budget that must remain for the phases after this one
   */
  public DrainServers(List<ManagedServer> servers, Duration reserve) {
    this.servers = List.copyOf(servers);
    this.reserve = reserve;
  }

  @Override
  public String name() {
    return "drain";
  }

  @Override
  public Future<PhaseResult> run(ShutdownBudget budget) {
    Duration keep = budget.scaled(reserve);
    Future<Void> cutoff = budget.cutoff(keep);
    Duration timeout = budget.remaining(keep);
    // A round trip to each client; bounded so a silent client cannot eat the drain.
    Duration announce = min(ANNOUNCE_BOUND, timeout.dividedBy(4));
    return Future.join(servers.stream().map(s -> s.beginDrain(announce)).toList())
        .transform(ar -> Future.join(servers.stream().map(s -> s.drain(cutoff, timeout)).toList()))
        .map(all -> summarise(all.list()));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private PhaseResult summarise(List<DrainOutcome> outcomes) {
    int inFlight = 0;
    int forced = 0;
    JsonArray perServer = new JsonArray();
    for (DrainOutcome o : outcomes) {
      inFlight += o.inFlightAtStart();
      forced += o.forcedConnections();
      perServer.add(new JsonObject().put("server", o.server()).put("inFlightAtStart", o.inFlightAtStart())
          .put("forcedConnections", o.forcedConnections()));
      if (!o.clean()) {
        LOG.warning("drain cut off: server '" + o.server() + "' force-closed " + o.forcedConnections()
            + " connection(s); requests still in flight: " + (o.cutRequests().isEmpty() ? "none" : String.join(", ", o.cutRequests())));
      }
    }
    boolean cutOff = outcomes.stream().anyMatch(o -> !o.clean());
    return new PhaseResult(cutOff, new JsonObject()
        .put("requestsInFlightAtStart", inFlight)
        .put("connectionsForceClosed", forced)
        .put("servers", perServer));
  }
}
