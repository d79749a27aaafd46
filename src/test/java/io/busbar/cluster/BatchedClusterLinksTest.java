package io.busbar.cluster;

import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real Busbar nodes in one cluster, with the cluster manager their start-up builds: the connection a
 * node opens to the other gets the flush-consolidating handler (which also proves that this Vert.x keeps
 * its connections where the class looks for them), and every message over it arrives, in the order each
 * sender sent it, also when thousands are sent in one event-loop turn.
 */
class BatchedClusterLinksTest {
  @TempDir
  static Path workDir;
  private static TestCluster cluster;
  private static Vertx a;
  private static Vertx b;

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster(2);
    a = cluster.start(0, workDir, config -> { }).vertx();
    b = cluster.start(1, workDir, config -> { }).vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static String nodeId(Vertx vertx) {
    return ((VertxInternal) vertx).clusterManager().getNodeId();
  }

  @Test
  void everyMessageArrivesInTheOrderEachSenderSentIt() {
    String address = "links.order." + System.nanoTime();
    Map<String, List<Integer>> received = new ConcurrentHashMap<>();
    MessageConsumer<JsonObject> consumer = b.eventBus().consumer(address, m ->
      received.computeIfAbsent(m.body().getString("from"), k -> new CopyOnWriteArrayList<>()).add(m.body().getInteger("n")));
    Wait.await(consumer.completion());
    List<Context> senders = List.of(a.getOrCreateContext(), a.getOrCreateContext());
    // A registration reaches the other node a moment late: probe until one arrives, then count what follows.
    Wait.until("a's messages to reach b's consumer", () -> {
      senders.forEach(s -> s.runOnContext(v -> a.eventBus().send(address, new JsonObject().put("from", "probe").put("n", 0))));
      return Wait.within(Duration.ofMillis(200), () -> received.containsKey("probe"));
    });
    int perTurn = 5_000;
    int turns = 4;
    for (int turn = 0; turn < turns; turn++) {
      int first = turn * perTurn;
      for (int s = 0; s < senders.size(); s++) {
        String from = "sender" + s;
        // Many messages in one event-loop turn: the case whose flush is put off to the turn's end.
        senders.get(s).runOnContext(v -> {
          for (int n = first; n < first + perTurn; n++) {
            a.eventBus().send(address, new JsonObject().put("from", from).put("n", n));
          }
        });
      }
    }
    List<Integer> expected = new ArrayList<>();
    for (int n = 0; n < perTurn * turns; n++) {
      expected.add(n);
    }
    for (int s = 0; s < senders.size(); s++) {
      String from = "sender" + s;
      Wait.until("all of " + from + "'s messages", Duration.ofSeconds(60),
        () -> received.getOrDefault(from, List.of()).size() >= expected.size());
      assertThat(received.get(from)).as(from + "'s messages, in order").isEqualTo(expected);
    }
    Wait.await(consumer.unregister());
  }

  @Test
  void theConnectionToAnotherNodeFlushesOncePerTurn() throws Exception {
    String address = "links.handler." + System.nanoTime();
    MessageConsumer<String> consumer = b.eventBus().consumer(address, m -> m.reply("ok"));
    Wait.await(consumer.completion());
    Wait.until("a request from a to b to be answered", () -> {
      try {
        Wait.await(a.eventBus().request(address, "?"));
        return true;
      } catch (AssertionError notYet) {
        return false;
      }
    });
    NetSocketInternal socket = BatchedClusterLinks.socketTo(a, nodeId(b));
    assertThat(socket).as("a's connection to b, found where Vert.x keeps it").isNotNull();
    Wait.until("the handler on a's connection to b",
      () -> socket.channelHandlerContext().pipeline().get(BatchedClusterLinks.HANDLER_NAME) != null);
    assertThat(socket.channelHandlerContext().pipeline().names().get(0)).isEqualTo(BatchedClusterLinks.HANDLER_NAME);
    Wait.await(consumer.unregister());
  }

  @Test
  void aNodeWithoutAConnectionHasNoSocket() throws Exception {
    assertThat(BatchedClusterLinks.socketTo(a, "no-such-node")).isNull();
  }

  @Test
  void eachChangeIsFoundThroughTheChain() {
    assertThat(ForwardingClusterManager.find(a, BatchedClusterLinks.class)).isNotNull();
    assertThat(ForwardingClusterManager.find(a, QuietAddressCache.class)).isNotNull();
    assertThat(ForwardingClusterManager.find(a, HazelcastClusterManager.class)).isNotNull();
  }
}
