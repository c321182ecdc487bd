package dev.graceful.runtime.shutdown;

import dev.graceful.runtime.server.BoundServer;
import dev.graceful.runtime.server.DrainOutcome;
import dev.graceful.runtime.server.ServerRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Phase 3: every server on the application's Vert.x, the runtime's and those the application opened itself, is
 * drained at once ({@link BoundServer}: announce, stop listening and let the work in flight finish). The cutoff is
 * armed before anything else, on the control instance's timers, so neither a silent client nor a blocked application
 * event loop can keep the drain past it; at the cutoff, what is still open is closed, counted and listed.
 */
public final class DrainServers implements ShutdownPhase {

  private static final Logger LOG = Logger.getLogger(DrainServers.class.getName());

  private static final Duration ANNOUNCE_BOUND = Duration.ofSeconds(1);
  /** Extra time given to Vert.x's own close timer on each connection, so the runtime's cutoff always fires first. */
  private static final Duration BACKSTOP = Duration.ofSeconds(2);

  private final ServerRegistry registry;
  private final Vertx timers;
  private final Duration reserve;

  /**
   * @param registry the servers to drain
   * @param timers   a Vert.x instance whose event loop application traffic cannot block (the control instance)
   * @param reserve  budget that must remain for the phases after this one
   */
  public DrainServers(ServerRegistry registry, Vertx timers, Duration reserve) {
    this.registry = registry;
    this.timers = timers;
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
    Map<BoundServer, Integer> atStart = new LinkedHashMap<>();
    registry.servers().stream().filter(BoundServer::active).forEach(s -> atStart.put(s, s.inFlightRequests()));
    List<BoundServer> servers = List.copyOf(atStart.keySet());

    // Whichever comes first decides. Closing connections at the cutoff also completes the drain, which must then
    // not be mistaken for a clean one: hence the flag, taken before any connection is closed.
    AtomicBoolean decided = new AtomicBoolean();
    Promise<List<DrainOutcome>> outcomes = Promise.promise();
    cutoff.onComplete(ar -> {
      if (decided.compareAndSet(false, true)) {
        outcomes.complete(servers.stream().map(s -> s.cutOff(atStart.get(s))).toList());
      }
    });
    List<Future<Void>> announced = servers.stream().map(s -> s.announce(timers, announce)).toList();
    LOG.info("drain: told the clients of " + servers.size() + " server(s) to go away ("
        + servers.stream().mapToInt(BoundServer::openConnections).sum() + " connection(s), "
        + atStart.values().stream().mapToInt(Integer::intValue).sum() + " request(s) in flight); waiting up to "
        + announce.toMillis() + " ms for them to close or answer");
    Future.join(announced)
        .transform(ar -> Future.join(servers.stream().map(s -> s.drain(timeout.plus(BACKSTOP))).toList()))
        .onComplete(ar -> {
          if (decided.compareAndSet(false, true)) {
            outcomes.complete(servers.stream().map(s -> DrainOutcome.drained(s, atStart.get(s))).toList());
          }
        });
    return outcomes.future().map(list -> summarise(list, budget.isForced()));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private PhaseResult summarise(List<DrainOutcome> outcomes, boolean secondSignal) {
    int inFlight = 0;
    int forced = 0;
    int discarded = 0;
    JsonArray perServer = new JsonArray();
    for (DrainOutcome o : outcomes) {
      inFlight += o.inFlightAtStart();
      forced += o.forcedConnections();
      discarded += o.discardedRequests();
      perServer.add(new JsonObject().put("server", o.server()).put("kind", o.kind())
          .put("inFlightAtStart", o.inFlightAtStart()).put("forcedConnections", o.forcedConnections())
          .put("cut", new JsonArray(o.cutRequests())).put("discardedPipelined", o.discardedRequests()));
      if (o.discardedRequests() > 0) {
        LOG.warning("drain: " + o.kind() + " server '" + o.server() + "': " + o.discardedRequests() + " HTTP/1.1 request(s)"
            + " pipelined behind a connection's last answer were discarded unanswered by Vert.x; clients send them again");
      }
      if (!o.clean()) {
        LOG.warning("drain cut off" + (secondSignal ? " by a second signal" : " at the deadline") + ": " + o.kind()
            + " server '" + o.server() + "' force-closed " + o.forcedConnections() + " connection(s); cut: "
            + String.join(", ", o.cutRequests()));
      }
    }
    boolean cutOff = outcomes.stream().anyMatch(o -> !o.clean());
    JsonObject details = new JsonObject()
        .put("requestsInFlightAtStart", inFlight)
        .put("connectionsForceClosed", forced)
        .put("pipelinedRequestsDiscarded", discarded)
        .put("servers", perServer);
    if (cutOff) {
      details.put("cause", secondSignal ? "second signal" : "deadline");
    }
    return new PhaseResult(cutOff, details);
  }
}
