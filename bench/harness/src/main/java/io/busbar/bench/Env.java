package io.busbar.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * Where things are and how servers are started: the Busbar jar (a copy, so a rebuild never touches a
 * running node), the harness jar with the baselines, the Socket.IO peer, nats-server; the same JVM
 * flags for Busbar and the Java baselines; free loopback ports; every process started, to stop them all.
 */
final class Env {
  /** The same for every server JVM, Busbar and baselines alike. */
  static final List<String> SERVER_JVM_FLAGS = List.of("-Xms256m", "-Xmx512m", "-XX:+UseG1GC");

  final boolean quick;
  final Path bench;
  final Path busbarJar;
  final Path benchJar;
  final Path socketIoDir;
  /**
   * Busbar's own defaults but for the per-IP connection and per-connection rate limits: every load
   * comes from 127.0.0.1 and a few connections here, which those limits exist to refuse.
   */
  final Path busbarConf;
  final Path work;
  final Path logs;
  final String serverCores;
  final String loadCores;
  final String natsServer;
  final List<String> extraBusbarFlags = new ArrayList<>();
  /** Program arguments for the Busbar under test only, not a --compare-jar (to compare settings of one build). */
  final List<String> extraBusbarArgs = new ArrayList<>();
  /**
   * With --compare-jar: B1 runs this other Busbar build as its baseline, and B3 runs it beside Busbar
   * instead of the peers (before/after a change, same run).
   */
  Path compareJar;
  /** --rounds: rounds per scenario (3 unless given, 1 in --quick); more rounds steady the medians on a busy machine. */
  int rounds = 3;
  /** --b3-raw: B3 also fans out through the raw WebSocket broadcast (server CPU per delivery against it). */
  boolean b3Raw;
  /** B1's instances of each server: Busbar's gateway.instances and the bare server's verticle instances. */
  int b1Instances = 1;
  /** --b3-subs: B3's subscriber counts instead of the defaults (say 5000 for one before/after size). */
  int[] b3Subs;
  /** --b3-burst: events per B3 burst instead of 30 (a longer burst to profile, say); null for the default. */
  Integer b3Burst;
  private final List<Proc> procs;

  Env(boolean quick, Path bench, String serverCores, String loadCores, String natsServer) {
    this(quick, bench, serverCores, loadCores, natsServer, Collections.synchronizedList(new ArrayList<>()));
  }

  private Env(boolean quick, Path bench, String serverCores, String loadCores, String natsServer, List<Proc> procs) {
    this.procs = procs;
    this.quick = quick;
    this.bench = bench;
    this.busbarJar = bench.resolve("target/busbar.jar");
    this.benchJar = bench.resolve("harness/target/bench.jar");
    this.socketIoDir = bench.resolve("peers/socketio");
    this.busbarConf = bench.resolve("conf/busbar-bench.json");
    this.work = bench.resolve("target/work");
    this.logs = bench.resolve("target/logs");
    this.serverCores = serverCores;
    this.loadCores = loadCores;
    this.natsServer = natsServer;
  }

  /** The same environment without CPU pinning (start-up uses every core, for Busbar and the baseline alike). */
  Env unpinned() {
    Env e = new Env(quick, bench, null, loadCores, natsServer, procs);
    e.extraBusbarFlags.addAll(extraBusbarFlags);
    e.extraBusbarArgs.addAll(extraBusbarArgs);
    return e;
  }

  void track(Proc p) {
    procs.add(p);
  }

