package dev.graceful.bench.rollout;

import java.util.Set;

/**
 * One way a team could run the demo server in a rolling Deployment.
 *
 * @param name           the report's name for it
 * @param kind           what the pod runs: the runtime, the plain Vert.x server, or a Go contender
 * @param goContender    the Go contender's directory under bench/contenders (GO only)
 * @param preStopSeconds a {@code preStop} sleep added to the chart's Deployment, 0 for none
 * @param protocols      the loads it can serve
 */
public record Contender(String name, Kind kind, String goContender, int preStopSeconds, Set<Protocol> protocols) {

  /** What the pod runs. */
  public enum Kind {
    /** Graceful Runtime, the chart's defaults. */
    RUNTIME,
    /** The demo on plain Vert.x with vertx.close() on SIGTERM (e2e/naive-server). */
    PLAIN_VERTX,
    /** A Go server from bench/contenders/{goContender}. */
    GO
  }

  /** The loads of the rollout scenario. */
  public enum Protocol {
    HTTP1("HTTP/1.1 keep-alive"), HTTP2("HTTP/2"), GRPC("gRPC unary");

    public final String label;

    Protocol(String label) {
      this.label = label;
    }
  }

  public static Contender runtime() {
    return new Contender("graceful-runtime", Kind.RUNTIME, null, 0, Set.of(Protocol.values()));
  }

  public static Contender plainVertx(int preStopSeconds) {
    return new Contender(preStopSeconds == 0 ? "plain-vertx" : "plain-vertx+preStop-" + preStopSeconds + "s",
        Kind.PLAIN_VERTX, null, preStopSeconds, Set.of(Protocol.values()));
  }

  public static Contender go(String directory, int preStopSeconds, Set<Protocol> protocols) {
    return new Contender(directory + (preStopSeconds == 0 ? "" : "+preStop-" + preStopSeconds + "s"), Kind.GO, directory,
        preStopSeconds, protocols);
  }

  /** A Helm release name for it (lower case, no dots or pluses). */
  public String release() {
    return name.toLowerCase().replace("+", "-").replace("/", "-").replace("_", "-").replace(".", "-");
  }
}
