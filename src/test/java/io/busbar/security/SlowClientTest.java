package io.busbar.security;

import io.busbar.BusbarNode;
import io.busbar.NodeContext;
import io.busbar.testing.BridgeClient;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that stops reading while a flood (8 MB/s) is published to its address is disconnected once
 * its outbound queue has stayed over {@code outboundQueueBytes} for {@code slowClientGraceMs}, and a
 * well-behaved client's latency meanwhile stays within twice its baseline (measured under the same
 * flood, read by a healthy client). Bounds are generous for a busy two-core machine; figures are printed.
 */
class SlowClientTest {
  private static final int GRACE_MS = 1000;
  private static final String PAYLOAD = "x".repeat(16 * 1024);

  @TempDir
  static Path dir;
  private static TestCluster cluster;
  private static BusbarNode node;
  private static Vertx client;
  private static WebSocketClient webSockets;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster(1);
    node = cluster.start(0, dir, conf -> {
      conf.put("roles", new JsonArray().add("gateway"));
      conf.getJsonObject("gateway").getJsonObject("limits").put("outboundQueueBytes", 256 * 1024).put("slowClientGraceMs", GRACE_MS)
        .put("messagesPerSecondPerConnection", 100_000);
    });
    port = cluster.httpPort(0);
    client = Vertx.vertx();
    webSockets = client.createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    TestCluster.close(client, cluster);
  }

  @Test
  void aStalledClientIsDisconnectedAndTheOthersKeepTheirLatency() {
    NodeContext ctx = NodeContext.of(node.vertx());
    EventBus bus = node.vertx().eventBus();
    BridgeClient good = BridgeClient.connect(port, null);
    good.send(new JsonObject().put("type", "register").put("address", "events.good"));
    List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
    good.onFrame(frame -> latencies.add((System.nanoTime() - frame.getJsonObject("body").getLong("t")) / 1e6));
    Wait.until("the good client is subscribed", () -> {
      bus.publish("events.good", new JsonObject().put("t", System.nanoTime()));
      return Wait.within(Duration.ofMillis(100), () -> !latencies.isEmpty());
    });

    // The flood and the probes run for the whole test.
    long flood = node.vertx().setPeriodic(10, id -> {
      for (int i = 0; i < 5; i++) {
        bus.publish("events.flood", PAYLOAD);
      }
    });
    long probes = node.vertx().setPeriodic(10, id -> bus.publish("events.good", new JsonObject().put("t", System.nanoTime())));
    try {
      // Baseline: a healthy client reads the flood.
      AtomicLong healthyBytes = new AtomicLong();
      WebSocket healthy = Wait.await(webSockets.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/eventbus/websocket")));
      healthy.handler(b -> healthyBytes.addAndGet(b.length()));
      Wait.await(healthy.writeTextMessage(new JsonObject().put("type", "register").put("address", "events.flood").encode()));
      Wait.until("the healthy client reads the flood", () -> healthyBytes.get() > 1_000_000);
      latencies.clear();
      Wait.within(Duration.ofSeconds(3), () -> false);
      double baseline = p99(latencies);
      int baselineSamples = latencies.size();
      long healthyRead = healthyBytes.get();
      Wait.await(healthy.close());
      Wait.until("only the good client is left", () -> ctx.socketsOpen.get() == 1);

      // The stalled client: subscribes, then stops reading (Vert.x stops reading the TCP connection once its queue is full).
      WebSocket stalled = Wait.await(webSockets.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/eventbus/websocket")));
      stalled.handler(b -> { });
      Wait.await(stalled.writeTextMessage(new JsonObject().put("type", "register").put("address", "events.flood").encode()));
      stalled.pause();
      latencies.clear();
      long stalledAt = System.nanoTime();
      Wait.until("the node has opened the stalled client's socket", () -> ctx.socketsOpen.get() == 2);
      Wait.until("the stalled client is disconnected", Duration.ofSeconds(30), () -> ctx.socketsOpen.get() == 1);
      double disconnectedAfter = (System.nanoTime() - stalledAt) / 1e9;
      Wait.within(Duration.ofSeconds(1), () -> false);
      double during = p99(latencies);
      System.out.printf("slow client: disconnected %.2f s after it stopped reading (grace %d ms, queue 256 KiB, flood 8 MB/s);"
          + " good client p99 %.2f ms over %d samples vs baseline %.2f ms over %d samples (healthy reader got %d MB)%n",
        disconnectedAfter, GRACE_MS, during, latencies.size(), baseline, baselineSamples, healthyRead / 1_000_000);
      assertThat(disconnectedAfter).isLessThan(20.0);
      assertThat(good.closed).isFalse();
      // 2x the baseline, with a floor of 5 ms so that a sub-millisecond baseline does not turn scheduler noise into a failure.
      assertThat(during).isLessThanOrEqualTo(2 * Math.max(baseline, 5.0));
    } finally {
      node.vertx().cancelTimer(flood);
      node.vertx().cancelTimer(probes);
      good.close();
    }
  }

  private static double p99(List<Double> samples) {
    List<Double> sorted;
    synchronized (samples) {
      sorted = new ArrayList<>(samples);
    }
    Collections.sort(sorted);
    return sorted.isEmpty() ? Double.NaN : sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1);
  }
}
