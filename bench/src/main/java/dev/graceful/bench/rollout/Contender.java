package dev.graceful.bench.rollout;

import dev.graceful.e2e.load.MixedLoad;
import java.util.Map;
import java.util.Set;

/**
 * One way a team could run the demo server in a rolling Deployment.
 *
 * @param name           the report's name for it
 * @param kind           what the pod runs: the runtime, the plain Vert.x server, or a Go contender
 * @param goContender    the Go contender's directory under bench/contenders (GO only)
 * @param preStopSeconds a {@code preStop} sleep added to the chart's Deployment, 0 for none
 * @param protocols      the loads it can serve
 * @param chartValues    Helm values set on top of the chart's defaults
 * @param env            environment variables patched into the container
 */
public record Contender(String name, Kind kind, String goContender, int preStopSeconds, Set<Protocol> protocols,
    Map<String, String> chartValues, Map<String, String> env) {

  /** What the pod runs. */
  public enum Kind {
    /** Graceful Runtime, the chart's defaults. */
    RUNTIME,
    /** The demo on plain Vert.x with vertx.close() on SIGTERM (e2e/naive-server). */
    PLAIN_VERTX,
    /** The naive server's routes as a plain verticle on the runtime's image, through GRACEFUL_VERTICLES. */
    UNCHANGED_APP,
    /** A Go server from bench/contenders/{goContender}. */
    GO
  }

  /** The loads of the rollout scenario. */
  public enum Protocol {
    HTTP1("HTTP/1.1 keep-alive", MixedLoad.Protocol.HTTP1), HTTP2("HTTP/2", MixedLoad.Protocol.HTTP2),
    GRPC("gRPC unary and server streams", MixedLoad.Protocol.GRPC);

    public final String label;
    public final MixedLoad.Protocol load;

    Protocol(String label, MixedLoad.Protocol load) {
      this.label = label;
      this.load = load;
    }
  }

  public static Contender runtime() {
    return new Contender("graceful-runtime", Kind.RUNTIME, null, 0, Set.of(Protocol.values()), Map.of(), Map.of());
  }

  /**
   * The runtime with the chart's readiness gate on: it sets the pod's condition False at SIGTERM, so the endpoint
   * controller marks it not serving at once instead of after the readiness probe's failures.
   */
  public static Contender runtimeWithReadinessGate() {
    return new Contender("graceful-runtime+readiness-gate", Kind.RUNTIME, null, 0, Set.of(Protocol.values()),
        Map.of("readinessGate.enabled", "true"), Map.of());
  }

  /** In a contender's environment, the image's Java home, which {@link RolloutBench} looks up in the image itself. */
  public static final String JAVA_HOME = "{java.home}";

  /**
   * The runtime's image without its class-data sharing archive, with only the JDK's default one, as plain Vert.x's
   * image has: what the archive does in the cluster, to start to Ready and to memory. {@code _JAVA_OPTIONS} is read
   * after the command line, so its archive overrides the ENTRYPOINT's.
   */
  public static Contender runtimeWithoutArchive() {
    return new Contender("graceful-runtime-without-cds", Kind.RUNTIME, null, 0, Set.of(Protocol.HTTP1), Map.of(),
        Map.of("_JAVA_OPTIONS", "-XX:SharedArchiveFile=" + JAVA_HOME + "/lib/server/classes.jsa"));
  }

  /**
   * An existing Vert.x application, unchanged (its own servers, no runtime API, no shutdown hook), on the runtime's
   * base image: the runtime must drain servers it did not create.
   */
  public static Contender unchangedApp() {
    return new Contender("unchanged-vertx-app", Kind.UNCHANGED_APP, null, 0, Set.of(Protocol.values()), Map.of(), Map.of());
  }

  public static Contender plainVertx(int preStopSeconds) {
    return new Contender(preStopSeconds == 0 ? "plain-vertx" : "plain-vertx+preStop-" + preStopSeconds + "s",
        Kind.PLAIN_VERTX, null, preStopSeconds, Set.of(Protocol.values()), Map.of(), Map.of());
  }

  /**
   * What a careful Vert.x user writes by hand: the plain server with a 5 s {@code preStop} sleep, then
   * {@code HttpServer.shutdown(24 s)} on every server at SIGTERM (the 30 s grace period less the sleep and a second).
   */
  public static Contender vertxByHand() {
    return new Contender("vertx-by-hand", Kind.PLAIN_VERTX, null, 5, Set.of(Protocol.values()), Map.of(),
        Map.of("NAIVE_SHUTDOWN", "servers", "NAIVE_SHUTDOWN_TIMEOUT_SECONDS", "24"));
  }

  public static Contender go(String directory, int preStopSeconds, Set<Protocol> protocols) {
    return new Contender(directory + (preStopSeconds == 0 ? "" : "+preStop-" + preStopSeconds + "s"), Kind.GO, directory,
        preStopSeconds, protocols, Map.of(), Map.of());
  }

  /** A Helm release name for it (lower case, no dots or pluses). */
  public String release() {
    return name.toLowerCase().replace("+", "-").replace("/", "-").replace("_", "-").replace(".", "-");
  }
}
