package io.busbar.it;

import io.busbar.testing.ForkedNode;
import io.busbar.testing.Ports;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the real launcher ends: bad configuration exits 2 naming the key; a node that cannot bind its
 * HTTP port exits 1 after leaving the cluster it had joined; SIGTERM stops a node cleanly (exit 0) and
 * the rest of the cluster sees it go. Cluster size is read from the healthy node's {@code /ready}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StartupFailureIT {
  private static final Duration START = Duration.ofSeconds(60);
  private static final Duration EXIT = Duration.ofSeconds(30);
  /** Hazelcast sees a member leave at once; a killed one within seconds on loopback. */
  private static final Duration MEMBERSHIP = Duration.ofSeconds(20);

  private final List<ForkedNode> nodes = new ArrayList<>();
  private final String cluster = Ports.clusterName();
  private final int clusterPort = Ports.freeRange(2);
  private final String members = "127.0.0.1:" + clusterPort + ",127.0.0.1:" + (clusterPort + 1);

  @TempDir
  Path work;

  @AfterEach
  void stopNodes() {
    ForkedNode.closeAll(nodes);
  }

  @Test
  void nonNumericHttpPortExits2NamingTheKey() throws Exception {
    String output = exitsWithBadConfig("bad-http-port", Map.of(), "--http-port", "abc");
    assertThat(output).contains("gateway.port", "--http-port", "\"abc\"");
  }

  @Test
  void unknownKeyInConfFileExits2NamingTheKey() throws Exception {
    Path conf = work.resolve("typo.json");
    Files.writeString(conf, new JsonObject().put("gateway", new JsonObject().put("prot", 8081)).encode());
    String output = exitsWithBadConfig("bad-conf-key", Map.of(), "--conf", conf.toString());
    assertThat(output).contains("unknown key 'gateway.prot'");
  }

  @Test
  void unknownRoleFromEnvironmentExits2NamingTheKey() throws Exception {
    String output = exitsWithBadConfig("bad-roles", Map.of("BUSBAR_ROLES", "foo"));
    assertThat(output).contains("roles", "BUSBAR_ROLES", "unknown role 'foo'");
  }

  @Test
  void missingConfFileExits2NamingIt() throws Exception {
    Path missing = work.resolve("missing.json");
    String output = exitsWithBadConfig("missing-conf", Map.of(), "--conf", missing.toString());
    assertThat(output).contains(missing.toString(), "--conf", "does not exist");
  }

  @Test
  void takenHttpPortExits1AfterLeavingTheCluster() throws Exception {
    int httpX = Ports.free();
    startNode("taken-port-x", clusterPort, httpX);
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      ForkedNode y = ForkedNode.start("taken-port-y", work.resolve("y"),
        ForkedNode.clusterEnv(cluster, clusterPort + 1, taken.getLocalPort(), members));
      nodes.add(y);
      assertThat(y.awaitExit(START)).as(y.output()).isEqualTo(1);
      assertThat(y.output()).contains("gateway.port", "--http-port", String.valueOf(taken.getLocalPort()), "already in use")
        // It had joined X's cluster before the gateway failed: leaving it is what is being checked.
        .contains("joined cluster '" + cluster + "' (2 members)");
    }
    awaitClusterSize(httpX, 1);
  }

  @Test
  void sigtermStopsCleanlyAndTheClusterShrinks() throws Exception {
    int httpX = Ports.free();
    startNode("sigterm-x", clusterPort, httpX);
    ForkedNode y = startNode("sigterm-y", clusterPort + 1, Ports.free());
    awaitClusterSize(httpX, 2);

    assertThat(y.stop(EXIT)).as(y.output()).isEqualTo(0);
    assertThat(y.output()).contains("SIGTERM received", "stopped");
    awaitClusterSize(httpX, 1);
  }

  @Test
  void exitWhenReadyStartsStopsAndRecordsAClassDataSharingArchive() throws Exception {
    // What the Dockerfile runs at image build; the archive is what makes the next start faster.
    Path archive = work.resolve("busbar.jsa");
    ForkedNode trained = ForkedNode.startWithJvmFlags("exit-when-ready", work.resolve("trained"),
      ForkedNode.clusterEnv(cluster, clusterPort, Ports.free(), "127.0.0.1:" + clusterPort),
      List.of("-Xlog:cds=off", "-XX:ArchiveClassesAtExit=" + archive), "--exit-when-ready");
    nodes.add(trained);
    assertThat(trained.awaitExit(START)).as(trained.output()).isEqualTo(0);
    assertThat(trained.output()).contains("ready: roles", "stopped");
    assertThat(archive).isNotEmptyFile();

    // A node started with the archive uses it, and otherwise starts as before.
    int http = Ports.free();
    ForkedNode node = ForkedNode.startWithJvmFlags("with-archive", work.resolve("with-archive"),
      ForkedNode.clusterEnv(cluster, clusterPort, http, "127.0.0.1:" + clusterPort),
      List.of("-Xshare:on", "-XX:SharedArchiveFile=" + archive));
    nodes.add(node);
    node.awaitReady(START);
    assertThat(ForkedNode.get(http, "/ready").statusCode()).isEqualTo(200);
  }

  /** Runs a node that must refuse its configuration; returns what it printed. */
  private String exitsWithBadConfig(String name, Map<String, String> extraEnv, String... args) throws Exception {
    // A real cluster name and free ports anyway: if the check under test were missed, the node must not
    // join anyone else's cluster.
    Map<String, String> env = new java.util.HashMap<>(ForkedNode.clusterEnv(cluster, clusterPort, Ports.free(), members));
    env.putAll(extraEnv);
    ForkedNode node = ForkedNode.start(name, work.resolve(name), env, args);
    nodes.add(node);
    assertThat(node.awaitExit(EXIT)).as(node.output()).isEqualTo(2);
    assertThat(node.output()).doesNotContain("ready: roles", "Exception");
    return node.output();
  }

  private ForkedNode startNode(String name, int port, int httpPort) throws Exception {
    ForkedNode node = ForkedNode.start(name, work.resolve(name), ForkedNode.clusterEnv(cluster, port, httpPort, members));
    nodes.add(node);
    return node.awaitReady(START);
  }

  /** Waits until the node on {@code httpPort} reports {@code size} members on /ready. */
  private static void awaitClusterSize(int httpPort, int size) throws Exception {
    long deadline = System.nanoTime() + MEMBERSHIP.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> ready = ForkedNode.get(httpPort, "/ready");
      last = ready.statusCode() + " " + ready.body();
      if (ready.statusCode() == 200 && new JsonObject(ready.body()).getInteger("clusterSize") == size) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("/ready on " + httpPort + " did not report clusterSize " + size + " within " + MEMBERSHIP + "; last: " + last);
  }
}
