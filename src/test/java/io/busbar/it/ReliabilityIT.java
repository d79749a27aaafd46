package io.busbar.it;

import io.busbar.testing.BridgeClient;
import io.busbar.testing.ForkedNode;
import io.busbar.testing.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Fault tests on three real JVMs from the fat jar (every node a gateway and an event-log consumer of
 * {@code events.orders}), with a steady load of {@code POST /api/deliver/events.orders}. The event logs
 * are the consumers' record of what they handled. Figures are printed and appended to
 * {@code target/reliability-figures.md}.
 *
 * <p>CI runs {@value #CI_COUNT} deliveries per scenario; the long run is
 * {@code mvn -B verify -Dit.test=ReliabilityIT -Dbusbar.reliability.count=10000 -Dbusbar.reliability.rate=500}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ReliabilityIT {
  static final int CI_COUNT = 2000;
  private static final int COUNT = Integer.getInteger("busbar.reliability.count", CI_COUNT);
  private static final int RATE = Integer.getInteger("busbar.reliability.rate", 150);
  private static final Duration START = Duration.ofSeconds(90);
  /** Hazelcast drops a killed member as soon as its connections close; a hung one after max.no.heartbeat (5 s). */
  private static final long KILL_DETECTION_MS = 1000;
  private static final long HANG_DETECTION_MS = 6000;
  /** Extra allowance for a busy 2-core CI machine on top of the documented bounds. */
  private static final long SLACK_MS = 3000;
  /**
   * {@code reliability.attemptTimeoutMs} (the default): a delivery not acknowledged within it is sent again
   * even with no failure, so a cluster whose deliveries took longer than that before the failure was not
   * keeping up with the load, and any wait after the failure measures its queue, not the failover.
   */
  private static final long ATTEMPT_TIMEOUT_MS = 2000;
  /**
   * The p99 of the deliveries before the failure up to which the cluster counts as keeping up with the load:
   * half the attempt timeout. Close to the timeout it was queueing already: on a 2-core machine at half
   * speed, with 1.7 and 1.8 s (p99) before a kill -9, the wait after it was 2.4 s once and 5.6 s once.
   */
  private static final long KEEPING_UP_P99_MS = ATTEMPT_TIMEOUT_MS / 2;
  /** A warm cluster answered 150 deliveries a second within 14-29 ms (p99) on a 2-core machine. */
  private static final long WARM_P99_MS = 200;
  private static final Duration WARM_UP_MAX = Duration.ofSeconds(20);

  @TempDir
  Path work;

  private final ForkedNode[] nodes = new ForkedNode[3];
  /**
   * Wall-clock time of the failure, to compare with the event logs' "time" field: taken once the signal has
   * surely landed (the kill returned), since the node runs until then. On a slow 2-core machine a node
   * being stopped through the shell's kill wrote a line 125 ms after a time taken before the kill, and that
   * line was counted as written after it stopped. Latencies still count from just before the signal
   * ({@code failedAt}).
   */
  private volatile long failureWallMillis;
  private final int[] httpPorts = new int[3];
  private String cluster;
  private int basePort;
  private String members;

  @AfterEach
  void stopNodes() {
    List<ForkedNode> running = new ArrayList<>();
    for (ForkedNode n : nodes) {
      if (n != null) {
        running.add(n);
      }
    }
    ForkedNode.closeAll(running);
  }

  @Test
  void killMinus9OfAConsumerNode() throws Exception {
    startCluster();
    DeliveryLoad load = new DeliveryLoad("kill", List.of(httpPorts[0]), false);
    AtomicLong failedAt = new AtomicLong();
    load.run(COUNT, RATE, 0.3, () -> {
      failedAt.set(System.nanoTime());
      nodes[2].close();
      failureWallMillis = System.currentTimeMillis();
    }, Duration.ofSeconds(120));
    Figures f = figures("kill -9 of a consumer node at 30%", load, failedAt.get());
    f.assertExactlyOnceExceptTheDocumentedWindow(eventLog(2, ""), failureWallMillis);
    assertThat(f.errorStatuses).as("non-2xx answers").isSubsetOf(503, 504, 429);
    assertThat(f.lastErrorSentMs).as("errors stop within detection + 2 s (+ slack)").isLessThanOrEqualTo(KILL_DETECTION_MS + 2000 + SLACK_MS);
    // The bound is the failover's, so it holds where the three nodes keep up with the load: on a 2-core
    // machine running at half speed, deliveries took 1.7-3.5 s (p99) before any failure and 5-12 s after
    // it, whatever the build.
    assumeTrue(f.p99BeforeFailureMs <= KEEPING_UP_P99_MS, () -> "the cluster did not keep up with " + RATE
      + " deliveries/s before the failure (p99 " + f.p99BeforeFailureMs + " ms, over " + KEEPING_UP_P99_MS
      + " ms): a wait after it would measure this machine's queue, not the failover");
    assertThat(f.worstWaitBeyondFailureMs).as("in-flight deliveries wait at most ~1 s beyond the failure (+ slack)")
      .isLessThanOrEqualTo(1000 + SLACK_MS);
  }

  @Test
  void sigtermOfAConsumerNodeLosesNothing() throws Exception {
    startCluster();
    DeliveryLoad load = new DeliveryLoad("term", List.of(httpPorts[0]), true);
    BridgeClient socket = BridgeClient.connect(httpPorts[2], null);
    AtomicLong failedAt = new AtomicLong();
    AtomicInteger exit = new AtomicInteger(-1);
    Thread stopper = new Thread(() -> {
      try {
        exit.set(nodes[2].stop(Duration.ofSeconds(40)));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    load.run(COUNT, RATE, 0.3, () -> {
      failedAt.set(System.nanoTime());
      stopper.start();
    }, Duration.ofSeconds(120));
    stopper.join(60_000);
    Figures f = figures("SIGTERM of a consumer node at 30%", load, failedAt.get());
    assertThat(exit.get()).as("exit code after SIGTERM").isZero();
    assertThat(socket.closeCode).as("SockJS client closed with 1012 (service restart: reconnect elsewhere)").isEqualTo((short) 1012);
    socket.close();
    f.assertExactlyOnceForAcked();
    assertThat(f.acked).as("every delivery acknowledged (client honours Retry-After)").isEqualTo(f.sent);
  }

  @Test
  void sigstopOfAConsumerNode() throws Exception {
    startCluster();
    DeliveryLoad load = new DeliveryLoad("stop", List.of(httpPorts[0]), false);
    AtomicLong failedAt = new AtomicLong();
    try {
      load.run(COUNT, RATE, 0.3, () -> {
        failedAt.set(System.nanoTime());
        signal("STOP", nodes[2]);
        failureWallMillis = System.currentTimeMillis();
      }, Duration.ofSeconds(120));
    } finally {
      // Never resume it: a hung node that comes back after being dropped is a split brain (see docs/reliability.md).
      nodes[2].close();
    }
    Figures f = figures("SIGSTOP of a consumer node at 30%", load, failedAt.get());
    f.assertExactlyOnceExceptTheDocumentedWindow(eventLog(2, ""), failureWallMillis);
    assertThat(f.errorStatuses).as("non-2xx answers").isSubsetOf(503, 504, 429);
    assertThat(f.lastErrorSentMs).as("errors stop within detection + 2 s (+ slack)").isLessThanOrEqualTo(HANG_DETECTION_MS + 2000 + SLACK_MS);
  }

  @Test
  void rollingRestartOfEveryNodeLosesNothing() throws Exception {
    startCluster();
    List<Integer> gateways = List.of(httpPorts[0], httpPorts[1], httpPorts[2]);
    DeliveryLoad load = new DeliveryLoad("roll", gateways, true);
    AtomicInteger remaining = new AtomicInteger(1);
    AtomicLong startedAt = new AtomicLong();
    List<Integer> exits = new ArrayList<>();
    Thread roller = new Thread(() -> {
      try {
        Thread.sleep(2000);
        startedAt.set(System.nanoTime());
        for (int i = 2; i >= 0; i--) {
          exits.add(nodes[i].stop(Duration.ofSeconds(40)));
          nodes[i] = null;
          start(i, "-restarted");
        }
        Thread.sleep(2000);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      } finally {
        remaining.set(0);
      }
    });
    roller.start();
    int sent = load.runWhile(Math.min(RATE, 100), remaining::get, Duration.ofSeconds(120));
    roller.join(10_000);
    Figures f = figures("rolling restart of all three nodes (SIGTERM, restart, next)", load, startedAt.get());
    assertThat(exits).as("exit codes").containsExactly(0, 0, 0);
    f.assertExactlyOnceForAcked();
    // A clean-clone CI run on the slow 2-core machine had 1.3 s (p99) before the restarts, and 3 of 8,055
    // deliveries passed their 10 s deadline during them, all handled once.
    f.assertEveryDeliveryAcknowledgedWhereTheClusterKeptUp("every one of " + sent + " deliveries");
  }

  @Test
  void requesterDiesAndClientRetriesElsewhereWithoutDuplicates() throws Exception {
    startCluster();
    // Most requests go through node 0, which is killed; the client then retries the same ids on 1 and 2.
    DeliveryLoad load = new DeliveryLoad("req", List.of(httpPorts[0], httpPorts[1], httpPorts[0], httpPorts[2]), true);
    AtomicLong failedAt = new AtomicLong();
    load.run(COUNT, RATE, 0.3, () -> {
      failedAt.set(System.nanoTime());
      nodes[0].close();
      failureWallMillis = System.currentTimeMillis();
    }, Duration.ofSeconds(120));
    Figures f = figures("kill -9 of the requester (gateway) node at 30%, client retries on others", load, failedAt.get());
    // Node 0 is a consumer too, so the same window applies to what it was handling when killed.
    f.assertExactlyOnceExceptTheDocumentedWindow(eventLog(0, ""), failureWallMillis);
    // On a 2-core machine at half speed deliveries took 5-7.5 s (p50), and 1-20% passed their 10 s deadline.
    f.assertEveryDeliveryAcknowledgedWhereTheClusterKeptUp("every delivery");
  }

  @Test
  void sequencedSendsArriveInOrder() throws Exception {
    startCluster();
    int count = Math.max(COUNT, 10_000);
    // Only node 2 logs: a plain send from one sender to one consumer.
    HttpResponse<String> warm;
    do {
      warm = ForkedNode.postJson(httpPorts[0], "/api/request/svc.echo?timeout=2000", "{}");
    } while (warm.statusCode() == 503);
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    for (int i = 0; i < count; i++) {
      HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + httpPorts[0] + "/api/send/events.seq"))
        .timeout(Duration.ofSeconds(10)).header("content-type", "application/json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"seq\":" + i + "}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(202);
    }
    Path log = eventLog(2, "seq");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<Integer> seqs;
    do {
      Thread.sleep(200);
      seqs = Files.exists(log) ? Files.readAllLines(log).stream().filter(l -> l.endsWith("}"))
        .filter(l -> "events.seq".equals(new io.vertx.core.json.JsonObject(l).getString("address")))
        .map(l -> new io.vertx.core.json.JsonObject(l).getJsonObject("body").getInteger("seq")).toList() : List.of();
    } while (seqs.size() < count && System.nanoTime() < deadline);
    assertThat(seqs).hasSize(count);
    for (int i = 0; i < count; i++) {
      assertThat(seqs.get(i)).as("position " + i).isEqualTo(i);
    }
    report("| ordering | " + count + " sequenced sends A→C | all " + count + " arrived in order |");
  }

  // --- cluster

  private void startCluster() throws Exception {
    cluster = Ports.clusterName();
    basePort = Ports.freeRange(3);
    members = "127.0.0.1:" + basePort + ",127.0.0.1:" + (basePort + 1) + ",127.0.0.1:" + (basePort + 2);
    // Started together (tcp-ip join finds the others as they come up) to keep the suite short.
    for (int i = 0; i < 3; i++) {
      httpPorts[i] = Ports.free();
      launch(i, "");
    }
    for (ForkedNode node : nodes) {
      node.awaitReady(START);
    }
    // The last registration must reach node 0 before the load starts: warm up until node 0 delivers to every node's consumer.
    for (int i = 0; i < 30; i++) {
      ForkedNode.postJson(httpPorts[0], "/api/deliver/events.orders", "{\"warmup\":" + i + "}");
    }
    warmUp();
  }

  /**
   * Runs the scenarios' own load through every gateway, a second at a time, until a second of it is answered
   * within {@link #WARM_P99_MS} (p99), for at most {@link #WARM_UP_MAX}. Three JVMs that have just started
   * compile for their first seconds of load, and on a 2-core machine they queued it: the failures at 30% of a
   * scenario fell on a cluster taking 2-3 s (p99) per delivery, which measured the warm-up, not the failover
   * (a SIGTERM run had 8 of 2,000 answered 504 past their 10 s deadline, nothing lost; the kill -9 wait bound
   * was skipped as not keeping up). The warm-up's ids have their own prefix, which no scenario counts.
   */
  private void warmUp() throws Exception {
    long deadline = System.nanoTime() + WARM_UP_MAX.toNanos();
    List<Long> p99s = new ArrayList<>();
    for (int round = 0; ; round++) {
      DeliveryLoad warm = new DeliveryLoad("warm" + round, List.of(httpPorts[0], httpPorts[1], httpPorts[2]), true);
      try {
        warm.run(RATE, RATE, 0, null, Duration.ofSeconds(60));
      } finally {
        warm.close();
      }
      long p99 = p99(warm.results.values().stream().mapToLong(DeliveryLoad.Result::latencyMs).sorted().toArray());
      p99s.add(p99);
      if (p99 <= WARM_P99_MS || System.nanoTime() > deadline) {
        System.out.println("[reliability] warm-up: p99 per second of load " + p99s + " ms");
        return;
      }
    }
  }

  private void start(int i, String suffix) throws Exception {
    launch(i, suffix);
    nodes[i].awaitReady(START);
  }

  private void launch(int i, String suffix) throws Exception {
    Path dir = work.resolve("node-" + i);
    Files.createDirectories(dir);
    Path conf = dir.resolve("conf.json");
    if (!Files.exists(conf)) {
      // Node 2 also logs events.seq, for the ordering test; nobody else does.
      String addresses = i == 2 ? "[\"events.orders\",\"events.seq\"]" : "[\"events.orders\"]";
      // The ordering test sends as fast as one connection goes: lift the rate limits, which are not under test here.
      Files.writeString(conf, "{\"consumer\":{\"eventLog\":{\"addresses\":" + addresses + "}},"
        + "\"producer\":{\"heartbeat\":{\"enabled\":false}},"
        + "\"gateway\":{\"limits\":{\"messagesPerSecondPerConnection\":1000000,\"messagesPerSecondPerToken\":1000000}}}");
    }
    ForkedNode node = ForkedNode.start("rel-" + cluster + "-" + i + suffix, dir,
      ForkedNode.clusterEnv(cluster, basePort + i, httpPorts[i], members),
      "--roles", "gateway,consumer", "--conf", conf.toString());
    nodes[i] = node;
  }

  private Path eventLog(int i, String unused) {
    return work.resolve("node-" + i).resolve("data").resolve("events.ndjson");
  }

  private static void signal(String name, ForkedNode node) {
    try {
      // The shell's built-in kill: no procps needed on a bare CI machine.
      int exit = new ProcessBuilder("sh", "-c", "kill -" + name + " " + node.pid()).inheritIO().start().waitFor();
      assertThat(exit).as("kill -" + name).isZero();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  // --- figures

  private Figures figures(String scenario, DeliveryLoad load, long failureNanos) throws Exception {
    Map<String, Integer> handled = load.handled(List.of(eventLog(0, ""), eventLog(1, ""), eventLog(2, "")));
    Figures f = new Figures(load, handled, failureNanos);
    report(String.format("| %s | sent %d | acked %d | handled %d | lost %d | duplicated %d | p50 %d ms | worst latency %d ms | "
        + "errors %s until %d ms after the failure | worst wait beyond the failure %d ms | p99 before the failure %d ms |",
      scenario, f.sent, f.acked, f.handled, f.lost.size(), f.duplicated.size(), f.medianLatencyMs, f.worstLatencyMs,
      f.errorCounts, f.lastErrorSentMs, f.worstWaitBeyondFailureMs, f.p99BeforeFailureMs));
    if (!f.duplicated.isEmpty() || !f.lost.isEmpty()) {
      System.out.println("[reliability] duplicated " + f.duplicated + " lost " + f.lost);
    }
    load.close();
    return f;
  }

  /** The 99th percentile of sorted latencies; 0 for none. */
  private static long p99(long[] sorted) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, sorted.length * 99 / 100)];
  }

  private static void report(String line) throws Exception {
    System.out.println("[reliability] " + line);
    Path out = Path.of("target", "reliability-figures.md");
    Files.writeString(out, line + System.lineSeparator(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** What one scenario measured. */
  static final class Figures {
    final int sent;
    final int acked;
    final int handled;
    final Map<String, Integer> handledCounts;
    final Set<String> lost;
    final Set<String> duplicated;
    final long worstLatencyMs;
    final long medianLatencyMs;
    final Set<Integer> errorStatuses;
    final Map<String, Long> errorCounts;
    final long lastErrorSentMs;
    final long worstWaitBeyondFailureMs;
    /** Latency of the deliveries answered before the failure: whether the cluster kept up with the load. */
    final long p99BeforeFailureMs;
    /** The last answer of each delivery (after the client's retries). */
    private final Set<Integer> finalStatuses;

    Figures(DeliveryLoad load, Map<String, Integer> handledCounts, long failureNanos) {
      sent = load.results.size();
      Set<String> ackedIds = load.results.values().stream().filter(r -> r.status() == 200)
        .map(DeliveryLoad.Result::id).collect(Collectors.toCollection(TreeSet::new));
      acked = ackedIds.size();
      finalStatuses = load.results.values().stream().map(DeliveryLoad.Result::status).collect(Collectors.toCollection(TreeSet::new));
      handled = handledCounts.size();
      this.handledCounts = handledCounts;
      lost = ackedIds.stream().filter(id -> !handledCounts.containsKey(id)).collect(Collectors.toCollection(TreeSet::new));
      duplicated = handledCounts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
        .collect(Collectors.toCollection(TreeSet::new));
      worstLatencyMs = load.results.values().stream().filter(r -> r.status() == 200).mapToLong(DeliveryLoad.Result::latencyMs).max().orElse(0);
      long[] latencies = load.results.values().stream().mapToLong(DeliveryLoad.Result::latencyMs).sorted().toArray();
      medianLatencyMs = latencies.length == 0 ? 0 : latencies[latencies.length / 2];
      List<DeliveryLoad.Answer> errors = load.answers.stream().filter(a -> a.status() != 200).toList();
      errorStatuses = errors.stream().map(DeliveryLoad.Answer::status).collect(Collectors.toCollection(TreeSet::new));
      errorCounts = errors.stream().collect(Collectors.groupingBy(a -> a.status() + " " + a.error(), java.util.TreeMap::new, Collectors.counting()));
      lastErrorSentMs = errors.stream().mapToLong(a -> (a.sentNanos() - failureNanos) / 1_000_000L).max().orElse(0);
      // Any delivery that was waiting at some point after the failure: how long it waited from the failure
      // (or from when it was sent, if later). Includes those sent to the dead node before it was detected.
      worstWaitBeyondFailureMs = load.results.values().stream()
        .filter(r -> r.doneNanos() > failureNanos)
        .mapToLong(r -> (r.doneNanos() - Math.max(r.firstSentNanos(), failureNanos)) / 1_000_000L).max().orElse(0);
      p99BeforeFailureMs = p99(load.results.values().stream().filter(r -> r.doneNanos() <= failureNanos)
        .mapToLong(DeliveryLoad.Result::latencyMs).sorted().toArray());
    }

    /**
     * A node killed after its handler ran but before the id was marked done in the cluster (one map write)
     * leaves an event that a survivor takes over and handles again: the window docs/reliability.md states.
     * So a duplicate is accepted only if it is exactly that: one line in the failed node's log, written
     * before the failure, and one line in a survivor's log. Anything else fails.
     */
    void assertExactlyOnceExceptTheDocumentedWindow(Path failedNodeLog, long failureWallMillis) throws Exception {
      assertThat(lost).as("acknowledged but never handled").isEmpty();
      Map<String, List<io.vertx.core.json.JsonObject>> onFailedNode = new java.util.HashMap<>();
      for (String line : Files.exists(failedNodeLog) ? Files.readAllLines(failedNodeLog) : List.<String>of()) {
        if (line.endsWith("}")) {
          io.vertx.core.json.JsonObject json = new io.vertx.core.json.JsonObject(line);
          if (duplicated.contains(json.getString("id"))) {
            onFailedNode.computeIfAbsent(json.getString("id"), k -> new ArrayList<>()).add(json);
          }
        }
      }
      for (String id : duplicated) {
        List<io.vertx.core.json.JsonObject> lines = onFailedNode.getOrDefault(id, List.of());
        assertThat(handledCounts.get(id)).as("handlings of " + id).isEqualTo(2);
        assertThat(lines).as(id + " handled twice: once on the failed node").hasSize(1);
        assertThat(java.time.Instant.parse(lines.get(0).getString("time")).toEpochMilli())
          .as(id + " handled on the failed node before it failed").isLessThanOrEqualTo(failureWallMillis);
      }
    }

    /**
     * Every delivery ends acknowledged where the cluster kept up with the load before the failure (see
     * KEEPING_UP_P99_MS). Where it did not, some pass their deadline: those are answered 504, which the API
     * documents as safe to retry with the same id, and no other final answer is allowed.
     */
    void assertEveryDeliveryAcknowledgedWhereTheClusterKeptUp(String deliveries) {
      if (p99BeforeFailureMs <= KEEPING_UP_P99_MS) {
        assertThat(acked).as(deliveries + " acknowledged").isEqualTo(sent);
      } else {
        assertThat(finalStatuses).as(deliveries + " acknowledged, or past its deadline on a machine that did not keep up"
          + " (p99 " + p99BeforeFailureMs + " ms before the failure)").isSubsetOf(200, 504);
      }
    }

    void assertExactlyOnceForAcked() {
      assertThat(lost).as("acknowledged but never handled").isEmpty();
      assertThat(duplicated).as("handled more than once").isEmpty();
    }
  }
}
