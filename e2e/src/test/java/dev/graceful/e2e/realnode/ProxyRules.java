package dev.graceful.e2e.realnode;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What kube-proxy has programmed, read from the nat table: the pod addresses that some Service chain sends new
 * connections to. A pod is routed while a {@code KUBE-SVC-*} (or {@code KUBE-SVL-*}) chain jumps to a
 * {@code KUBE-SEP-*} chain that DNATs to it; the chains of terminating endpoints may stay, unreferenced.
 */
public final class ProxyRules {

  private static final Pattern SEP_DNAT = Pattern.compile("^-A (KUBE-SEP-\\S+) .*-j DNAT --to-destination ([0-9.]+):\\d+");
  private static final Pattern SVC_JUMP = Pattern.compile("^-A (KUBE-SV[CL]-\\S+) .*-j (KUBE-SEP-\\S+)");

  private ProxyRules() {
  }

  /** The pod addresses Services route new connections to now. */
  public static Set<String> routedAddresses() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("iptables-save", "-t", "nat").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("iptables-save -t nat failed: " + out);
    }
    return routed(out);
  }

  /** Parses iptables-save output. */
  static Set<String> routed(String natTable) {
    Map<String, String> destination = new HashMap<>();
    Set<String> jumpedTo = new HashSet<>();
    for (String line : natTable.split("\n")) {
      Matcher dnat = SEP_DNAT.matcher(line);
      if (dnat.find()) {
        destination.put(dnat.group(1), dnat.group(2));
        continue;
      }
      Matcher jump = SVC_JUMP.matcher(line);
      if (jump.find()) {
        jumpedTo.add(jump.group(2));
      }
    }
    Set<String> routed = new HashSet<>();
    jumpedTo.forEach(sep -> {
      if (destination.containsKey(sep)) {
        routed.add(destination.get(sep));
      }
    });
    return routed;
  }
}
