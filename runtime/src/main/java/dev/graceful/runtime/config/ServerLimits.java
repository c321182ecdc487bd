package dev.graceful.runtime.config;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * Protections every server of the application gets, the runtime's own and those a verticle opens (hostile or
 * careless clients), and the management server.
 *
 * @param idleTimeout               a connection with no traffic this long is closed
 * @param managementIdleTimeout     the same on the management port
 * @param requestHeaderTimeout      an HTTP/1.x request head (or a TLS handshake) must be complete this long after its
 *                                  first byte
 * @param http2MaxConcurrentStreams streams one client may open on one HTTP/2 connection of the runtime's servers;
 *                                  every server's advertised limit holds from the first frame
 * @param maxConnections            connections the application's servers hold at once; empty: from the descriptor limit
 */
public record ServerLimits(Duration idleTimeout, Duration managementIdleTimeout, Duration requestHeaderTimeout,
    int http2MaxConcurrentStreams, OptionalInt maxConnections) {

  /** Connections the management port holds at once: probes and a scraper need a few; a flood gets no more. */
  public static final int MANAGEMENT_CONNECTIONS = 32;

  /** The limits of the management port: its own idle timeout and connection budget. */
  public ServerLimits forManagement() {
    return new ServerLimits(managementIdleTimeout, managementIdleTimeout, requestHeaderTimeout, http2MaxConcurrentStreams,
        OptionalInt.of(MANAGEMENT_CONNECTIONS));
  }

  /** The defaults, as the settings give them. */
  public static final ServerLimits DEFAULTS = new ServerLimits(Duration.ofMinutes(65), Duration.ofMinutes(2),
      Duration.ofSeconds(10), 100, OptionalInt.empty());
}
