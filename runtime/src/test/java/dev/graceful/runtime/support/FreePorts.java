package dev.graceful.runtime.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ports free on loopback right now, for child processes that must be told their ports up front. Never the same port
 * twice in one test JVM: the kernel may hand a port just closed to the next bind, so two ports asked for in a row
 * could otherwise be equal (CI saw GRACEFUL_MANAGEMENT_PORT equal to GRACEFUL_GRPC_PORT once).
 */
public final class FreePorts {

  private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

  private FreePorts() {
  }

  public static int next() {
    for (int attempt = 0; attempt < 100; attempt++) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        socket.setReuseAddress(true);
        int port = socket.getLocalPort();
        if (GIVEN.add(port)) {
          return port;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("no loopback port not given out before in 100 attempts");
  }
}