  void stopAll() {
    synchronized (procs) {
      for (Proc p : procs) {
        p.close();
      }
      procs.clear();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static String clusterName() {
    return "busbar-bench-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** A Busbar node: {@code java FLAGS -jar busbar.jar --cluster-name ... --members ... --http-port ... --roles ...}. */
  Proc busbar(String name, String cluster, int clusterPort, List<Integer> memberPorts, int httpPort, String roles) throws IOException {
    return busbar(busbarJar, name, cluster, clusterPort, memberPorts, httpPort, roles);
  }

  Proc busbar(Path jar, String name, String cluster, int clusterPort, List<Integer> memberPorts, int httpPort, String roles) throws IOException {
    return busbar(jar, name, cluster, clusterPort, memberPorts, httpPort, roles, List.of());
  }

  /** The same, with program arguments for this node alone (after any --busbar-arg). */
  Proc busbar(Path jar, String name, String cluster, int clusterPort, List<Integer> memberPorts, int httpPort, String roles,
              List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("java"));
    cmd.addAll(SERVER_JVM_FLAGS);
    cmd.addAll(extraBusbarFlags);
    StringBuilder members = new StringBuilder();
    for (int p : memberPorts) {
      members.append(members.length() == 0 ? "" : ",").append("127.0.0.1:").append(p);
    }
    cmd.addAll(List.of("-jar", jar.toString(), "--cluster-name", cluster, "--cluster-port", String.valueOf(clusterPort),
      "--members", members.toString(), "--http-port", String.valueOf(httpPort), "--roles", roles,
      "--conf", busbarConf.toString()));
    if (jar.equals(busbarJar)) {
      cmd.addAll(extraBusbarArgs);
    }
    cmd.addAll(args);
    return Proc.start(this, name, cmd);
  }

  /** A single-member Busbar node with all roles, ready. */
  Proc busbarSingle(String name, int httpPort) throws Exception {
    return busbarSingle(busbarJar, name, httpPort, List.of());
  }

  /** The same from {@code jar}, with program arguments for it alone. */
  Proc busbarSingle(Path jar, String name, int httpPort, List<String> args) throws Exception {
    int cp = freePort();
    Proc p = busbar(jar, name, clusterName(), cp, List.of(cp), httpPort, "producer,consumer,gateway", args);
    p.awaitHttp("http://127.0.0.1:" + httpPort + "/ready", 60_000);
    return p;
  }

  /** A baseline main class from the harness jar, with the server JVM flags. */
  Proc baseline(String name, String mainClass, int port, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("java"));
    cmd.addAll(SERVER_JVM_FLAGS);
    cmd.addAll(List.of("-cp", benchJar.toString(), "io.busbar.bench.baseline." + mainClass, String.valueOf(port)));
    cmd.addAll(List.of(args));
    return Proc.start(this, name, cmd);
  }

  Proc socketIo(String name, int port) throws Exception {
    Proc p = Proc.start(this, name, List.of("node", socketIoDir.resolve("server.js").toString(), String.valueOf(port)));
    p.awaitHttp("http://127.0.0.1:" + port + "/ready", 30_000);
    return p;
  }

  /** nats-server with a client port, a WebSocket listener (no TLS) and optionally cluster routes. */
  Proc nats(String name, int clientPort, int wsPort, int clusterPort, List<Integer> routePorts) throws Exception {
    StringBuilder conf = new StringBuilder();
    conf.append("listen: 127.0.0.1:").append(clientPort).append("\n");
    conf.append("max_payload: 65536\n");
    if (wsPort > 0) {
      conf.append("websocket {\n  listen: \"127.0.0.1:").append(wsPort).append("\"\n  no_tls: true\n  compression: false\n}\n");
    }
    if (clusterPort > 0) {
      conf.append("cluster {\n  name: bench\n  listen: 127.0.0.1:").append(clusterPort).append("\n  routes: [\n");
      for (int r : routePorts) {
        conf.append("    nats-route://127.0.0.1:").append(r).append("\n");
      }
      conf.append("  ]\n}\n");
    }
    java.nio.file.Files.createDirectories(work);
    Path file = work.resolve(name + ".conf");
    java.nio.file.Files.writeString(file, conf.toString());
    Proc p = Proc.start(this, name, List.of(natsServer, "-c", file.toString()));
    p.awaitPort(clientPort, 20_000);
    if (wsPort > 0) {
      p.awaitPort(wsPort, 20_000);
    }
    return p;
  }
}
