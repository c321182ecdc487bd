package dev.graceful.e2e.realnode;

import dev.graceful.e2e.LocalProcesses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * containerd, the kubelet and kube-proxy of one real node, each with the configuration this run writes (nothing is
 * read from the host's /etc), their logs under {@code WORK/logs}. The pods get network namespaces from the CNI
 * bridge plugin on {@link Settings#bridge()}.
 */
public final class NodeDaemons implements AutoCloseable {

  /**
   * @param bin          kubelet, kube-proxy, containerd, its runc shim and ctr (build-binaries.sh node)
   * @param work         this run's directory: configuration, containerd's state, logs
   * @param nodeName     the Node's name (its kubelet certificate says system:node:NAME)
   * @param bridge       the pods' bridge, made by host-up.sh, whose address is the node's
   * @param nodeIp       the bridge's address: the kubelet's, the pods' gateway, the API server's
   * @param podSubnet    the bridge's subnet (CIDR), the cluster CIDR for kube-proxy
   * @param podRange     the first and last pod address host-local hands out
   * @param serviceCidr  the ClusterIP range, the one route pods get besides their own subnet
   * @param caCertificate the cluster CA, which the kubelet trusts for client certificates
   * @param kubeletKubeconfig the kubelet's kubeconfig (its node certificate)
   * @param proxyKubeconfig   kube-proxy's kubeconfig
   */
  public record Settings(Path bin, Path work, String nodeName, String bridge, String nodeIp, String podSubnet,
      List<String> podRange, String serviceCidr, Path caCertificate, Path kubeletKubeconfig, Path proxyKubeconfig) {

    public Path containerdSocket() {
      return work.resolve("containerd.sock");
    }

    /** Where the kubelet keeps the containers' log files (CRI format), one directory per pod. */
    public Path podLogs() {
      return work.resolve("pod-logs");
    }

    public Path logs() {
      return work.resolve("logs");
    }
  }

  /** The sandbox image, built and imported before the kubelet starts (import-image.sh). */
  public static final String PAUSE_IMAGE = "localhost/pause:e2e";

  private final Settings settings;
  private final Map<Process, String> processes = new LinkedHashMap<>();

  public NodeDaemons(Settings settings) {
    this.settings = settings;
  }

  /** Starts containerd and waits for its socket. */
  public void startContainerd() throws IOException, InterruptedException {
    Path w = settings.work();
    Files.createDirectories(settings.logs());
    Files.createDirectories(w.resolve("cni"));
    Files.writeString(w.resolve("cni/10-graceful.conflist"), """
        {"cniVersion": "1.0.0", "name": "graceful-e2e", "plugins": [
          {"type": "bridge", "bridge": "%s", "isGateway": true, "ipMasq": false, "hairpinMode": true,
           "ipam": {"type": "host-local", "dataDir": "%s", "routes": [{"dst": "%s"}],
                    "ranges": [[{"subnet": "%s", "rangeStart": "%s", "rangeEnd": "%s", "gateway": "%s"}]]}},
          {"type": "portmap", "capabilities": {"portMappings": true}}]}
        """.formatted(settings.bridge(), w.resolve("ipam"), settings.serviceCidr(), settings.podSubnet(), settings.podRange().get(0),
        settings.podRange().get(1), settings.nodeIp(), settings.podLogs()));
    Files.writeString(w.resolve("containerd.toml"), """
        version = 3
        root = "%s"
        state = "%s"
        [grpc]
          address = "%s"
        [plugins."io.containerd.cri.v1.images".pinned_images]
          sandbox = "%s"
        [plugins."io.containerd.cri.v1.runtime"]
          enable_unprivileged_ports = false
          enable_unprivileged_icmp = false
          # The kubelet asks for oom_score_adj -998 for the sandbox; a process here may not lower its own
          # (runc then fails with only "can't get final child's PID from pipe: EOF").
          restrict_oom_score_adj = true
          # The pods' network namespaces under this run's state, not /var/run/netns beside everyone else's.
          netns_mounts_under_state_dir = true
        [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
          Root = "%s"
        [plugins."io.containerd.cri.v1.runtime".cni]
          bin_dirs = ["/usr/lib/cni"]
          conf_dir = "%s"
        """.formatted(w.resolve("containerd-root"), w.resolve("containerd-state"), settings.containerdSocket(),
        PAUSE_IMAGE, w.resolve("runc"), w.resolve("cni")));
    spawn("containerd", List.of(bin("containerd"), "--config", w.resolve("containerd.toml").toString()));
    await(() -> Files.exists(settings.containerdSocket()), Duration.ofSeconds(30), "containerd's socket");
  }

  /** Starts the kubelet and kube-proxy (after the pause image is in containerd). */
  public void startKubeletAndProxy() throws IOException {
    Path w = settings.work();
    Files.writeString(w.resolve("kubelet.yaml"), """
        apiVersion: kubelet.config.k8s.io/v1beta1
        kind: KubeletConfiguration
        # No systemd here, and cgroup v1: from 1.35 the kubelet refuses v1 unless told.
        cgroupDriver: cgroupfs
        failCgroupV1: false
        failSwapOn: false
        cgroupsPerQOS: false
        enforceNodeAllocatable: []
        cgroupRoot: /
        containerRuntimeEndpoint: unix://%s
        authentication: {anonymous: {enabled: false}, webhook: {enabled: false}, x509: {clientCAFile: %s}}
        authorization: {mode: AlwaysAllow}
        address: %s
        port: 10250
        readOnlyPort: 0
        healthzPort: 0
        resolvConf: /etc/resolv.conf
        podLogsDir: %s
        containerLogMaxSize: 100Mi
        # A shared machine's disk may be fuller than the defaults allow: evict and collect on nothing but the very end.
        evictionHard: {memory.available: "100Mi", nodefs.available: "1%%", imagefs.available: "1%%", nodefs.inodesFree: "1%%"}
        imageGCHighThresholdPercent: 100
        imageGCLowThresholdPercent: 99
        serializeImagePulls: false
        """.formatted(settings.containerdSocket(), settings.caCertificate(), settings.nodeIp(), settings.podLogs()));
    // TZ=UTC: the kubelet's log times (local time, no zone) are read as UTC.
    List<String> path = List.of("PATH=" + settings.bin() + ":" + System.getenv("PATH"), "TZ=UTC");
    // -v=2 for "Killing container with a grace period": the moment the kubelet sends SIGTERM.
    spawn("kubelet", List.of(bin("kubelet"), "--config=" + w.resolve("kubelet.yaml"),
        "--kubeconfig=" + settings.kubeletKubeconfig(), "--root-dir=" + w.resolve("kubelet"),
        "--cert-dir=" + w.resolve("kubelet-pki"), "--hostname-override=" + settings.nodeName(),
        "--node-ip=" + settings.nodeIp(), "-v=2"), path);
    spawn("kube-proxy", List.of(bin("kube-proxy"), "--kubeconfig=" + settings.proxyKubeconfig(),
        "--hostname-override=" + settings.nodeName(), "--proxy-mode=iptables", "--cluster-cidr=" + settings.podSubnet(),
        "--bind-address=" + settings.nodeIp(), "--nodeport-addresses=" + settings.podSubnet(),
        "--iptables-localhost-nodeports=false", "--healthz-bind-address=127.0.0.1:" + LocalProcesses.freeLoopbackPort(),
        "--metrics-bind-address=127.0.0.1:" + LocalProcesses.freeLoopbackPort(), "--conntrack-max-per-core=0", "--conntrack-tcp-timeout-established=0", "--conntrack-tcp-timeout-close-wait=0",
        "--oom-score-adj=0"), path);
  }

  /** The kubelet's log, for the SIGTERM times and for a failure's report. */
  public Path kubeletLog() {
    return settings.logs().resolve("kubelet.log");
  }

  /** Fails with the logs when a daemon has died. */
  public void checkAlive() {
    processes.forEach((p, name) -> {
      if (!p.isAlive()) {
        throw new IllegalStateException(name + " exited (" + p.exitValue() + ")" + logs());
      }
    });
  }

  /** The last lines of each daemon's log. */
  public String logs() {
    return LocalProcesses.logTails(settings.logs(), 25);
  }

  private String bin(String name) {
    return settings.bin().resolve(name).toString();
  }

  private void spawn(String name, List<String> command) throws IOException {
    spawn(name, command, List.of());
  }

  private void spawn(String name, List<String> command, List<String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(settings.logs().resolve(name + ".log").toFile());
    for (String e : env) {
      pb.environment().put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
    }
    processes.put(pb.start(), name);
  }

  private void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      checkAlive();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what + logs());
      }
      Thread.sleep(100);
    }
  }

  /** Stops the kubelet first (so it restarts nothing), then kube-proxy and containerd; host-down.sh does the rest. */
  @Override
  public void close() {
    processes.forEach((p, name) -> {
      if (name.equals("kubelet")) {
        LocalProcesses.stop(p);
      }
    });
    List<Process> reversed = new ArrayList<>(processes.keySet());
    java.util.Collections.reverse(reversed);
    reversed.forEach(LocalProcesses::stop);
    processes.clear();
  }
}
